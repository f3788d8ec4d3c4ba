"""When orders are queued, and the order page's "Data transfer to external systems" box."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Order, OrderRefund
from pretix.base.signals import (
    order_approved, order_canceled, order_changed, order_denied, order_expired, order_modified, order_paid,
    order_placed, order_reactivated,
)

from pretix_hubspot.models import EventConnection
from testbed.orders import make_order
from testbed.sync import contacts_mapping, deals_mapping, enqueue, queue_rows, results, run_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(sync_event):
    contacts_mapping(sync_event)
    return sync_event


@pytest.mark.parametrize("signal,trigger", [
    (order_placed, "order_placed"), (order_paid, "order_paid"), (order_changed, "order_changed"),
    (order_canceled, "order_canceled"), (order_expired, "order_expired"), (order_approved, "order_approved"),
    (order_denied, "order_denied"), (order_reactivated, "order_reactivated"), (order_modified, "order_modified"),
])
def test_each_order_signal_queues_the_order(setup, order, signal, trigger):
    with scopes_disabled():
        signal.send(setup, order=order)
    [row] = queue_rows(order)
    assert row.triggered_by == trigger


def test_refund_queues_the_order(setup, order):
    with scopes_disabled():
        refund = order.refunds.create(state=OrderRefund.REFUND_STATE_CREATED, source=OrderRefund.REFUND_SOURCE_ADMIN,
                                      amount=Decimal("10.00"), provider="manual")
        assert queue_rows(order) == []
        refund.done()
    [row] = queue_rows(order)
    assert row.triggered_by == "order_refunded"


def test_confirming_a_payment_through_pretix_queues_the_order(setup, item):
    with scopes_disabled():
        order = make_order(setup, item, code="NEW11", email="new@example.org", status=Order.STATUS_PENDING)
        payment = order.payments.create(provider="manual", amount=order.total)
        payment.confirm(force=True)
    assert [r.triggered_by for r in queue_rows(order)] == ["order_paid"]


def test_orders_placed_before_the_connection_are_not_queued(setup, event, item):
    with scopes_disabled():
        old = make_order(event, item, code="OLD11", email="old@example.org", placed=now() - timedelta(days=2))
    with scopes_disabled():
        order_paid.send(event, order=old)
    assert queue_rows(old) == []


def test_no_mapping_no_queue(connected_event, order, hubspot_app):
    with scopes_disabled():
        order_paid.send(connected_event, order=order)
    assert queue_rows(order) == []


def test_disconnected_event_is_not_queued(setup, order):
    with scopes_disabled():
        EventConnection.objects.filter(event=setup).delete()
    with scopes_disabled():
        order_paid.send(setup, order=order)
    assert queue_rows(order) == []


def test_plugin_disabled_event_is_not_queued(setup, order):
    setup.disable_plugin("pretix_hubspot")
    setup.save()
    with scopes_disabled():
        order_paid.send(setup, order=order)
    assert queue_rows(order) == []


def order_url(event, order, suffix=""):
    return f"/control/event/{event.organizer.slug}/{event.slug}/orders/{order.code}/{suffix}"


def test_order_box_shows_links_and_labels(setup, order, admin_client, hubspot):
    deals_mapping(setup)
    enqueue(order)
    run_queue()
    contact_result, deal_result = results(order)
    page = admin_client.get(order_url(setup, order)).content.decode()
    assert "Data transfer to external systems" in page
    assert f'href="{contact_result.external_link_href}"' in page
    assert f"Contact #{contact_result.sync_info['object_id']} – Jane Doe" in page
    assert f'href="{deal_result.external_link_href}"' in page
    assert f"Deal #{deal_result.sync_info['object_id']} – PYCONF-ABC12" in page


def test_sync_now_for_an_order_placed_before_the_connection(setup, event, item, admin_client, hubspot):
    with scopes_disabled():
        old = make_order(event, item, code="OLD11", email="old@example.org", placed=now() - timedelta(days=2))
    response = admin_client.post(order_url(event, old, "sync_job/hubspot/"), {"queue_sync": "true"})
    assert response.status_code == 302
    # The job runs on commit (immediately in production); the test transaction never commits, so run the queue.
    assert [r.triggered_by for r in queue_rows(old)] == ["user"]
    run_queue()
    assert queue_rows(old) == []
    page = admin_client.get(order_url(event, old)).content.decode()
    assert "/record/0-1/" in page


def test_retry_and_cancel_through_the_order_page(setup, order, admin_client, hubspot):
    # one lookup, tried four times (urllib3's three retries), all answered 503: the run gives up on the order
    hubspot.fail_next(4, 503, path_prefix="/crm/objects/2026-09")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.failed_attempts == 1
    page = admin_client.get(order_url(setup, order)).content.decode()
    assert "Retry now" in page and "Retry 1 of 5" in page

    response = admin_client.post(order_url(setup, order, "sync_job/hubspot/"), {"run_job_now": row.pk})
    assert response.status_code == 302
    [row] = queue_rows(order)
    assert row.not_before <= now() and row.need_manual_retry is None
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("contacts")) == 1

    enqueue(order)
    [row] = queue_rows(order)
    response = admin_client.post(order_url(setup, order, "sync_job/hubspot/"), {"cancel_job": row.pk})
    assert response.status_code == 302
    assert queue_rows(order) == []


def test_readonly_user_sees_no_sync_buttons(setup, order, readonly_client):
    page = readonly_client.get(order_url(setup, order)).content.decode()
    assert "Data transfer to external systems" in page
    assert "Sync now" not in page
