"""The worker process: started with the test's database and secret, stopped with everything it forked."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
# A Redis database of its own: the worker tests flush it before and after every worker.
REDIS_DB = int(os.environ.get("PRETIX_HUBSPOT_TEST_REDIS_DB", "12"))
BROKER_URL = "redis://{}:{}/{}".format(REDIS_HOST, REDIS_PORT, REDIS_DB)

START_TIMEOUT = 60
STOP_TIMEOUT = 30


class WorkerFailed(Exception):
    pass


def flush_broker():
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()
    except redis.ConnectionError as e:
        raise WorkerFailed("Redis at {}:{} is needed as the Celery broker: {}".format(REDIS_HOST, REDIS_PORT, e))


def database_environment(database):
    """pretix's ``PRETIX_DATABASE_*`` variables for Django's connection settings of the test database."""
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    return {
        "PRETIX_DATABASE_BACKEND": engine,
        "PRETIX_DATABASE_NAME": str(database["NAME"]),
        "PRETIX_DATABASE_USER": database.get("USER") or "",
        "PRETIX_DATABASE_PASSWORD": database.get("PASSWORD") or "",
        "PRETIX_DATABASE_HOST": database.get("HOST") or "",
        "PRETIX_DATABASE_PORT": str(database.get("PORT") or ""),
    }


class CeleryWorker:
    """
    ``python -m testbed.celery_worker`` in a session of its own, so that stopping it reaches the pool processes too.
    Its output goes to ``log_path``; ``log`` reads it, e.g. to see which tasks it ran.
    """

    def __init__(self, *, database, secret_key, directory, task_knobs=None, concurrency=2):
        self.database = database
        self.secret_key = secret_key
        self.directory = Path(directory)
        self.task_knobs = task_knobs or {}
        self.concurrency = concurrency
        self.log_path = self.directory / "worker.log"
        self.config_path = self.directory / "publisher.json"
        self.process = None
        self.publisher_config = None

    def environment(self):
        env = dict(os.environ)
        env.update(database_environment(self.database))
        env.update({
            "PRETIX_CONFIG_FILE": "/dev/null",  # only the variables below configure the worker
            # Unbuffered: forked pool processes would otherwise write the main process's pending output again.
            "PYTHONUNBUFFERED": "1",
            "DATA_DIR": str(self.directory / "data"),
            # the same secret as the test process: the OAuth tokens in the database are encrypted with it
            "PRETIX_DJANGO_SECRET": self.secret_key,
            "PRETIX_CELERY_BROKER": BROKER_URL,
            "PRETIX_CELERY_BACKEND": BROKER_URL,
            # the HubSpot sandbox listens on 127.0.0.1
            "PRETIX_PRETIX_ALLOW_HTTP_TO_PRIVATE_NETWORKS": "true",
            "PRETIX_HUBSPOT_TEST_CELERY_CONFIG": str(self.config_path),
            "PRETIX_HUBSPOT_TEST_PARENT_PID": str(os.getpid()),
        })
        for name, value in self.task_knobs.items():
            env["PRETIX_HUBSPOT_TEST_" + name] = str(int(value))
        return env

    def start(self):
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "testbed.celery_worker",
            "--loglevel=INFO", "--pool=prefork", "--concurrency={}".format(self.concurrency),
            "--hostname=hubspot-tests-{}@%h".format(uuid.uuid4().hex[:8]),
            # one worker alone: no need to wait for siblings
            "--without-mingle", "--without-gossip",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=REPOSITORY, env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while " ready." not in self.log or not self.config_path.exists():
            if self.process.poll() is not None:
                raise WorkerFailed("The Celery worker exited with {} while starting:\n{}".format(
                    self.process.returncode, self.log_tail()))
            if time.monotonic() > deadline:
                raise WorkerFailed("The Celery worker was not ready after {} s:\n{}".format(
                    START_TIMEOUT, self.log_tail()))
            time.sleep(0.1)
        self.publisher_config = json.loads(self.config_path.read_text())
        return self

    def stop(self):
        """Warm shutdown (running tasks finish), then nothing of the worker's process group is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the whole group has exited
        self.process.wait()

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    @property
    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=60):
        return "\n".join(self.log.splitlines()[-lines:])

    def succeeded(self, task_name):
        """How many runs of the task the worker finished without an exception."""
        return sum(1 for line in self.log.splitlines() if "Task {}[".format(task_name) in line and "succeeded" in line)

    def received(self, task_name):
        return sum(1 for line in self.log.splitlines() if "Task {}[".format(task_name) in line and "received" in line)

    def wait_until(self, condition, *, timeout, what):
        """Polls ``condition`` until it is true; a dead worker or the deadline fails the test with the worker's log."""
        deadline = time.monotonic() + timeout
        while True:
            if condition():
                return
            if not self.running:
                raise WorkerFailed("The Celery worker died while waiting for {}:\n{}".format(what, self.log_tail()))
            if time.monotonic() > deadline:
                raise AssertionError("Not within {} s: {}. Worker log:\n{}".format(timeout, what, self.log_tail()))
            time.sleep(0.25)

    def holds(self, condition, *, seconds, what):
        """Checks that ``condition`` stays true for a while, e.g. that no further task arrives."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not condition():
                raise AssertionError("No longer true: {}. Worker log:\n{}".format(what, self.log_tail()))
            if not self.running:
                raise WorkerFailed("The Celery worker died while checking that {}:\n{}".format(what, self.log_tail()))
            time.sleep(0.25)
