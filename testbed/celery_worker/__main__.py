"""
``python -m testbed.celery_worker [celery worker options]``: pretix's Celery worker, with two test-only additions.

* ``PRETIX_HUBSPOT_TEST_<NAME>=<int>`` sets ``pretix_hubspot.tasks.<NAME>`` (RUN_LIMIT, MAX_ROUNDS, COUNTDOWN)
  before the worker starts, so a test can make a queue of a few orders longer than one run. The pool processes
  are forked from this process and inherit the values.
* ``PRETIX_HUBSPOT_TEST_CELERY_CONFIG=<path>``: the worker writes the broker options pretix computed for it to this
  JSON file, so the test process publishes tasks to the very queues the worker reads.
* ``PRETIX_HUBSPOT_TEST_PARENT_PID=<pid>``: the worker shuts down when that process (the test run) is gone, even if
  it was killed before it could stop the worker.
* ``PRETIX_HUBSPOT_TEST_RETRY_SECONDS=<int>``: an order with a temporary error is retried after that many seconds
  instead of 5, 15, 45 … minutes, so that a soak run (tools/soak.py) sees the retries within minutes.
"""
import json
import os
import signal
import sys
import threading
import time

os.environ["DJANGO_SETTINGS_MODULE"] = "testbed.celery_worker.settings"

import django  # NOQA: E402

django.setup()

from django.conf import settings  # NOQA: E402
from pretix.celery_app import app  # NOQA: E402

from pretix_hubspot import tasks  # NOQA: E402

TASK_KNOBS = ("RUN_LIMIT", "MAX_ROUNDS", "COUNTDOWN")
PUBLISHER_SETTINGS = ("PRIORITY_CELERY_LOW", "PRIORITY_CELERY_MID", "PRIORITY_CELERY_HIGH")


def apply_task_knobs():
    for name in TASK_KNOBS:
        value = os.environ.get("PRETIX_HUBSPOT_TEST_" + name)
        if value is not None:
            setattr(tasks, name, int(value))
    retry_seconds = os.environ.get("PRETIX_HUBSPOT_TEST_RETRY_SECONDS")
    if retry_seconds is not None:
        from datetime import timedelta

        from django.utils.timezone import now

        from pretix_hubspot.transfer.sync import HubSpotSync

        HubSpotSync.next_retry_date = lambda self, sq: now() + timedelta(seconds=int(retry_seconds))


def write_publisher_config(path):
    config = {
        "celery": {
            "broker_url": app.conf.broker_url,
            "result_backend": app.conf.result_backend,
            "broker_transport_options": app.conf.broker_transport_options,
            "task_default_priority": app.conf.task_default_priority,
        },
        "django": {name: getattr(settings, name) for name in PUBLISHER_SETTINGS},
        "tasks": {name: getattr(tasks, name) for name in TASK_KNOBS},
    }
    with open(path + ".tmp", "w") as f:
        json.dump(config, f)
    os.replace(path + ".tmp", path)  # the test polls for the file: never let it read half of it


def exit_with_parent(parent_pid):
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)  # Celery's warm shutdown, pool processes included

    threading.Thread(target=watch, name="exit-with-test-run", daemon=True).start()


if __name__ == "__main__":
    if os.environ.get("PRETIX_HUBSPOT_TEST_PARENT_PID"):
        exit_with_parent(int(os.environ["PRETIX_HUBSPOT_TEST_PARENT_PID"]))
    apply_task_knobs()
    if os.environ.get("PRETIX_HUBSPOT_TEST_CELERY_CONFIG"):
        write_publisher_config(os.environ["PRETIX_HUBSPOT_TEST_CELERY_CONFIG"])
    app.worker_main(["worker", *sys.argv[1:]])
