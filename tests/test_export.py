"""Export of existing orders and sending transferred orders again: choosing, counting, queueing, cancelling, progress."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Item, LogEntry, Order
from pretix.base.models.datasync import OrderSyncQueue, OrderSyncResult

from pretix_hubspot.models import ObjectMapping, OrderExport
from pretix_hubspot.organizer import export
from pretix_hubspot.signals import export_restart_stopped  # pretix's periodic task calls it
from testbed.orders import make_order

UTC = timezone.utc


def url(event, name="export", **kwargs):
    from django.urls import reverse

    return reverse(f"plugins:pretix_hubspot:{name}", kwargs={
        "organizer": event.organizer.slug, "event": event.slug, **kwargs,
    })


@pytest.fixture
def workshop(event):
    return Item.objects.create(event=event, name="Workshop", default_price=Decimal("80.00"), admission=True)


@pytest.fixture
def orders(connected_event, item, workshop):
    """Eight orders of a connected event, placed in 2026 (before the connection), with different states."""
    ev = connected_event
    spec = [
        # code, status, placed (UTC), product
        ("PAID1", Order.STATUS_PAID, datetime(2026, 3, 1, 10, tzinfo=UTC), item),
        ("PAID2", Order.STATUS_PAID, datetime(2026, 3, 15, 10, tzinfo=UTC), workshop),
        ("PAID3", Order.STATUS_PAID, datetime(2026, 4, 2, 10, tzinfo=UTC), item),
        ("PEND1", Order.STATUS_PENDING, datetime(2026, 3, 10, 10, tzinfo=UTC), workshop),
        ("PEND2", Order.STATUS_PENDING, datetime(2026, 4, 20, 10, tzinfo=UTC), item),
        ("CANC1", Order.STATUS_CANCELED, datetime(2026, 3, 20, 10, tzinfo=UTC), workshop),
        ("EXPI1", Order.STATUS_EXPIRED, datetime(2026, 3, 21, 10, tzinfo=UTC), item),
        # 22:30 UTC on 31 March is 00:30 on 1 April in Berlin: the date filters speak the event's time zone.
        ("LATE1", Order.STATUS_PAID, datetime(2026, 3, 31, 22, 30, tzinfo=UTC), item),
    ]
    ev.settings.timezone = "Europe/Berlin"
    result = {}
    for code, status, placed, product in spec:
        result[code] = make_order(ev, product, code=code, email=f"{code.lower()}@example.org",
                                  attendees=[(f"Buyer {code}", f"{code.lower()}@example.org")], status=status,
                                  placed=placed)
    return result


def queued_codes(event):
    with scopes_disabled():
        return sorted(OrderSyncQueue.objects.filter(event=event, sync_provider="hubspot")
                      .values_list("order__code", flat=True))


def selection(**kwargs):
    return export.OrderSelection(**kwargs)


def codes(event, sel):
    with scopes_disabled():
        return sorted(sel.orders(event).values_list("code", flat=True))


# --- Choosing and counting ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_status_filters_choose_the_matching_orders(connected_event, orders):
    ev = connected_event
    assert codes(ev, selection(status="paid")) == ["LATE1", "PAID1", "PAID2", "PAID3"]
    assert codes(ev, selection(status="pending")) == ["PEND1", "PEND2"]
    assert codes(ev, selection(status="cancelled")) == ["CANC1"]
    assert len(codes(ev, selection(status="all"))) == 8


@pytest.mark.django_db
def test_date_range_is_inclusive_and_in_the_event_time_zone(connected_event, orders):
    ev = connected_event
    from datetime import date

    march = selection(status="all", date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    # LATE1 was placed at 00:30 on 1 April, Berlin time.
    assert codes(ev, march) == ["CANC1", "EXPI1", "PAID1", "PAID2", "PEND1"]
    assert codes(ev, selection(status="paid", date_from=date(2026, 4, 1))) == ["LATE1", "PAID3"]
    assert codes(ev, selection(status="all", date_to=date(2026, 3, 10))) == ["PAID1", "PEND1"]


@pytest.mark.django_db
def test_product_filter_includes_cancelled_orders_of_that_product(connected_event, orders, workshop):
    ev = connected_event
    with scopes_disabled():
        orders["CANC1"].positions.update(canceled=True)
    assert codes(ev, selection(status="all", item_id=workshop.pk)) == ["CANC1", "PAID2", "PEND1"]
    assert codes(ev, selection(status="paid", item_id=workshop.pk)) == ["PAID2"]


@pytest.mark.django_db
def test_orders_of_other_events_are_never_chosen(connected_event, orders, event_without_plugin, item):
    with scopes_disabled():
        other_item = Item.objects.create(event=event_without_plugin, name="Ticket", default_price=Decimal("10"))
        make_order(event_without_plugin, other_item, code="OTHER", email="x@example.org")
    assert "OTHER" not in codes(connected_event, selection(status="all"))


@pytest.mark.django_db
def test_page_counts_the_selection_before_anything_is_queued(connected_event, orders, admin_client, workshop):
    resp = admin_client.get(url(connected_event), {"status": "paid", "date_from": "2026-03-01",
                                                   "date_to": "2026-03-31", "item": ""})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "2 orders match this selection." in html
    assert "Export 2 orders to HubSpot" in html
    assert queued_codes(connected_event) == []
    assert not OrderExport.objects.exists()

    resp = admin_client.get(url(connected_event), {"status": "pending", "item": workshop.pk})
    assert "1 order matches this selection." in resp.content.decode()


@pytest.mark.django_db
def test_page_rejects_a_reversed_date_range(connected_event, orders, admin_client):
    resp = admin_client.get(url(connected_event), {"status": "all", "date_from": "2026-04-01",
                                                   "date_to": "2026-03-01"})
    html = resp.content.decode()
    assert "The first date must not be after the second one." in html
    assert "match this selection" not in html


@pytest.mark.django_db
def test_page_without_selection_offers_the_form_only(connected_event, orders, admin_client):
    resp = admin_client.get(url(connected_event))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "Count orders" in html
    assert "match this selection" not in html


# --- Starting ---------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_start_queues_the_chosen_orders_and_logs_it(connected_event, orders, admin_client, user):
    resp = admin_client.post(url(connected_event, "export.start"), {"status": "paid", "date_from": "2026-03-01",
                                                                    "date_to": "2026-03-31"}, follow=True)
    assert resp.status_code == 200
    assert "2 orders are queued for HubSpot." in resp.content.decode()
    assert queued_codes(connected_event) == ["PAID1", "PAID2"]
    with scopes_disabled():
        run = OrderExport.objects.get()
        assert run.state == OrderExport.STATE_RUNNING
        assert run.created_by == user
        assert run.selected_count == run.queued_count == 2
        assert run.filters == {"status": "paid", "date_from": "2026-03-01", "date_to": "2026-03-31", "item": None}
        rows = OrderSyncQueue.objects.filter(event=connected_event)
        assert {r.triggered_by for r in rows} == {f"pretix_hubspot.export:{run.pk}"}
        assert all(r.not_before <= now() and not r.in_flight and r.need_manual_retry is None for r in rows)
        entry = LogEntry.objects.get(event=connected_event, action_type="pretix_hubspot.export.started")
        assert entry.user == user
        assert entry.parsed_data["count"] == 2
        assert entry.display() == "An export of 2 existing orders to HubSpot has been started."


@pytest.mark.django_db
def test_orders_already_waiting_are_not_queued_twice(connected_event, orders):
    from pretix_hubspot.transfer.sync import HubSpotSync

    with scopes_disabled():
        HubSpotSync.enqueue_order(orders["PAID1"], "order_paid")
        run = export.start_export(connected_event, None, selection(status="paid"))
        assert queued_codes(connected_event) == ["LATE1", "PAID1", "PAID2", "PAID3"]
        assert run.selected_count == 4
        assert run.queued_count == 3
        # The row the order trigger made is left as it was.
        assert OrderSyncQueue.objects.get(order=orders["PAID1"]).triggered_by == "order_paid"


@pytest.mark.django_db
def test_an_order_in_flight_gets_a_second_row_so_the_newest_state_is_sent(connected_event, orders):
    with scopes_disabled():
        OrderSyncQueue.objects.create(order=orders["PAID1"], event=connected_event, sync_provider="hubspot",
                                      triggered_by="order_paid", not_before=now(), in_flight=True,
                                      in_flight_since=now())
        run = export.start_export(connected_event, None, selection(status="paid"))
        assert run.queued_count == 4
        assert OrderSyncQueue.objects.filter(order=orders["PAID1"]).count() == 2


@pytest.mark.django_db
def test_export_retries_orders_that_wait_for_a_manual_retry(connected_event, orders):
    with scopes_disabled():
        OrderSyncQueue.objects.create(order=orders["PAID1"], event=connected_event, sync_provider="hubspot",
                                      triggered_by="order_paid", not_before=now() - timedelta(days=1),
                                      need_manual_retry="exceeded", failed_attempts=5)
        run = export.start_export(connected_event, None, selection(status="paid"))
        row = OrderSyncQueue.objects.get(order=orders["PAID1"])
        assert row.need_manual_retry is None
        assert row.failed_attempts == 0
        assert row.triggered_by == run.queue_tag
        assert run.queued_count == 4


@pytest.mark.django_db
def test_export_of_nothing_says_so(connected_event, orders, admin_client):
    resp = admin_client.post(url(connected_event, "export.start"), {"status": "paid", "date_from": "2030-01-01"},
                             follow=True)
    assert "No order matches this selection, so nothing was queued." in resp.content.decode()
    assert queued_codes(connected_event) == []
    with scopes_disabled():
        assert OrderExport.objects.get().state == OrderExport.STATE_FINISHED


# --- Starting twice ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_second_start_while_running_is_refused(connected_event, orders, admin_client):
    data = {"status": "all"}
    admin_client.post(url(connected_event, "export.start"), data)
    resp = admin_client.post(url(connected_event, "export.start"), data, follow=True)
    html = resp.content.decode()
    assert "An export to HubSpot is still running for this event." in html
    with scopes_disabled():
        assert OrderExport.objects.count() == 1
        assert OrderSyncQueue.objects.filter(event=connected_event).count() == 8
        assert LogEntry.objects.filter(action_type="pretix_hubspot.export.started").count() == 1
    # While it runs, the start button is disabled.
    resp = admin_client.get(url(connected_event), {"status": "all"})
    assert 'class="btn btn-primary btn-save" disabled' in resp.content.decode()


@pytest.mark.django_db
def test_database_allows_one_active_export_per_event(connected_event):
    with scopes_disabled():
        OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_QUEUEING)
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_RUNNING)
        # Ended runs do not count.
        OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_FINISHED)
        OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_CANCELLED)


@pytest.mark.django_db
def test_start_refuses_while_another_run_is_still_queueing(connected_event, orders):
    with scopes_disabled():
        queueing = OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_QUEUEING)
        with pytest.raises(export.ExportAlreadyRunning) as exc:
            export.start_export(connected_event, None, selection(status="all"))
        assert exc.value.export == queueing
        assert queued_codes(connected_event) == []


@pytest.mark.django_db
def test_starting_again_after_the_queue_drained_works(connected_event, orders):
    with scopes_disabled():
        first = export.start_export(connected_event, None, selection(status="pending"))
        OrderSyncQueue.objects.filter(triggered_by=first.queue_tag).delete()  # as after a sync run
        second = export.start_export(connected_event, None, selection(status="cancelled"))
        first.refresh_from_db()
        assert first.state == OrderExport.STATE_FINISHED
        assert first.finished is not None
        assert second.state == OrderExport.STATE_RUNNING
        assert queued_codes(connected_event) == ["CANC1"]


# --- Cancelling --------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_cancel_takes_waiting_orders_out_of_the_queue_only(connected_event, orders, admin_client, user):
    with scopes_disabled():
        OrderSyncQueue.objects.create(order=orders["PEND1"], event=connected_event, sync_provider="hubspot",
                                      triggered_by="order_placed", not_before=now())
        run = export.start_export(connected_event, user, selection(status="all"))
        tagged = OrderSyncQueue.objects.filter(triggered_by=run.queue_tag)
        # One is being sent right now, one failed for good.
        tagged.filter(order=orders["PAID1"]).update(in_flight=True, in_flight_since=now())
        tagged.filter(order=orders["PAID2"]).update(need_manual_retry="permanent")

    resp = admin_client.post(url(connected_event, "export.cancel", export=run.pk), follow=True)
    assert "5 orders were taken out of the queue." in resp.content.decode()
    assert queued_codes(connected_event) == ["PAID1", "PAID2", "PEND1"]
    with scopes_disabled():
        run.refresh_from_db()
        assert run.state == OrderExport.STATE_CANCELLED
        assert run.cancelled_by == user
        assert run.removed_count == 5
        entry = LogEntry.objects.get(event=connected_event, action_type="pretix_hubspot.export.cancelled")
        assert entry.parsed_data["removed"] == 5
    # A cancelled run no longer blocks a new one.
    with scopes_disabled():
        assert export.start_export(connected_event, user, selection(status="cancelled")).state == "running"


@pytest.mark.django_db
def test_cancelling_an_ended_export_changes_nothing(connected_event, orders, admin_client):
    with scopes_disabled():
        run = export.start_export(connected_event, None, selection(status="paid"))
        export.cancel_export(run, None)
    resp = admin_client.post(url(connected_event, "export.cancel", export=run.pk), follow=True)
    assert "This export has already ended." in resp.content.decode()
    with scopes_disabled():
        assert LogEntry.objects.filter(action_type="pretix_hubspot.export.cancelled").count() == 1


@pytest.mark.django_db
def test_cancel_of_another_events_export_is_not_found(connected_event, orders, admin_client, organizer, user):
    from pretix.base.models import Event

    other = Event.objects.create(organizer=organizer, name="Other", slug="other", date_from=now(),
                                 plugins="pretix_hubspot")
    with scopes_disabled():
        foreign = OrderExport.objects.create(event=other, state=OrderExport.STATE_RUNNING)
    resp = admin_client.post(url(connected_event, "export.cancel", export=foreign.pk))
    assert resp.status_code == 404


@pytest.mark.django_db
def test_cancel_during_queueing_stops_the_queueing(connected_event, orders, monkeypatch):
    """A cancel that arrives between two chunks (another request) stops the run and leaves nothing queued."""
    monkeypatch.setattr(export, "QUEUE_CHUNK_SIZE", 3)
    original = export._queue_chunk
    calls = []

    def queue_then_cancel(event, run, ids):
        original(event, run, ids)
        calls.append(ids)
        if len(calls) == 1:
            export.cancel_export(OrderExport.objects.get(pk=run.pk), None)

    monkeypatch.setattr(export, "_queue_chunk", queue_then_cancel)
    with scopes_disabled():
        run = export.start_export(connected_event, None, selection(status="all"))
        assert len(calls) == 1
        assert run.state == OrderExport.STATE_CANCELLED
        assert queued_codes(connected_event) == []
        assert not LogEntry.objects.filter(action_type="pretix_hubspot.export.started").exists()


# --- Progress ----------------------------------------------------------------------------------------------------------

def record_transfer(order, mapping_id=1):
    """What pretix's queue runner leaves behind after a successful transfer: a result, and no queue row."""
    OrderSyncResult.objects.create(order=order, sync_provider="hubspot", mapping_id=mapping_id,
                                   external_object_type="contacts", external_id_field="email", id_value=order.email,
                                   sync_info={"action": "create"})
    OrderSyncQueue.objects.filter(order=order, sync_provider="hubspot", in_flight=False).delete()


