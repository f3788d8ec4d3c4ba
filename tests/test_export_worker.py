"""
The export of existing orders through a real Celery worker: the click only records the export and publishes its
task; the worker queues the orders and the queue drains into HubSpot. An export whose queueing stopped is queued to
the end by the periodic task, and a task that runs twice queues nothing twice. Deselected on SQLite's in-memory
database (see testbed/celery_worker/plugin.py); ``make test DB=postgres`` runs it.
"""
from collections import Counter
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled

from pretix_hubspot.models import OrderExport
from pretix_hubspot.organizer import export
from pretix_hubspot.signals import export_restart_stopped
from testbed.orders import make_order
from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping, queue_rows

pytestmark = pytest.mark.celery_worker

QUEUE_EXPORT = "pretix_hubspot.organizer.export.queue_export"
DEADLINE = 60  # seconds; a few orders against the local sandbox take well under one


@pytest.fixture
def setup(connected_event, hubspot_app):
    add_identifier_properties(hubspot_app)
    contacts_mapping(connected_event)
    deals_mapping(connected_event)
    return connected_event


def place(event, item, count):
    with scopes_disabled():
        return [make_order(event, item, code=f"X{i:04d}", email=f"buyer{i}@example.org") for i in range(count)]


def the_export():
    with scopes_disabled():
        return OrderExport.objects.get()


def deals_by_order(hubspot):
    return Counter(d["properties"].get("pretix_order_id") for d in hubspot.records("deals", include_archived=False))


def test_starting_an_export_hands_the_queueing_to_the_worker(celery_worker, setup, item, admin_client, hubspot):
    worker = celery_worker()
    orders = place(setup, item, 6)

    response = admin_client.post(f"/control/event/{setup.organizer.slug}/{setup.slug}/hubspot/export/start/",
                                 {"status": "all"}, follow=True)
    assert "6 orders are queued for HubSpot." in response.content.decode()

    worker.wait_until(lambda: worker.succeeded(QUEUE_EXPORT) == 1 and not queue_rows()
                      and len(hubspot.records("deals")) == 6, timeout=DEADLINE,
                      what="the worker queued the export and the queue drained into HubSpot")
    assert deals_by_order(hubspot) == Counter(o.full_code for o in orders)
    run = the_export()
    assert (run.selected_count, run.queued_count) == (6, 6)
    page = admin_client.get(f"/control/event/{setup.organizer.slug}/{setup.slug}/hubspot/export/").content.decode()
    assert "6 of 6 transferred, 0 failed, 0 waiting" in page

    # The page showed it finished without writing; the periodic task records it.
    assert run.state == OrderExport.STATE_RUNNING
    export_restart_stopped(sender=None)
    assert the_export().state == OrderExport.STATE_FINISHED


def test_a_stopped_export_is_queued_to_the_end_once_even_if_restarted_twice(celery_worker, setup, item, hubspot):
    worker = celery_worker()
    orders = place(setup, item, 5)
    ids = sorted(o.pk for o in orders)
    with scopes_disabled():
        # A worker died after the first chunk of two orders, long enough ago for the periodic task to notice.
        stopped = OrderExport.objects.create(
            event=setup, state=OrderExport.STATE_QUEUEING, filters={"status": "all"}, order_ids=ids,
            selected_count=5, created=now() - export.QUEUEING_TIMEOUT - timedelta(minutes=1),
        )
        export._queue_chunk(setup, stopped, ids[:2])

    # The periodic task publishes the task again; a redelivery of the lost one arrives as well. The worker (two
    # processes) may run both at once.
    export_restart_stopped(sender=None)
    export.queue_export.apply_async(args=(setup.pk, stopped.pk))

    worker.wait_until(lambda: worker.succeeded(QUEUE_EXPORT) == 2 and not queue_rows()
                      and len(hubspot.records("deals")) == 5, timeout=DEADLINE,
                      what="both runs of the task ended and the queue drained into HubSpot")
    assert deals_by_order(hubspot) == Counter(o.full_code for o in orders)
    run = the_export()
    assert run.state == OrderExport.STATE_RUNNING
    assert run.queued_count == 5
