#!/usr/bin/env python3
"""
Benchmark of the sync engine against the local HubSpot sandbox: ``make benchmark`` (or ``python tools/benchmark.py``).

1,000 orders (one buyer each) with the mappings Order → Contacts and Order → Deals, plus the deal–contact
association, go through pretix's queue (``sync_all``) twice: a first export and a re-sync of unchanged data. The same
is run with batching switched off (``HubSpotSync.batching = False``: one order per chunk) for comparison. Printed per
run: HubSpot requests (total and per order), database queries (total and per order), and wall time.

The sandbox enforces HubSpot's 110 requests per 10 s and so does the plugin's limiter; for the unbatched comparison,
which needs ~8 requests per order, both limits are lifted so that it finishes in minutes, not in a quarter of an hour
(its request count is what matters). Then, batched only, the same orders with five mappings: Order → Contacts,
Order → Companies (50 company names shared by the orders), Order → Deals, Order position → Line items and Order
position → Contacts (one attendee each), associated with each other through their association setup: company–buyer,
deal–buyer, deal–company (primary), line item–deal, attendee–deal and attendee–company. Environment:
``BENCHMARK_ORDERS`` (default 1000), ``BENCHMARK_COMPARE=0`` (batched only), ``BENCHMARK_REQUESTS=1`` (also
print each run's requests by endpoint).
It runs inside pytest with the fixtures the test suite uses (``hubspot_sandbox``, ``testbed``); add ``DB=postgres`` to
``make benchmark`` to measure on PostgreSQL.
"""
import logging
import os
import sys
import time
from collections import Counter

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDERS = int(os.environ.get("BENCHMARK_ORDERS", "1000"))
COMPARE = os.environ.get("BENCHMARK_COMPARE", "1") != "0"
SHOW_REQUESTS = os.environ.get("BENCHMARK_REQUESTS", "0") != "0"
RESULTS = []

# Loaded by pytest when it collects this file (see __main__ below), once Django is set up: the sandbox and the pretix
# side (event, item, connection …) the test suite uses too.
pytest_plugins = ["hubspot_sandbox.pytest_plugin", "testbed.fixtures"]


@pytest.fixture(scope="module", autouse=True)
def print_results():
    yield
    print()
    print("{:<28} {:>7} {:>9} {:>10} {:>9} {:>11} {:>9}".format(
        "run", "orders", "requests", "req/order", "queries", "qry/order", "wall [s]"))
    for label, n, requests, queries, wall in RESULTS:
        print("{:<28} {:>7} {:>9} {:>10.3f} {:>9} {:>11.2f} {:>9.1f}".format(
            label, n, requests, requests / n, queries, queries / n, wall))


