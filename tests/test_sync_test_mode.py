"""Orders placed in test mode stay out of HubSpot unless the organizer includes them on the settings page."""
import pytest
from django_scopes import scopes_disabled
from pretix.base.models import Event, LogEntry, Order
from pretix.base.signals import order_paid

from pretix_hubspot.organizer import export
from testbed.orders import make_order
from testbed.sync import contacts_mapping, enqueue, queue_rows, records_by, run_queue
from testbed.urls import hubspot_settings_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_order(sync_event, item):
    contacts_mapping(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="TEST1", email="tester@example.org")
        order.testmode = True
        order.save()
    return order


def include_test_orders(client, event, include):
    data = {"include_test_orders": "on"} if include else {}
    response = client.post(hubspot_settings_url(event, "options/"), data)
    assert response.status_code == 302


def test_test_mode_orders_are_not_queued_by_default(sync_event, test_order, order):
    with scopes_disabled():
        order_paid.send(sync_event, order=test_order)
        order_paid.send(sync_event, order=order)
    assert queue_rows(test_order) == []
    assert len(queue_rows(order)) == 1


def test_test_mode_order_queued_anyway_is_not_transferred(sync_event, test_order, hubspot):
    enqueue(test_order)  # e.g. "Sync now", or queued before the option was switched off
    run_queue()
    assert queue_rows(test_order) == []
    assert records_by(hubspot, "contacts", "email", "tester@example.org") == []


def test_export_leaves_test_mode_orders_out_by_default(sync_event, test_order, order):
    with scopes_disabled():
        codes = set(export.OrderSelection().orders(sync_event).values_list("code", flat=True))
    assert codes == {order.code}


def test_settings_page_option_includes_test_mode_orders(sync_event, test_order, admin_client, hubspot, user):
    page = admin_client.get(hubspot_settings_url(sync_event)).content.decode()
    assert "Also transfer orders placed in test mode" in page
    assert 'name="include_test_orders" checked' not in page

    include_test_orders(admin_client, sync_event, True)

    assert 'name="include_test_orders" checked' in admin_client.get(hubspot_settings_url(sync_event)).content.decode()
    with scopes_disabled():
        assert LogEntry.objects.filter(action_type="pretix_hubspot.options.changed", user=user).exists()
        # As the next request or worker sees them (the settings of these instances are cached).
        event, test_order = Event.objects.get(pk=sync_event.pk), Order.objects.get(pk=test_order.pk)
        order_paid.send(event, order=test_order)
        assert test_order.code in export.OrderSelection(status="paid").orders(event).values_list("code", flat=True)
    run_queue()
    assert records_by(hubspot, "contacts", "email", "tester@example.org")

    include_test_orders(admin_client, sync_event, False)
    with scopes_disabled():
        event = Event.objects.get(pk=sync_event.pk)
        assert not export.OrderSelection().orders(event).filter(testmode=True).exists()


def test_option_needs_the_settings_permission(readonly_client, sync_event):
    response = readonly_client.post(hubspot_settings_url(sync_event, "options/"), {"include_test_orders": "on"})
    assert response.status_code == 403
    with scopes_disabled():
        event = Event.objects.get(pk=sync_event.pk)
    assert event.settings.get("hubspot_include_test_orders", as_type=bool, default=False) is False