@pytest.mark.django_db
def test_progress_counts_waiting_transferred_and_failed(connected_event, orders, admin_client):
    with scopes_disabled():
        OrderSyncResult.objects.create(order=orders["PAID3"], sync_provider="hubspot", mapping_id=1,
                                       external_object_type="contacts", external_id_field="email", id_value="x",
                                       sync_info={})
        OrderSyncResult.objects.filter(order=orders["PAID3"]).update(transmitted=now() - timedelta(days=3))
        run = export.start_export(connected_event, None, selection(status="paid"))
        record_transfer(orders["PAID1"])
        record_transfer(orders["PAID2"])
        OrderSyncQueue.objects.filter(order=orders["LATE1"]).update(need_manual_retry="config")
        progress = export.export_progress(run)
    # PAID3 was transferred days before the export: it is still waiting for this run.
    assert progress == export.ExportProgress(selected=4, queued=4, waiting=1, transferred=2, failed=1, removed=0)
    assert progress.percent == 75

    resp = admin_client.get(url(connected_event))
    html = resp.content.decode()
    assert "Export in progress" in html
    assert "<strong>2</strong> transferred" in html
    assert "<strong>1</strong> failed" in html
    assert "<strong>1</strong> waiting in the queue" in html
    assert f'href="/control/event/{connected_event.organizer.slug}/{connected_event.slug}/datasync/failedjobs/"' in html
    assert "progress-bar-75" in html


