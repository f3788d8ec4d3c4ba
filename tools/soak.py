#!/usr/bin/env python3
"""
Soak test at production shape: ``make soak`` (``SOAK_ORDERS=N``, default 2,000; PostgreSQL and Redis needed).

Two events of one organizer share one HubSpot account (the local sandbox). Their orders (Order → Contacts and
Order → Deals, the deal associated with the buyer's contact) are queued at once and drained by two real Celery
worker processes (Redis as broker and as the shared cache that holds the account's request budget), while this
process plays pretix's periodic task and the HubSpot sandbox injects faults:

- 10% 5xx answers (500, 502 with an HTML body, 503) and 5% requests that time out, on every CRM endpoint;
- 2% lost answers: the request is applied, then the connection drops before the answer arrives;
- bursts of 429 with ``Retry-After: 2`` every 15 seconds;
- an expiry of every access token at a quarter of the run;
- the app uninstalled from the account at 40% of the run and reconnected through HubSpot's consent screens seconds
  later, while the workers keep draining;
- one order in a hundred given an e-mail address HubSpot rejects, on purpose.

Temporary failures are retried after a few seconds instead of 5, 15, 45 … minutes, so the run takes minutes. At the
end it checks, and prints: every order's contact and deal exist exactly once, with the deal associated with that
contact and the order's sync results pointing at them (0 duplicates, 0 lost); no order is left in flight, waiting or
parked except the ones given invalid data on purpose, each with its reason; HubSpot never answered 429 on its own
(the rate limit was never exceeded: only injected 429s). It exits non-zero when a check fails.

It runs inside pytest (like tools/benchmark.py), with the sandbox, pretix-side and worker set-up of ``hubspot_sandbox``
and ``testbed``.
Environment: ``SOAK_ORDERS`` (2000), ``SOAK_TIMEOUT`` (seconds, default 120 + 0.5 per order), ``SOAK_REDIS_DB`` (14,
the Redis database of the workers' broker and cache; flushed before and after), ``SOAK_UNINSTALL=0`` (leaves out the
uninstall + reconnect step).
"""
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDERS = int(os.environ.get("SOAK_ORDERS", "2000"))
TIMEOUT = float(os.environ.get("SOAK_TIMEOUT", 120 + ORDERS * 0.5))
REDIS_DB = os.environ.setdefault("PRETIX_HUBSPOT_TEST_REDIS_DB", os.environ.get("SOAK_REDIS_DB", "14"))
INVALID_EVERY = 100  # one order in a hundred gets an e-mail address HubSpot rejects
PERIOD = 3.0  # seconds between two "periodic task" runs of this process
RETRY_SECONDS = 3  # instead of 5, 15, 45 … minutes after a temporary error
UNINSTALL = os.environ.get("SOAK_UNINSTALL", "1") != "0"
WORKERS = 2

# Loaded by pytest when it collects this file (see __main__ below), once Django is set up: the sandbox and the pretix
# side (event, item, connection …) the test suite uses too.
pytest_plugins = ["hubspot_sandbox.pytest_plugin", "testbed.fixtures"]


def figure(label, value):
    print("  {:<58} {}".format(label, value))


class Faults:
    """The sandbox's fault knobs, set for the whole run, and the timed events of the run."""

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def start(self):
        s = self.sandbox
        for kind, rate in ((500, 0.04), (502, 0.03), (503, 0.03), ("timeout", 0.05), ("lost_response", 0.02)):
            s.error_rate(kind, rate, path_prefix="/crm/")
        # a timeout is HubSpot holding the request: 1.5 s here, and pretix gives up after 1 s
        s.timeout_seconds = 1.5

    @staticmethod
    def burst_of_429(sandbox):
        sandbox.fail_next(6, 429, path_prefix="/crm/", retry_after=2)


