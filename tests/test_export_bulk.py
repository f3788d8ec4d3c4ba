"""Queueing 50,000 existing orders: in seconds, in a bounded number of statements, without locking orders."""
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Order
from pretix.base.models.datasync import OrderSyncQueue

from pretix_hubspot.models import OrderExport
from pretix_hubspot.organizer import export

ORDER_COUNT = 50_000


def bulk_orders(event, count):
    """Orders straight into the table (no positions, no signals): the fastest way to a big event."""
    channel = event.organizer.sales_channels.get(identifier="web")
    placed = now() - timedelta(days=90)
    Order.objects.bulk_create(
        [
            Order(code=f"B{i:07d}", event=event, organizer_id=event.organizer_id, email=f"buyer{i}@example.org",
                  status=Order.STATUS_PAID if i % 10 else Order.STATUS_PENDING, locale="en", datetime=placed,
                  expires=placed + timedelta(days=10), total=10, sales_channel=channel, secret=f"s{i:015d}")
            for i in range(count)
        ],
        batch_size=5000,
    )


@pytest.mark.django_db
def test_fifty_thousand_orders_are_queued_in_bulk(connected_event, user, capsys):
    with scopes_disabled():
        bulk_orders(connected_event, ORDER_COUNT)
        selection = export.OrderSelection(status="all")
        assert export.count_orders(connected_event, selection) == ORDER_COUNT

        with CaptureQueriesContext(connection) as queries:
            started = time.monotonic()
            run = export.start_export(connected_event, user, selection)
            elapsed = time.monotonic() - started

        with capsys.disabled():
            print(f"\nqueueing {ORDER_COUNT} orders took {elapsed:.2f} s in {len(queries)} statements "
                  f"on {connection.vendor}")

        assert run.state == OrderExport.STATE_RUNNING
        assert run.selected_count == run.queued_count == ORDER_COUNT
        rows = OrderSyncQueue.objects.filter(event=connected_event, sync_provider="hubspot")
        assert rows.count() == ORDER_COUNT
        assert rows.filter(triggered_by=run.queue_tag).count() == ORDER_COUNT
        # Many orders per statement (a signal or save() per order would make this 50,000+), and orders are never
        # locked: ticket sales go on while an export is queued.
        assert len(queries) < ORDER_COUNT / 50
        assert not any("FOR UPDATE" in q["sql"].upper() for q in queries.captured_queries)

        # Progress of such a run is counted from the database in a handful of statements too.
        with CaptureQueriesContext(connection) as queries:
            progress = export.export_progress(OrderExport.objects.get(pk=run.pk))
        assert progress.waiting == ORDER_COUNT and progress.transferred == 0
        assert len(queries) < ORDER_COUNT / export.COUNT_CHUNK_SIZE + 10

        # A second start is refused while the first one runs, and queues nothing.
        with pytest.raises(export.ExportAlreadyRunning):
            export.start_export(connected_event, user, selection)
        assert rows.count() == ORDER_COUNT

        # Cancelling takes all of it back out of the queue, in one statement.
        started = time.monotonic()
        removed = export.cancel_export(run, user)
        elapsed = time.monotonic() - started
        with capsys.disabled():
            print(f"cancelling it took {elapsed:.2f} s")
        assert removed == ORDER_COUNT
        assert rows.count() == 0


@pytest.mark.django_db(transaction=True)
def test_ticket_sales_go_on_while_an_export_is_queued(connected_event, item, monkeypatch):
    """
    Between two chunks, another request can lock and pay an order the export already queued, queue it itself (as
    "Sync now" or an order trigger does) and sell a new ticket, all without waiting: the export keeps no transaction
    open across chunks, so neither its queue rows nor the orders they point to stay locked.
    """
    import threading

    from django.db import connection as default_connection, transaction

    from pretix_hubspot.transfer.sync import HubSpotSync
    from testbed.orders import make_order

    with scopes_disabled():
        bulk_orders(connected_event, 50)
    monkeypatch.setattr(export, "QUEUE_CHUNK_SIZE", 10)
    original = export._queue_chunk
    outcomes = []

    def pay_and_sell(queued_order_id):
        try:
            with scopes_disabled(), transaction.atomic():
                if default_connection.vendor == "postgresql":
                    # Waiting at all is the failure; a short timeout turns it into an error instead of a hang.
                    with default_connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '2s'")
                paid = Order.objects.select_for_update(nowait=True).get(pk=queued_order_id)
                paid.status = Order.STATUS_PAID
                paid.save(update_fields=["status"])
                HubSpotSync.enqueue_order(paid, "order_paid")
                make_order(connected_event, item, code=f"NEW{len(outcomes)}X", email="late@example.org")
            outcomes.append("ok")
        except Exception as e:  # reported by the assertion below: it shows what blocked
            outcomes.append(repr(e))
        finally:
            default_connection.close()

    def queue_chunk_then_pay_and_sell(event, run, ids):
        original(event, run, ids)
        other = threading.Thread(target=pay_and_sell, args=(ids[0],))
        other.start()
        other.join(timeout=30)

    monkeypatch.setattr(export, "_queue_chunk", queue_chunk_then_pay_and_sell)
    with scopes_disabled():
        run = export.start_export(connected_event, None, export.OrderSelection(status="all"))
        assert outcomes == ["ok"] * 5
        # Every order is queued once; the five paid ones now under the name of their own trigger.
        assert run.selected_count == 50
        assert OrderSyncQueue.objects.filter(event=connected_event, sync_provider="hubspot").count() == 50
        assert OrderSyncQueue.objects.filter(triggered_by=run.queue_tag).count() == 45
        # The export put all 50 into the queue (none was waiting before), counted as it went.
        assert run.queued_count == 50
        assert Order.objects.filter(event=connected_event, code__startswith="NEW").count() == 5