@pytest.mark.django_db
def test_progress_survives_a_restart_and_finishes(connected_event, orders, admin_client):
    with scopes_disabled():
        run_id = export.start_export(connected_event, None, selection(status="pending")).pk
        for code in ("PEND1", "PEND2"):
            record_transfer(orders[code])
        # Everything comes from the database: a fresh object, as after a restart.
        run = OrderExport.objects.get(pk=run_id)
        assert export.export_progress(run).transferred == 2
    resp = admin_client.get(url(connected_event))
    html = resp.content.decode()
    assert "Export in progress" not in html
    assert "2 of 2 transferred, 0 failed, 0 waiting" in html
    assert "<td>Finished</td>" in html
    with scopes_disabled():
        # The page only shows it: pages never write. The periodic task records the end.
        assert OrderExport.objects.get(pk=run_id).state == OrderExport.STATE_RUNNING
    export_restart_stopped(sender=None)
    with scopes_disabled():
        finished = OrderExport.objects.get(pk=run_id)
        assert finished.state == OrderExport.STATE_FINISHED
        assert finished.finished is not None


@pytest.mark.django_db
def test_an_order_failing_after_a_partial_transfer_counts_as_failed(connected_event, orders):
    with scopes_disabled():
        run = export.start_export(connected_event, None, selection(status="pending"))
        OrderSyncResult.objects.create(order=orders["PEND1"], sync_provider="hubspot", mapping_id=1,
                                       external_object_type="contacts", external_id_field="email", id_value="x",
                                       sync_info={})
        OrderSyncQueue.objects.filter(order=orders["PEND1"]).update(need_manual_retry="permanent")
        progress = export.export_progress(run)
    assert (progress.transferred, progress.failed, progress.waiting) == (0, 1, 1)