def measure(label, orders, sandbox):
    """Queues the orders and drains pretix's queue; records HubSpot requests, database queries and wall time."""
    from django.db import connection as db_connection
    from django_scopes import scopes_disabled
    from pretix.base.services.datasync import sync_all

    from pretix_hubspot.transfer.sync import HubSpotSync
    from testbed.sync import queue_rows

    with scopes_disabled():
        for o in orders:
            HubSpotSync.enqueue_order(o, "benchmark")
    before = len(sandbox.request_log)
    queries = []

    def count_query(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    start = time.monotonic()
    with db_connection.execute_wrapper(count_query):
        while queue_rows():  # sync_all takes up to 1,000 jobs per run, like pretix's periodic task
            sync_all()
    RESULTS.append((label, len(orders), len(sandbox.request_log) - before, len(queries), time.monotonic() - start))
    if SHOW_REQUESTS:
        paths = Counter("{} {}".format(e["method"], e["path"]) for e in sandbox.request_log[before:])
        print("\n{}: {}".format(label, ", ".join("{} × {}".format(n, p) for p, n in paths.most_common())))


@pytest.mark.django_db
@pytest.mark.parametrize("batching", [True, False] if COMPARE else [True], ids=["batched", "unbatched"][:2 if COMPARE else 1])
def test_benchmark(batching, connected_event, item, hubspot_app, monkeypatch):
    from django_scopes import scopes_disabled

    from pretix_hubspot.hubspot_api import ratelimit
    from pretix_hubspot.transfer.sync import HubSpotSync
    from testbed.orders import make_order
    from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping

    count = ORDERS
    # One info line per synced order would drown the figures.
    logging.getLogger("pretix_hubspot").setLevel(logging.WARNING)
    sandbox = hubspot_app
    monkeypatch.setattr(HubSpotSync, "batching", batching)
    if not batching:
        sandbox.rate_limit = 1_000_000
        monkeypatch.setattr(ratelimit, "HUBSPOT_OAUTH_LIMIT", 1_000_000)
    add_identifier_properties(sandbox)
    event = connected_event
    contacts_mapping(event)
    deals_mapping(event)
    with scopes_disabled():
        orders = [make_order(event, item, code=f"B{i:05d}", email=f"buyer{i}@example.org",
                             attendees=[(f"Buyer Number{i}", None)]) for i in range(count)]

    def run(label):
        measure(("batched" if batching else "unbatched") + ", " + label, orders, sandbox)

    run("first export")
    assert len(sandbox.records("contacts")) == count
    assert len(sandbox.records("deals")) == count
    run("re-sync")
    assert len(sandbox.records("contacts")) == count
    deal = sandbox.records("deals")[0]
    assert len(sandbox.associations("deals", deal["id"], "contacts")) == 1


@pytest.mark.django_db
def test_benchmark_five_mappings(connected_event, item, hubspot_app, monkeypatch):
    from django_scopes import scopes_disabled

    from pretix_hubspot.models import ObjectMapping
    from testbed.orders import make_order
    from testbed.sync import add_identifier_properties, attendee_mapping, contacts_mapping, deals_mapping, prop

    count = ORDERS
    logging.getLogger("pretix_hubspot").setLevel(logging.WARNING)
    sandbox = hubspot_app
    add_identifier_properties(sandbox)
    add_identifier_properties(sandbox, ("line_items",))
    event = connected_event
    buyers = contacts_mapping(event, position=0)
    companies = ObjectMapping.objects.create(
        event=event, position=1, pretix_model="Order", external_object_type="companies",
        pretix_id_field="invoice_address_company_key", external_id_field="pretix_company_id",
        property_mappings=[prop("invoice_address_company", "name"), prop("invoice_address_city", "city")],
        associations=[association(buyers)])
    deals = deals_mapping(event, position=2)
    # the buyer (set up by the upgrade's implicit rows) and the company, as the deal's primary company
    deals.associations = deals.associations + [association(companies, type_id=5, label="Primary")]
    deals.save(update_fields=["associations"])
    line_items = ObjectMapping.objects.create(
        event=event, position=3, pretix_model="OrderPosition", external_object_type="line_items",
        pretix_id_field="ticket_id", external_id_field="pretix_order_id",
        property_mappings=[prop("product", "name"), prop("ticket_price", "price")],
        associations=[association(deals)])
    attendees = attendee_mapping(event, position=4)  # with the deal (implicit row)
    attendees.associations = attendees.associations + [association(companies)]
    attendees.save(update_fields=["associations"])
    assert {(m.pk, row["to_mapping"]) for m in (companies, deals, line_items, attendees) for row in m.associations} \
        == {(companies.pk, buyers.pk), (deals.pk, buyers.pk), (deals.pk, companies.pk), (line_items.pk, deals.pk),
            (attendees.pk, deals.pk), (attendees.pk, companies.pk)}
    with scopes_disabled():
        orders = [make_order(event, item, code=f"F{i:05d}", email=f"buyer{i}@example.org",
                             attendees=[(f"Guest Number{i}", f"guest{i}@example.org")],
                             invoice={"company": f"Company {i % 50}", "city": "Berlin", "country": "DE"})
                  for i in range(count)]

    def run(label):
        measure("5 mappings, " + label, orders, sandbox)

    run("first export")
    assert len(sandbox.records("companies")) == min(count, 50)
    assert len(sandbox.records("line_items")) == count
    assert len(sandbox.records("contacts")) == 2 * count
    deal = sandbox.records("deals")[0]
    assert len(sandbox.associations("deals", deal["id"], "contacts")) == 2  # buyer and attendee
    assert len(sandbox.associations("deals", deal["id"], "companies")) == 1
    assert len(sandbox.associations("deals", deal["id"], "line_items")) == 1
    company = sandbox.records("companies")[0]
    # per company: the buyers and attendees of its orders
    assert len(sandbox.associations("companies", company["id"], "contacts")) == 2 * len(orders) // 50
    run("re-sync")
    assert len(sandbox.records("line_items")) == count
    line_item = sandbox.records("line_items")[0]
    assert len(sandbox.associations("line_items", line_item["id"], "deals")) == 1


def association(mapping, type_id=None, label=""):
    """A row of a mapping's association setup (``ObjectMapping.associations``): with ``mapping``'s records."""
    return {"to_mapping": mapping.pk, "category": "HUBSPOT_DEFINED" if type_id else "", "type_id": type_id,
            "label": label, "remove_stale": False}


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.testutils.settings")
    sys.exit(pytest.main([os.path.abspath(__file__), "-q", "-s", "--rootdir", ROOT, "-p", "no:logging"]
                         + sys.argv[1:]))
