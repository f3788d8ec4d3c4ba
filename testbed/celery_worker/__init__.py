"""
A real Celery worker for the tests of the plugin's background paths.

pretix's test settings run every task eagerly, inside the test. The tests in ``tests/test_celery_worker.py`` instead
start ``celery worker`` (pretix's app, Redis as broker and result backend) as a separate process that reads and
writes the test's own database, so a task travels the way it does in production: published on commit, picked up
by another process, executed there.
"""
