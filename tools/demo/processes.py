"""
The demo's long-running children (the HubSpot sandbox, pretix's dev server): start, wait until they answer, stop.

Each child runs in its own session, so the Ctrl-C that the terminal sends to ``make`` does not kill it before the
demo can stop it in order. If the demo itself dies without cleaning up (SIGKILL), the kernel sends the children
SIGTERM (PR_SET_PDEATHSIG), and the pid files let the next run stop anything left over from a previous one.
"""
import ctypes
import os
import signal
import subprocess
import time

import requests

from tools.demo import config

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the pid files still let the next run clean up


class Child:
    def __init__(self, name, argv, *, env=None, cwd=config.REPO):
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.proc = None
        self.log_path = config.LOG_DIR / f"{name}.log"
        self.pid_path = config.PID_DIR / f"{name}.pid"

    def start(self):
        config.LOG_DIR.mkdir(parents=True, exist_ok=True)
        config.PID_DIR.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        self.pid_path.write_text(str(self.proc.pid))
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=25):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_until_answers(self, url, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError("{} exited (code {}) before it answered; last lines of {}:\n{}".format(
                    self.name, self.proc.returncode, self.log_path, self.log_tail()))
            try:
                requests.get(url, timeout=5, allow_redirects=False)
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer at {url} within {timeout} s; see {self.log_path}")

    def stop(self, timeout=10):
        if self.proc is not None:
            _terminate_group(self.proc.pid, wait=self.proc.wait, timeout=timeout)
        try:
            self.pid_path.unlink()
        except FileNotFoundError:
            pass


def _terminate_group(pid, *, wait, timeout):
    """SIGTERM to the child's process group, SIGKILL if it has not gone after ``timeout`` seconds."""
    for sig, grace in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        try:
            wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _is_our_child(pid: int) -> bool:
    """True when ``pid`` is still a process that a demo run started (a python running from this checkout)."""
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return bool(cmdline) and b"python" in os.path.basename(cmdline[0]) and cwd == str(config.REPO)


def stop_leftovers():
    """Stops children of an earlier demo run that was killed without cleaning up. Returns their names."""
    stopped = []
    if not config.PID_DIR.exists():
        return stopped
    for pid_path in config.PID_DIR.glob("*.pid"):
        try:
            pid = int(pid_path.read_text().strip())
        except ValueError:
            pid = 0
        if pid and _is_our_child(pid):
            def wait(seconds, pid=pid):
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    if not os.path.exists(f"/proc/{pid}") or _is_zombie(pid):
                        return
                    time.sleep(0.2)
                raise subprocess.TimeoutExpired(str(pid), seconds)
            _terminate_group(pid, wait=wait, timeout=10)
            stopped.append(pid_path.stem)
        pid_path.unlink()
    return stopped


def _is_zombie(pid):
    try:
        return open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