@pytest.mark.django_db
def test_settings_page_shows_the_running_export(connected_event, orders, admin_client):
    with scopes_disabled():
        export.start_export(connected_event, None, selection(status="paid"))
        record_transfer(orders["PAID1"])
    resp = admin_client.get(url(connected_event, "settings"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "An export of existing orders to HubSpot is running" in html
    assert "<strong>1</strong> transferred" in html
    assert "<strong>3</strong> waiting in the queue" in html


@pytest.mark.django_db
def test_settings_page_offers_the_export(connected_event, orders, admin_client):
    resp = admin_client.get(url(connected_event, "settings"))
    html = resp.content.decode()
    assert "Export existing orders" in html
    assert url(connected_event) in html
    # Nothing transferred yet: nothing to send again.
    assert "Send them again" not in html


# --- Sending again after a change ----------------------------------------------------------------------------------------

@pytest.fixture
def mapping(connected_event):
    return ObjectMapping.objects.create(event=connected_event, pretix_model="Order", external_object_type="contacts",
                                        pretix_id_field="email", external_id_field="email", property_mappings=[])


@pytest.mark.django_db
def test_resync_offer_counts_transferred_orders(connected_event, orders, admin_client):
    with scopes_disabled():
        for code in ("PAID1", "PAID2", "CANC1"):
            record_transfer(orders[code])
        record_transfer(orders["PAID1"], mapping_id=2)  # two records for one order: still one order
        assert export.resync_offer(connected_event) == export.ResyncOffer(3, False)
    html = admin_client.get(url(connected_event, "settings")).content.decode()
    assert "3 orders were already transferred to HubSpot. Send them again with the current settings?" in html
    assert "Send 3 orders again" in html
    assert "The mappings have changed" not in html


@pytest.mark.django_db
def test_resync_offer_is_highlighted_after_a_mapping_change(connected_event, orders, mapping, admin_client, user):
    with scopes_disabled():
        record_transfer(orders["PAID1"])
        OrderSyncResult.objects.update(transmitted=now() - timedelta(hours=2))
        mapping.log_action("pretix_hubspot.mapping.changed", user=user, data={})
        # A new order sent with the new settings does not answer the change for the old ones.
        record_transfer(orders["PAID2"])
        assert export.resync_offer(connected_event) == export.ResyncOffer(2, True)
    html = admin_client.get(url(connected_event, "settings")).content.decode()
    assert "The mappings have changed since orders were last transferred." in html
    assert "alert-warning hubspot-resync-offer" in html


@pytest.mark.django_db
def test_resync_queues_transferred_orders_again(connected_event, orders, mapping, admin_client, user):
    with scopes_disabled():
        for code in ("PAID1", "CANC1"):
            record_transfer(orders[code])
        OrderSyncResult.objects.update(transmitted=now() - timedelta(hours=2))
        mapping.log_action("pretix_hubspot.mapping.changed", user=user, data={})

    resp = admin_client.post(url(connected_event, "resync"), follow=True)
    assert "2 orders are queued for HubSpot." in resp.content.decode()
    assert queued_codes(connected_event) == ["CANC1", "PAID1"]
    with scopes_disabled():
        run = OrderExport.objects.get()
        assert run.kind == OrderExport.KIND_RESYNC
        assert set(OrderSyncQueue.objects.values_list("triggered_by", flat=True)) == {run.queue_tag}
        entry = LogEntry.objects.get(event=connected_event, action_type="pretix_hubspot.resync.started")
        assert entry.display() == ("2 orders that had been transferred to HubSpot before are being sent again with the "
                                   "current settings.")
        # Answered: no longer highlighted, and the button waits for the run to finish.
        assert export.resync_offer(connected_event) == export.ResyncOffer(2, False)
    html = admin_client.get(url(connected_event, "settings")).content.decode()
    assert "Orders that had been transferred before are being sent to HubSpot again" in html
    assert "Possible once the running export has finished." in html

    # Sending again twice at once queues nothing twice.
    resp = admin_client.post(url(connected_event, "resync"), follow=True)
    assert "An export to HubSpot is still running for this event." in resp.content.decode()
    with scopes_disabled():
        assert OrderSyncQueue.objects.count() == 2


# --- Permissions and preconditions ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_users_without_settings_permission_are_turned_away(connected_event, orders, readonly_client):
    with scopes_disabled():
        run = OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_RUNNING)
    assert readonly_client.get(url(connected_event), {"status": "all"}).status_code == 403
    assert readonly_client.post(url(connected_event, "export.start"), {"status": "all"}).status_code == 403
    assert readonly_client.post(url(connected_event, "export.cancel", export=run.pk)).status_code == 403
    assert readonly_client.post(url(connected_event, "resync")).status_code == 403
    assert queued_codes(connected_event) == []
    with scopes_disabled():
        run.refresh_from_db()
        assert run.state == OrderExport.STATE_RUNNING


@pytest.mark.django_db
def test_state_changes_need_post(connected_event, orders, admin_client):
    with scopes_disabled():
        run = OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_RUNNING)
    assert admin_client.get(url(connected_event, "export.start"), {"status": "all"}).status_code == 405
    assert admin_client.get(url(connected_event, "export.cancel", export=run.pk)).status_code == 405
    assert admin_client.get(url(connected_event, "resync")).status_code == 405
    assert queued_codes(connected_event) == []


