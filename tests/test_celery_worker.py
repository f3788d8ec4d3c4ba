"""
The background paths in a real Celery worker: a second process with Redis as broker, the test's database and the
HubSpot sandbox. This process only publishes tasks (as pretix's web processes do); the worker runs them.

Deselected on SQLite's in-memory test database, which no second process can open (see testbed/celery_worker/plugin.py);
``make test DB=postgres`` runs them.
"""
from collections import Counter

import pytest
from django.db import transaction
from django_scopes import scopes_disabled
from pretix.base.services.datasync import periodic_sync_all

from pretix_hubspot import tasks
from testbed.orders import make_order
from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping, enqueue, queue_rows

pytestmark = pytest.mark.celery_worker

CONTINUE_SYNC = "pretix_hubspot.tasks.continue_sync"
SYNC_ALL = "pretix.base.services.datasync.sync_all"
SYNC_SINGLE = "pretix.base.services.datasync.sync_single"
DEADLINE = 60  # seconds; a run of a few orders against the local sandbox takes well under one


@pytest.fixture(autouse=True)
def fresh_continuation_guard(monkeypatch):
    # This process starts chains like a web process would; its in-process guard against starting two chains at once
    # must not remember a chain of an earlier test.
    monkeypatch.setattr(tasks, "_local_guard", {})


@pytest.fixture
def setup(connected_event, hubspot_app):
    add_identifier_properties(hubspot_app)
    contacts_mapping(connected_event)
    deals_mapping(connected_event)
    return connected_event


def place(event, item, count):
    with scopes_disabled():
        return [make_order(event, item, code=f"W{i:04d}", email=f"buyer{i}@example.org") for i in range(count)]


def order_url(event, order, suffix=""):
    return f"/control/event/{event.organizer.slug}/{event.slug}/orders/{order.code}/{suffix}"


def start_chain():
    """What the provider does when a run ends with due jobs left (pretix's own run takes at most 1,000)."""
    with transaction.atomic():
        tasks.schedule_continuation()  # publishes continue_sync on commit


def assert_each_order_once_in_hubspot(hubspot, orders):
    deals = Counter(d["properties"].get("pretix_order_id") for d in hubspot.records("deals", include_archived=False))
    contacts = Counter(c["properties"].get("email") for c in hubspot.records("contacts", include_archived=False))
    assert deals == Counter(o.full_code for o in orders)
    assert contacts == Counter(o.email for o in orders)


def test_a_queue_longer_than_one_run_drains_through_continuations_in_the_worker(celery_worker, setup, item, hubspot):
    worker = celery_worker(RUN_LIMIT=2)
    orders = place(setup, item, 7)
    for order in orders:
        enqueue(order)

    start_chain()

    # 7 orders at 2 per run: four runs, each scheduled by the one before, with no periodic run in between
    worker.wait_until(lambda: not queue_rows() and worker.succeeded(CONTINUE_SYNC) == 4, timeout=DEADLINE,
                      what="the queue drained by four continuation runs")
    assert_each_order_once_in_hubspot(hubspot, orders)
    assert worker.received(SYNC_ALL) == 0
    # the last run found nothing left and scheduled no further round
    worker.holds(lambda: worker.received(CONTINUE_SYNC) == 4, seconds=tasks.COUNTDOWN + 2,
                 what="no fifth continuation is scheduled")


def test_the_chain_stops_after_max_rounds_and_the_periodic_run_takes_over(celery_worker, setup, item, hubspot):
    worker = celery_worker(RUN_LIMIT=1, MAX_ROUNDS=2)
    orders = place(setup, item, 5)
    for order in orders:
        enqueue(order)

    start_chain()

    worker.wait_until(lambda: "ends after 2 rounds" in worker.log, timeout=DEADLINE,
                      what="the continuation chain ends after two rounds")
    assert worker.succeeded(CONTINUE_SYNC) == 2
    assert len(queue_rows()) == 3
    assert len(hubspot.records("deals")) == 2

    # pretix's periodic_task receiver publishes sync_all; the worker takes the rest in one run
    periodic_sync_all(sender=None)
    worker.wait_until(lambda: not queue_rows() and worker.succeeded(SYNC_ALL) == 1, timeout=DEADLINE,
                      what="the periodic run transfers the remaining orders")
    assert_each_order_once_in_hubspot(hubspot, orders)


def test_sync_now_on_the_order_page_runs_in_the_worker(celery_worker, setup, order, admin_client, hubspot):
    worker = celery_worker()

    response = admin_client.post(order_url(setup, order, "sync_job/hubspot/"), {"queue_sync": "true"})
    assert response.status_code == 302

    worker.wait_until(lambda: not queue_rows(order) and worker.succeeded(SYNC_SINGLE) == 1, timeout=DEADLINE,
                      what="Sync now transfers the order")
    [contact] = hubspot.records("contacts", include_archived=False)
    assert contact["properties"]["email"] == "jane.doe@example.org"
    assert contact["properties"]["lastname"] == "Doe"
    [deal] = hubspot.records("deals", include_archived=False)
    assert deal["properties"]["pretix_order_id"] == order.full_code
    # the order page links to the records the worker wrote
    page = admin_client.get(order_url(setup, order)).content.decode()
    assert "/record/0-1/{}".format(contact["id"]) in page


def test_sync_now_while_others_wait_starts_a_chain_for_them(celery_worker, setup, item, order, admin_client, hubspot):
    worker = celery_worker(RUN_LIMIT=2)
    waiting = place(setup, item, 3)
    for other in waiting:
        enqueue(other)

    admin_client.post(order_url(setup, order, "sync_job/hubspot/"), {"queue_sync": "true"})

    # sync_single transfers the one order; its run leaves three due jobs, so it schedules the continuation
    worker.wait_until(lambda: not queue_rows() and worker.succeeded(CONTINUE_SYNC) == 2, timeout=DEADLINE,
                      what="the waiting orders transferred by two continuation runs")
    assert worker.succeeded(SYNC_SINGLE) == 1
    assert worker.received(SYNC_ALL) == 0
    assert Counter(d["properties"].get("pretix_order_id") for d in hubspot.records("deals")) == Counter(
        o.full_code for o in [order, *waiting])
