"""
HubSpot's 429 and Retry-After are handled in one place, the account's shared pause: urllib3 neither retries a 429 nor
sleeps on Retry-After, a page never waits more than a few seconds, a sync run never waits past its share of pretix's
in-flight time, and an absurd Retry-After holds back the account's workers for at most a minute.

The sleeps are recorded, not timed: every ``time.sleep`` of the test's own thread (the plugin's and urllib3's).
"""
import threading
import time
from datetime import timedelta

import pytest
from django.utils.timezone import now

from pretix_hubspot.hubspot_api import ratelimit
from pretix_hubspot.hubspot_api.client import PAGE_MAX_WAIT, HubSpotApi
from pretix_hubspot.hubspot_api.errors import HubSpotRateLimited
from pretix_hubspot.transfer import sync
from testbed.sync import contacts_mapping, enqueue, queue_rows, run_queue

pytestmark = pytest.mark.django_db

PROPERTIES = "/crm/properties/2026-09/contacts"


@pytest.fixture
def sleeps(monkeypatch):
    """The seconds each ``time.sleep`` of this thread asked for (the sandbox's threads are left out)."""
    recorded = []
    real_sleep = time.sleep
    me = threading.get_ident()

    def sleep(seconds):
        if threading.get_ident() == me:
            recorded.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return recorded


@pytest.fixture(autouse=True)
def no_pause_left_over():
    ratelimit._local_pauses.clear()
    ratelimit._local_windows.clear()
    yield
    ratelimit._local_pauses.clear()
    ratelimit._local_windows.clear()


def read_properties(api):
    return api.call(api.sdk.crm.properties.core_api.get_all, "contacts")


def test_a_page_gives_up_on_retry_after_within_a_few_seconds(connection, hubspot, sleeps):
    # Today urllib3 honours Retry-After by itself: three 429s with "Retry-After: 2" cost four requests and 6 s.
    hubspot.fail_next(3, 429, path_prefix=PROPERTIES, retry_after=2)
    api = HubSpotApi.for_page(connection)
    with pytest.raises(HubSpotRateLimited) as exc:
        read_properties(api)
    assert exc.value.status == 429
    assert sum(sleeps) <= PAGE_MAX_WAIT
    # two waits of two seconds, as HubSpot asked; the third would have gone beyond what a page may wait
    assert hubspot.request_count(path_prefix=PROPERTIES) == 3
    assert api.limiter.waited == pytest.approx(4, abs=0.5)


def test_one_429_costs_one_more_request_and_the_wait_hubspot_asks_for(connection, hubspot, sleeps):
    hubspot.fail_next(1, 429, path_prefix=PROPERTIES, retry_after=2)
    api = HubSpotApi(connection)
    assert read_properties(api).results
    assert hubspot.request_count(path_prefix=PROPERTIES) == 2
    assert sum(sleeps) == pytest.approx(2, abs=0.3)


def test_a_page_does_not_start_waiting_for_a_pause_longer_than_it_may_wait(connection, hubspot, sleeps):
    # Another worker met a 429 with "Retry-After: 8": every worker of the account holds back, but a page does not
    # hang for it, and sends nothing meanwhile.
    ratelimit.PortalRateLimiter(connection.portal_id).pause(8)
    with pytest.raises(HubSpotRateLimited) as exc:
        read_properties(HubSpotApi.for_page(connection))
    assert sleeps == []
    assert hubspot.request_count(path_prefix=PROPERTIES) == 0
    assert 7 < exc.value.retry_after <= 8


def test_an_absurd_retry_after_pauses_the_account_for_at_most_a_minute(connection):
    limiter = ratelimit.PortalRateLimiter(connection.portal_id)
    limiter.pause(86400)
    assert 0 < limiter._pause_remaining() <= ratelimit.MAX_PAUSE
    # a shorter pause does not cut a longer one short
    limiter.pause(1)
    assert limiter._pause_remaining() > 50


def test_a_sync_run_puts_its_chunk_back_instead_of_waiting_past_its_share_of_the_in_flight_time(
        sync_event, order, hubspot, sleeps, monkeypatch):
    # The whole chunk may wait one second here (a quarter of pretix's 20 minutes in production).
    monkeypatch.setattr(sync, "CHUNK_MAX_WAIT", timedelta(seconds=1))
    contacts_mapping(sync_event)
    hubspot.fail_next(10, 429, path_prefix="/crm/objects/2026-09/contacts/batch/upsert", retry_after=3)
    enqueue(order)
    before = now()
    run_queue()
    [row] = queue_rows(order)
    assert row.failed_attempts == 0 and row.need_manual_retry is None and not row.in_flight
    # back in the queue for when HubSpot's pause is over
    assert before + timedelta(seconds=2) <= row.not_before <= now() + timedelta(seconds=4)
    assert sum(sleeps) <= 1
    assert hubspot.request_count(path_prefix="/crm/objects/2026-09/contacts/batch/upsert") == 1
    assert hubspot.records("contacts") == []

    # once HubSpot's pause is over, the order goes out
    ratelimit._local_pauses.clear()
    monkeypatch.setattr(sync, "CHUNK_MAX_WAIT", timedelta(minutes=5))
    row.not_before = now()
    row.save()
    hubspot.reset_failures()
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("contacts")) == 1


def test_urllib3s_retries_take_their_slot_of_the_shared_budget(connection, hubspot):
    # Two 503s, then the answer: HubSpot saw three requests, and so did the account's request budget.
    hubspot.fail_next(2, 503, path_prefix=PROPERTIES)
    api = HubSpotApi(connection)
    api.retry_backoff = 0
    assert read_properties(api).results
    assert hubspot.request_count(path_prefix=PROPERTIES) == 3
    window = ratelimit._local_windows[(connection.portal_id, api.limiter.limit, api.limiter.interval)]
    assert len(window) == 3
    assert api.request_count == 3
