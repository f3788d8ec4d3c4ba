#!/usr/bin/env python3
"""
Benchmark of the marketing event against the local HubSpot sandbox: ``make benchmark-marketing-events`` (or
``python tools/benchmark_marketing_events.py``).

1,000 paid orders with one attendee each go through pretix's queue with the marketing event switched on, once with an
attendee mapping (Order position → Contacts, so participants are recorded by the contact id the mapping found) and
once without mappings (by e-mail, HubSpot creates the contacts). Then every ticket is checked in through pretix's
check-in service (the check-in signal writes the waiting rows) and the batch task sends them. Printed per run:
HubSpot requests for the registrations and for the check-ins, in total and per participant, and wall time.

With a Celery worker (PostgreSQL only, ``DB=postgres``; Redis as broker), a third run checks in
``BENCHMARK_CHECKINS_WORKER`` tickets (default 1000) as fast as this process can, while the worker sends them, and
prints the delay between a check-in and its attendance request reaching the sandbox (median and maximum).
Environment: ``BENCHMARK_ORDERS`` (default 1000). It runs inside pytest with the fixtures the test suite uses
(``hubspot_sandbox``, ``testbed``).
"""
import logging
import os
import statistics
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDERS = int(os.environ.get("BENCHMARK_ORDERS", "1000"))
WORKER_CHECKINS = int(os.environ.get("BENCHMARK_CHECKINS_WORKER", "1000"))
RESULTS = []
DELAYS = []

# Loaded by pytest when it collects this file (see __main__ below), once Django is set up: the sandbox and the pretix
# side (event, item, connection …) the test suite uses too.
pytest_plugins = ["hubspot_sandbox.pytest_plugin", "testbed.fixtures", "testbed.celery_worker.plugin"]


@pytest.fixture(scope="module", autouse=True)
def print_results():
    yield
    print()
    print("{:<58} {:>12} {:>9} {:>9} {:>9}".format("run", "participants", "requests", "req/part", "wall [s]"))
    for label, n, requests, wall in RESULTS:
        print("{:<58} {:>12} {:>9} {:>9.3f} {:>9.1f}".format(label, n, requests, requests / n, wall))
    for label, n, median, worst in DELAYS:
        print("{}: {} check-ins, delay check-in → attendance in HubSpot: median {:.1f} s, max {:.1f} s".format(
            label, n, median, worst))


def setup_event(event, hubspot, with_mapping):
    from django_scopes import scopes_disabled

    from pretix_hubspot.transfer.marketing_events import MarketingEventSettings
    from testbed.sync import add_identifier_properties, attendee_mapping

    logging.getLogger("pretix_hubspot").setLevel(logging.WARNING)
    add_identifier_properties(hubspot)
    if with_mapping:
        attendee_mapping(event)
    with scopes_disabled():
        MarketingEventSettings(event).save(enabled=True, participants="attendees", register_on="paid",
                                           checkin_list_ids=[])
        return event.checkin_lists.create(name="Main entrance")


def place_orders(event, item, count, prefix="M"):
    from django.db import transaction
    from django_scopes import scopes_disabled

    from testbed.orders import make_order

    orders = []
    with scopes_disabled():
        for i in range(count):
            with transaction.atomic():  # as pretix writes orders: with their transactions, in one database transaction
                order = make_order(event, item, code=f"{prefix}{i:05d}", email=f"buyer{i}@example.org",
                                   attendees=[(f"Guest Number{i}", f"guest{i}@example.org")])
                order.create_transactions()
                orders.append(order)
    return orders


def marketing_requests(sandbox, since):
    return sum(1 for e in sandbox.request_log[since:] if e["path"].startswith("/marketing/"))


