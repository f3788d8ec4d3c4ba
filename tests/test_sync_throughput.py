"""Throughput: batch requests, database queries that do not grow per order, the shared rate limiter, continuation."""
import threading
import time
import uuid

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from pretix_hubspot import tasks
from pretix_hubspot.hubspot_api.ratelimit import PortalRateLimiter
from testbed.orders import make_order
from testbed.sync import contacts_mapping, deals_mapping, enqueue, queue_rows, run_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(sync_event):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    return sync_event


def place(event, item, n, start=0):
    with scopes_disabled():
        return [make_order(event, item, code=f"Q{i:04d}", email=f"buyer{i}@example.org") for i in range(start, start + n)]


def sync_measured(hubspot):
    before = len(hubspot.request_log)
    with CaptureQueriesContext(db_connection) as queries:
        run_queue()
    return len(hubspot.request_log) - before, len(queries)


def test_requests_and_queries_do_not_grow_per_order(setup, item, hubspot):
    for o in place(setup, item, 5):
        enqueue(o)
    requests_5, queries_5 = sync_measured(hubspot)
    for o in place(setup, item, 40, start=100):
        enqueue(o)
    requests_40, queries_40 = sync_measured(hubspot)
    assert queue_rows() == []
    # the same batch requests, whether 5 or 40 orders
    assert requests_40 == requests_5
    # database queries do not grow with the number of orders in a chunk
    assert queries_40 <= queries_5 + 2, (queries_5, queries_40)


def test_batching_switch_sends_one_order_per_request(setup, item, hubspot, monkeypatch):
    from pretix_hubspot.transfer.sync import HubSpotSync
    monkeypatch.setattr(HubSpotSync, "batching", False)
    for o in place(setup, item, 3):
        enqueue(o)
    requests, _ = sync_measured(hubspot)
    assert queue_rows() == []
    # upsert contact, upsert deal, associate them: three requests for each order instead of three for all
    assert requests >= 3 * 3


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/9"}}
    from django.core.cache import caches
    return caches["default"]


def test_rate_limiter_shares_one_budget_across_workers_in_redis(redis_cache):
    portal = uuid.uuid4().int % 10 ** 9
    taken = []
    lock = threading.Lock()

    def worker():
        limiter = PortalRateLimiter(portal, limit=10, interval=1.0, cache=redis_cache)
        for _ in range(10):
            limiter.acquire()
            with lock:
                taken.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 30
    # 30 requests at 10 per rolling second need at least two seconds; never more than 10 in any one second
    assert time.monotonic() - start >= 1.9
    taken.sort()
    for i, t0 in enumerate(taken):
        assert len([t for t in taken[i:] if t - t0 < 1.0]) <= 10


def test_rate_limiter_pause_after_429_holds_back_other_workers(redis_cache):
    portal = uuid.uuid4().int % 10 ** 9
    PortalRateLimiter(portal, cache=redis_cache).pause(0.5)
    start = time.monotonic()
    PortalRateLimiter(portal, cache=redis_cache).acquire()
    assert time.monotonic() - start >= 0.4


def test_continuation_drains_a_long_queue_without_periodic_task(setup, item, hubspot, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks, "RUN_LIMIT", 2)
    monkeypatch.setattr(tasks, "COUNTDOWN", 0)
    for o in place(setup, item, 5):
        enqueue(o)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.continue_sync("test-chain", 1)
    assert queue_rows() == []
    assert len(hubspot.records("deals")) == 5


def test_continuation_is_bounded(setup, item, hubspot, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks, "RUN_LIMIT", 1)
    monkeypatch.setattr(tasks, "MAX_ROUNDS", 2)
    for o in place(setup, item, 5):
        enqueue(o)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.continue_sync("bounded-chain", 1)
    assert len(queue_rows()) == 3