@pytest.mark.django_db
def test_post_without_csrf_token_is_rejected(connected_event, orders, user, team):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(url(connected_event, "export.start"), {"status": "all"}).status_code == 403
    assert queued_codes(connected_event) == []


@pytest.mark.django_db
def test_export_needs_a_connected_event(event, item, admin_client):
    with scopes_disabled():
        make_order(event, item, code="NOCON", email="a@example.org")
    resp = admin_client.post(url(event, "export.start"), {"status": "all"}, follow=True)
    assert "Please connect this event to HubSpot first." in resp.content.decode()
    assert queued_codes(event) == []


@pytest.mark.django_db
def test_an_export_interrupted_while_queueing_is_completed(connected_event, orders, admin_client):
    """A worker that died in the middle of queueing: pretix's periodic task queues the rest of its selection."""
    paid = sorted(orders[c].pk for c in ("PAID1", "PAID2", "PAID3"))
    with scopes_disabled():
        interrupted = OrderExport.objects.create(
            event=connected_event, state=OrderExport.STATE_QUEUEING, filters={"status": "paid"},
            order_ids=paid, selected_count=3, queued_through=paid[0], queued_count=1,
        )
        OrderSyncQueue.objects.create(order_id=paid[0], event=connected_event, sync_provider="hubspot",
                                      triggered_by=interrupted.queue_tag, not_before=now())
        # Moments after the start, it is still queueing as far as anyone can tell.
        with pytest.raises(export.ExportAlreadyRunning):
            export.start_export(connected_event, None, selection(status="all"))
        export_restart_stopped(sender=None)
        assert len(queued_codes(connected_event)) == 1
        OrderExport.objects.filter(pk=interrupted.pk).update(created=now() - timedelta(minutes=11))

    # Looking at it changes nothing.
    html = admin_client.get(url(connected_event)).content.decode()
    assert "<strong>1</strong> waiting in the queue" in html
    assert len(queued_codes(connected_event)) == 1

    export_restart_stopped(sender=None)
    assert queued_codes(connected_event) == ["PAID1", "PAID2", "PAID3"]
    html = admin_client.get(url(connected_event)).content.decode()
    assert "<strong>3</strong> waiting in the queue" in html
    with scopes_disabled():
        interrupted.refresh_from_db()
        assert interrupted.state == OrderExport.STATE_RUNNING
        assert interrupted.queued_count == 3
        assert LogEntry.objects.get(action_type="pretix_hubspot.export.started").parsed_data["queued"] == 3