def max_in_window(times, seconds=10.0):
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.django_db(transaction=True)
def test_soak(organizer, event, item, user, team, connection, connected_event, hubspot_app, admin_client,
              connect_via_hubspot, settings):
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection as db_connection, transaction
    from django.utils.timezone import now
    from django_scopes import scopes_disabled
    from pretix.base.models import Event, Item
    from pretix.base.models.datasync import OrderSyncQueue, OrderSyncResult
    from pretix.base.services.datasync import sync_all
    from pretix.base.settings import GlobalSettingsObject
    from pretix.celery_app import app

    from pretix_hubspot.models import EventConnection, HubSpotConnection
    from pretix_hubspot.transfer.sync import HubSpotSync
    from testbed.celery_worker.plugin import publishing_to_worker
    from testbed.celery_worker.process import BROKER_URL, CeleryWorker, flush_broker
    from testbed.orders import make_order
    from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping

    logging.getLogger("pretix_hubspot").setLevel(logging.WARNING)
    sandbox = hubspot_app
    portal = sandbox.default_portal_id
    add_identifier_properties(sandbox)
    GlobalSettingsObject().settings.set("hubspot_timeout", "1")

    # two events of one organizer, one connection (one HubSpot account), the same mappings
    with scopes_disabled():
        second = Event.objects.create(organizer=organizer, name="Winter Conf", slug="winterconf",
                                      date_from=now() + timedelta(days=90), currency="EUR", plugins=event.plugins,
                                      live=True)
        second_item = Item.objects.create(event=second, name="Winter ticket", default_price=Decimal("80.00"),
                                          admission=True)
        EventConnection.objects.create(event=second, connection=connection, connected_by=user,
                                       connected_at=now() - timedelta(hours=1))
        events = [(event, item), (second, second_item)]
        for ev, _item in events:
            contacts_mapping(ev)
            deals_mapping(ev)

        started_setup = time.monotonic()
        orders, invalid = [], set()
        for i in range(ORDERS):
            ev, it = events[i % 2]
            bad = i % INVALID_EVERY == INVALID_EVERY // 2
            with transaction.atomic():
                o = make_order(ev, it, code=f"S{i:05d}", email=f"broken{i}@" if bad else f"buyer{i}@example.org")
                o.create_transactions()  # as pretix does in the transaction that places an order
                HubSpotSync.enqueue_order(o, "soak")
            orders.append(o)
            if bad:
                invalid.add(o.pk)
    setup_seconds = time.monotonic() - started_setup

    # two workers, sharing the account's request budget through Redis as pretix's cache
    os.environ["PRETIX_HUBSPOT_TEST_CACHE"] = BROKER_URL
    os.environ["PRETIX_HUBSPOT_TEST_RETRY_SECONDS"] = str(RETRY_SECONDS)
    flush_broker()
    # Not pytest's tmp_path: other pytest runs on the machine rotate those away, worker logs included.
    directory = Path(tempfile.mkdtemp(prefix="pretix-hubspot-soak-"))
    workers = [CeleryWorker(database=db_connection.settings_dict, secret_key=settings.SECRET_KEY,
                            directory=directory / f"worker{n}", concurrency=1)
               for n in range(WORKERS)]
    try:
        for w in workers:
            w.start()
        config = workers[0].publisher_config
        for name, value in config["django"].items():
            setattr(settings, name, value)
        settings.HAS_CELERY = True
        settings.CELERY_ALWAYS_EAGER = settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = config["celery"]["broker_url"]
        settings.CELERY_RESULT_BACKEND = config["celery"]["result_backend"]
        with publishing_to_worker(app, config["celery"]):
            report = drive(sandbox, portal, workers, orders, admin_client, connect_via_hubspot, second, sync_all)
    finally:
        for w in workers:
            w.stop()
        flush_broker()
        for name in ("PRETIX_HUBSPOT_TEST_CACHE", "PRETIX_HUBSPOT_TEST_RETRY_SECONDS"):
            os.environ.pop(name, None)

    # --- checks ---------------------------------------------------------------------------------------------------
    sandbox.reset_failures()
    with scopes_disabled():
        rows = list(OrderSyncQueue.objects.filter(sync_provider="hubspot").select_related("order"))
        results = Counter()
        result_ids = {}
        for r in OrderSyncResult.objects.filter(sync_provider="hubspot"):
            results[r.order_id] += 1
            result_ids[(r.order_id, r.external_object_type)] = (r.sync_info or {}).get("object_id")
        reasons = {}
        for row in rows:
            if row.need_manual_retry:
                entry = row.order.all_logentries().filter(
                    action_type__startswith="pretix.event.order.data_sync.failed").order_by("-pk").first()
                reasons[row.order_id] = " ".join(entry.parsed_data.get("error") or []) if entry else ""
        connection_state = HubSpotConnection.objects.get(pk=connection.pk)

    contacts = [c for c in sandbox.records("contacts", include_archived=False)]
    deals = [d for d in sandbox.records("deals", include_archived=False)]
    contacts_by_email = Counter((c["properties"].get("email") or "").lower() for c in contacts)
    deals_by_code = Counter(d["properties"].get("pretix_order_id") for d in deals)
    contact_id = {(c["properties"].get("email") or "").lower(): c["id"] for c in contacts}
    deal_id = {d["properties"].get("pretix_order_id"): d["id"] for d in deals}

    valid = [o for o in orders if o.pk not in invalid]
    lost, duplicates, wrong_association, wrong_result = [], [], [], []
    for o in valid:
        n_contacts, n_deals = contacts_by_email[o.email.lower()], deals_by_code[o.full_code]
        if n_contacts == 0 or n_deals == 0:
            lost.append(o.full_code)
        if n_contacts > 1 or n_deals > 1:
            duplicates.append(o.full_code)
        if n_contacts and n_deals and sandbox.associations("deals", deal_id[o.full_code], "contacts") != \
                [contact_id[o.email.lower()]]:
            wrong_association.append(o.full_code)
        if (results[o.pk] != 2 or result_ids.get((o.pk, "contacts")) != contact_id.get(o.email.lower())
                or result_ids.get((o.pk, "deals")) != deal_id.get(o.full_code)):
            wrong_result.append(o.full_code)
    stuck = [r.order.full_code for r in rows if r.in_flight]
    waiting = [r.order.full_code for r in rows if not r.in_flight and not r.need_manual_retry]
    parked = {r.order_id: r.need_manual_retry for r in rows if r.need_manual_retry}
    parked_unexpected = sorted(o.full_code for o in orders if o.pk in parked and o.pk not in invalid)
    invalid_without_reason = [o.full_code for o in orders if o.pk in invalid
                              and not (parked.get(o.pk) == "permanent" and o.email in reasons.get(o.pk, ""))]
    # records no order accounts for (the invalid orders' deals are written: only their contact is refused)
    extra_contacts = sum(n for email, n in contacts_by_email.items() if email not in {o.email.lower() for o in valid})
    extra_deals = sum(n for code, n in deals_by_code.items() if code not in {o.full_code for o in orders})

    log = list(sandbox.request_log)
    statuses = Counter(str(e["status"]) for e in log if e.get("status") is not None)
    injected = Counter(str(e.get("injected")) for e in log if e.get("injected"))
    own_429 = sum(1 for e in log if e.get("status") == 429 and not e.get("injected"))
    counted = [e["time"] for e in log if e.get("portal_id") == portal and e.get("status") != 429]

    print()
    print("Soak run: {} orders in 2 events of one organizer, one HubSpot account, {} Celery workers".format(
        len(orders), WORKERS))
    figure("orders placed and queued (setup) [s]", "{:.1f}".format(setup_seconds))
    figure("drained in [s]", "{:.1f}".format(report["seconds"]))
    figure("orders per second", "{:.1f}".format(len(orders) / max(report["seconds"], 0.001)))
    figure("HubSpot requests (CRM and OAuth)", len(log))
    figure("  answers by status", dict(sorted(statuses.items())))
    figure("  injected faults", dict(sorted(injected.items())))
    figure("  429 bursts, token expiries, uninstall + reconnect", "{}, {}, {}".format(
        report["bursts"], report["expiries"], report["reconnects"]))
    figure("  runs of sync_all published / continuations run", "{} / {}".format(
        report["periodic_runs"], sum(w.succeeded("pretix_hubspot.tasks.continue_sync") for w in workers)))
    figure("  sync_all runs per worker", [w.succeeded("pretix.base.services.datasync.sync_all") for w in workers])
    figure("429 answered by HubSpot's own limit (not injected)", own_429)
    figure("most requests to the account in any 10 s (limit 110)", max_in_window(counted))
    figure("orders with valid data", len(valid))
    figure("  contacts and deals exactly once, deal associated with the contact", len(valid) - len(
        set(lost) | set(duplicates) | set(wrong_association)))
    figure("  lost (a record missing)", len(lost))
    figure("  duplicates (a record twice)", len(duplicates))
    figure("  extra records (contacts, deals)", "{}, {}".format(extra_contacts, extra_deals))
    figure("  wrong association", len(wrong_association))
    figure("  sync results not pointing at the records", len(wrong_result))
    figure("in flight (stuck)", len(stuck))
    figure("still waiting in the queue", len(waiting))
    figure("parked, other than on purpose", len(parked_unexpected))
    figure("given invalid data on purpose, parked with their reason", "{} of {}".format(
        len(invalid) - len(invalid_without_reason), len(invalid)))
    for pk in sorted(invalid)[:3]:
        figure("  e.g.", reasons.get(pk, "")[:110])
    for pk in [o.pk for o in orders if o.full_code in parked_unexpected][:5]:
        figure("  parked: " + parked[pk], reasons.get(pk, "")[:100])
    figure("connection needs a reconnect at the end", connection_state.needs_reconnect)
    figure("worker logs", str(directory))

    assert not report["timed_out"], "the queue did not drain within {} s".format(TIMEOUT)
    assert own_429 == 0
    assert not lost and not duplicates and not wrong_association and not wrong_result
    assert extra_contacts == 0 and extra_deals == 0
    assert not stuck and not waiting and not parked_unexpected and not invalid_without_reason
    assert not connection_state.needs_reconnect


