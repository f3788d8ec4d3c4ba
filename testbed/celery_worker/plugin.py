"""
pytest plugin: the ``celery_worker`` marker and fixture.

The worker is a second process, so it can only share a database that lives outside the test process. The test
database on PostgreSQL does; SQLite's test database is in memory, private to the test process. On such a database
the marked tests are deselected at collection and the run says so at the end: they are not skipped one by one and
never pass without a worker. ``make test DB=postgres`` (and so ``.ci/run``) runs them.
"""
from contextlib import contextmanager

import pytest
from kombu import pools

from .process import CeleryWorker, WorkerFailed, flush_broker

MARKER = "celery_worker"
DESELECTED = pytest.StashKey[int]()


def database_is_shareable(database):
    """Whether another process can open the test database (not SQLite's in-memory default)."""
    if "sqlite" not in database["ENGINE"]:
        return True
    name = (database.get("TEST") or {}).get("NAME") or ""
    return bool(name) and name != ":memory:" and "mode=memory" not in name


def needs_worker(item):
    return item.get_closest_marker(MARKER) is not None or "celery_worker" in getattr(item, "fixturenames", ())


def pytest_configure(config):
    config.addinivalue_line(
        "markers", MARKER + ": runs background work in a real Celery worker process; needs a test database the "
                            "worker can open (PostgreSQL), deselected on SQLite's in-memory one",
    )


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if database_is_shareable(settings.DATABASES["default"]):
        return
    deselected = [item for item in items if needs_worker(item)]
    if deselected:
        items[:] = [item for item in items if not needs_worker(item)]
        config.hook.pytest_deselected(items=deselected)
        config.stash[DESELECTED] = len(deselected)


def pytest_terminal_summary(terminalreporter, config):
    count = config.stash.get(DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            "{} Celery worker test(s) deselected: the in-memory SQLite test database cannot be shared with a worker "
            "process. They run on PostgreSQL: make test DB=postgres".format(count),
            yellow=True,
        )


def _forget_broker_connections(app):
    # Celery keeps the connection pool, the producer pool and the result backend once created; after the broker
    # changes, the next task must connect anew.
    pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._backend_cache = None
    try:
        del app._local.backend
    except AttributeError:
        pass


@contextmanager
def publishing_to_worker(app, celery_config):
    """Makes ``apply_async`` in this process publish to the broker instead of running the task here and now."""
    changed = dict(celery_config, task_always_eager=False)
    saved = {key: app.conf[key] for key in changed}
    app.conf.update(changed)
    _forget_broker_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _forget_broker_connections(app)


@pytest.fixture
def celery_worker(transactional_db, settings, tmp_path):
    """
    ``celery_worker(RUN_LIMIT=2, …)`` starts a worker on the test's database (optionally with other values of
    ``pretix_hubspot.tasks``' limits) and switches this process from eager tasks to the worker's broker. It asks for
    ``transactional_db``, so rows the test writes are committed and visible to the worker, and the worker is stopped
    before the test database is flushed.
    """
    from django.db import connection
    from pretix.celery_app import app

    if not database_is_shareable(settings.DATABASES["default"]):
        pytest.fail("The Celery worker cannot open an in-memory SQLite test database (use PostgreSQL)")

    with _WorkerSession(app, settings, connection.settings_dict, tmp_path) as session:
        yield session.start


class _WorkerSession:
    def __init__(self, app, settings, database, directory):
        self.app = app
        self.settings = settings
        self.database = database
        self.directory = directory
        self.worker = None
        self.publishing = None

    def start(self, **task_knobs):
        if self.worker is not None:
            raise RuntimeError("one worker per test")
        flush_broker()
        self.worker = CeleryWorker(database=self.database, secret_key=self.settings.SECRET_KEY,
                                   directory=self.directory / "worker", task_knobs=task_knobs)
        self.worker.start()
        config = self.worker.publisher_config
        if any(config["tasks"][name] != value for name, value in task_knobs.items()):
            raise WorkerFailed("The worker runs with {}, not {}".format(config["tasks"], task_knobs))
        for name, value in config["django"].items():
            setattr(self.settings, name, value)
        self.settings.HAS_CELERY = True
        self.settings.CELERY_ALWAYS_EAGER = self.settings.CELERY_TASK_ALWAYS_EAGER = False
        self.settings.CELERY_BROKER_URL = config["celery"]["broker_url"]
        self.settings.CELERY_RESULT_BACKEND = config["celery"]["result_backend"]
        self.publishing = publishing_to_worker(self.app, config["celery"])
        self.publishing.__enter__()
        return self.worker

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self.worker is not None:
                self.worker.stop()
                # pytest shows this only when the test failed: what the worker did
                print("Celery worker log (end):\n" + self.worker.log_tail())
        finally:
            if self.publishing is not None:
                self.publishing.__exit__(None, None, None)
            if self.worker is not None:
                flush_broker()