@pytest.mark.django_db
def test_queueing_twice_queues_each_order_once(connected_event, orders):
    """The task may run twice (a redelivery, the periodic restart while the first run is still going)."""
    with scopes_disabled():
        ids = sorted(selection(status="paid").orders(connected_event).values_list("pk", flat=True))
        run = OrderExport.objects.create(event=connected_event, state=OrderExport.STATE_QUEUEING, order_ids=ids,
                                         selected_count=len(ids), filters={"status": "paid"})
        export.queue_export.apply(args=(connected_event.pk, run.pk))
        export.queue_export.apply(args=(connected_event.pk, run.pk))
        run.refresh_from_db()
        assert run.state == OrderExport.STATE_RUNNING
        assert run.queued_count == 4
        assert OrderSyncQueue.objects.filter(triggered_by=run.queue_tag).count() == 4
        assert LogEntry.objects.filter(action_type="pretix_hubspot.export.started").count() == 1


@pytest.mark.django_db
def test_queueing_that_starts_again_goes_on_where_it_stopped(connected_event, orders, monkeypatch):
    """Chunk by chunk, an order sent meanwhile is not queued a second time by a run that starts over."""
    monkeypatch.setattr(export, "QUEUE_CHUNK_SIZE", 2)
    original = export._queue_chunk

    calls = []

    def die_in_the_second_chunk(event, run, ids):
        calls.append(ids)
        if len(calls) == 2:
            raise SystemExit("the worker is killed")  # this chunk's transaction is rolled back, the first stays
        return original(event, run, ids)

    with scopes_disabled():
        monkeypatch.setattr(export, "_queue_chunk", die_in_the_second_chunk)
        with pytest.raises(SystemExit):
            export.start_export(connected_event, None, selection(status="all"))
        run = OrderExport.objects.get()
        assert run.state == OrderExport.STATE_QUEUEING
        first = list(OrderSyncQueue.objects.filter(triggered_by=run.queue_tag).values_list("order_id", flat=True))
        assert len(first) == 2
        # One of them was transferred in the meantime: pretix removed its queue row.
        OrderSyncQueue.objects.filter(order_id=first[0]).delete()

        monkeypatch.setattr(export, "_queue_chunk", original)
        export.queue_export.apply(args=(connected_event.pk, run.pk))
        run.refresh_from_db()
        assert run.state == OrderExport.STATE_RUNNING
        assert run.queued_count == 8
        assert first[0] not in set(OrderSyncQueue.objects.values_list("order_id", flat=True))
        assert OrderSyncQueue.objects.filter(triggered_by=run.queue_tag).count() == 7
