"""What the demo prints: short steps, flushed at once so that ``make`` shows them as they happen."""
import sys
import time

_started = time.monotonic()


def step(message: str):
    print("[demo {:5.1f}s] {}".format(time.monotonic() - _started, message), flush=True)


def detail(message: str):
    print("             " + message, flush=True)


def fail(message: str):
    print("[demo] ERROR: " + message, file=sys.stderr, flush=True)