def drive(sandbox, portal, workers, orders, admin_client, connect_via_hubspot, event, sync_all):
    """Plays pretix's periodic task until the queue is drained, and sets off the faults on the way."""
    from django_scopes import scopes_disabled
    from pretix.base.models.datasync import OrderSyncQueue

    faults = Faults(sandbox)
    faults.start()
    total = len(orders)
    report = {"bursts": 0, "expiries": 0, "reconnects": 0, "periodic_runs": 0, "timed_out": False}
    started = time.monotonic()
    next_burst = started + 5
    next_period = started
    expired = reconnected = False

    def open_rows():
        with scopes_disabled():
            qs = OrderSyncQueue.objects.filter(sync_provider="hubspot")
            return qs.filter(need_manual_retry__isnull=True).count(), qs.filter(in_flight=True).count()

    while True:
        remaining, in_flight = open_rows()
        done_share = 1 - remaining / total
        if remaining == 0:
            break
        if time.monotonic() - started > TIMEOUT:
            report["timed_out"] = True
            break
        for w in workers:
            if not w.running:
                raise AssertionError("a Celery worker died:\n" + w.log_tail())
        if not expired and done_share >= 0.25:
            sandbox.expire_access_tokens()
            report["expiries"] += 1
            expired = True
        if UNINSTALL and not reconnected and done_share >= 0.4:
            # The app is uninstalled in HubSpot while the workers drain; someone reconnects a few seconds later.
            sandbox.uninstall(portal)
            time.sleep(4)
            _reconnect(sandbox, admin_client, connect_via_hubspot, event)
            report["reconnects"] += 1
            reconnected = True
        if time.monotonic() >= next_burst:
            Faults.burst_of_429(sandbox)
            report["bursts"] += 1
            next_burst += 15
        if time.monotonic() >= next_period:
            sync_all.apply_async()  # what pretix's periodic task publishes
            report["periodic_runs"] += 1
            next_period = time.monotonic() + PERIOD
        time.sleep(0.5)
    # in-flight rows end with their run; wait for them so the checks see the final state
    deadline = time.monotonic() + 60
    while open_rows()[1] and time.monotonic() < deadline:
        time.sleep(0.5)
    report["seconds"] = time.monotonic() - started
    return report


def _reconnect(sandbox, admin_client, connect_via_hubspot, event):
    # HubSpot's consent screens must not meet an injected fault: that is not what this step is about.
    rates, sandbox._error_rates = sandbox._error_rates, []
    try:
        page = connect_via_hubspot(admin_client, event)
    finally:
        sandbox._error_rates = rates
    assert "The HubSpot integration is now active" in page.content.decode(), "the reconnect failed"


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.testutils.settings")
    backend = os.environ.get("PRETIX_DATABASE_BACKEND", "")
    if backend != "postgresql":
        sys.exit("The soak run needs PostgreSQL (its Celery workers open the same database): make soak")
    sys.exit(pytest.main([os.path.abspath(__file__), "-q", "-s", "--rootdir", ROOT, "-p", "no:logging",
                          "-p", "no:cacheprovider"] + sys.argv[1:]))