@pytest.mark.django_db
@pytest.mark.parametrize("with_mapping", [True, False], ids=["attendee mapping", "no mapping"])
def test_registrations_and_checkins(with_mapping, connected_event, item, hubspot_app):
    from django_scopes import scopes_disabled
    from pretix.base.services.checkin import perform_checkin
    from pretix.base.services.datasync import sync_all

    from pretix_hubspot.models import PendingAttendance
    from pretix_hubspot.transfer import checkins
    from pretix_hubspot.transfer.sync import HubSpotSync
    from testbed.sync import queue_rows

    sandbox = hubspot_app
    clist = setup_event(connected_event, sandbox, with_mapping)
    orders = place_orders(connected_event, item, ORDERS)
    label = "with attendee mapping" if with_mapping else "without mappings (by e-mail)"

    with scopes_disabled():
        for order in orders:
            HubSpotSync.enqueue_order(order, "benchmark")
    before = len(sandbox.request_log)
    start = time.monotonic()
    while queue_rows():
        sync_all()
    RESULTS.append((f"registrations, {label}", ORDERS, marketing_requests(sandbox, before), time.monotonic() - start))
    RESULTS.append((f"  all requests of that sync, {label}", ORDERS, len(sandbox.request_log) - before,
                    time.monotonic() - start))
    [event] = sandbox.marketing_events()
    assert len(event["participants"]) == ORDERS

    with scopes_disabled():
        positions = [o.positions.get() for o in orders]
        start = time.monotonic()
        for position in positions:
            perform_checkin(position, clist, {})
        assert PendingAttendance.objects.filter(sent__isnull=True).count() == ORDERS
        before = len(sandbox.request_log)
        while PendingAttendance.objects.filter(sent__isnull=True).exists():
            sent, failed = checkins.send_event_attendance(connected_event)
            assert not failed
    RESULTS.append((f"check-ins, {label}", ORDERS, len(sandbox.request_log) - before, time.monotonic() - start))
    [event] = sandbox.marketing_events()
    assert {p["state"] for p in event["participants"].values()} == {"ATTENDED"}


@pytest.mark.celery_worker
def test_checkin_delay_with_a_worker(celery_worker, connected_event, item, hubspot_app):
    from django.db import transaction
    from django_scopes import scopes_disabled
    from pretix.base.services.checkin import perform_checkin

    from testbed.sync import enqueue, queue_rows, run_queue

    sandbox = hubspot_app
    clist = setup_event(connected_event, sandbox, with_mapping=True)
    orders = place_orders(connected_event, item, WORKER_CHECKINS, prefix="W")
    for order in orders:
        enqueue(order)
    run_queue()  # registrations in this process; the worker only sends check-ins
    assert not queue_rows()
    worker = celery_worker()

    checked_in = {}
    with scopes_disabled():
        positions = [(o.positions.get(), o) for o in orders]
        for position, order in positions:
            with transaction.atomic():
                perform_checkin(position, clist, {})
            checked_in[position.attendee_email] = time.time()

    def attended():
        [event] = sandbox.marketing_events()
        return sum(1 for p in event["participants"].values() if p["state"] == "ATTENDED")

    worker.wait_until(lambda: attended() == WORKER_CHECKINS, timeout=600, what="every check-in attended in HubSpot")
    # When did each participant's attendance request arrive? Contact ids → e-mail through the sandbox's records.
    emails = {r["id"]: r["properties"]["email"] for r in sandbox.records("contacts")}
    arrived = {}
    for entry in sandbox.request_log:
        if "/attend/" in entry["path"] and entry["status"] == 200:
            for item_ in (entry["json"] or {}).get("inputs", []):
                email = item_.get("email") or emails.get(str(item_.get("vid")))
                arrived.setdefault(email, entry["time"])
    delays = [arrived[email] - at for email, at in checked_in.items()]
    DELAYS.append(("worker run", len(delays), statistics.median(delays), max(delays)))
    RESULTS.append(("check-ins through the worker", WORKER_CHECKINS,
                    sum(1 for e in sandbox.request_log if "/attend/" in e["path"]),
                    max(checked_in.values()) - min(checked_in.values())))


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.testutils.settings")
    sys.exit(pytest.main([os.path.abspath(__file__), "-q", "-s", "--rootdir", ROOT, "-p", "no:logging"]
                         + sys.argv[1:]))
