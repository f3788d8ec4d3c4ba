"""
HubSpot stops accepting the connection (refresh token revoked): queued orders wait instead of failing, the settings page
says what to do, and the first run after a reconnect transfers them, without a retry by hand.
"""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled

from testbed.orders import make_order
from testbed.sync import (
    add_identifier_properties, contacts_mapping, enqueue, fast_client, log_actions, queue_rows, records_by, run_queue,
)
from testbed.urls import hubspot_settings_url


@pytest.mark.django_db
def test_revoked_connection_then_reconnect_then_retry_transfers_the_order(
        admin_client, connected_event, connection, order, hubspot_app, connect_via_hubspot, monkeypatch):
    fast_client(monkeypatch)
    add_identifier_properties(hubspot_app)
    with scopes_disabled():
        contacts_mapping(connected_event)
    hubspot_app.revoke_refresh_token(connection.refresh_token)
    hubspot_app.expire_access_tokens()
    connection.access_token_expires = now() - timedelta(minutes=1)
    connection.save()

    enqueue(order)
    run_queue()

    [row] = queue_rows(order)  # the order is kept, waiting for someone to reconnect, not parked as a failure
    assert row.need_manual_retry is None
    assert row.failed_attempts == 0
    assert row.not_before > now()
    assert records_by(hubspot_app, "contacts", "pretix_order_id", order.full_code) == []
    assert "pretix_hubspot.sync.waiting_for_reconnect" in [a for a, d in log_actions(order)]
    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert "HubSpot no longer accepts this connection." in page
    order_url = f"/control/event/{connected_event.organizer.slug}/{connected_event.slug}/orders/{order.code}/"
    order_page = admin_client.get(order_url).content.decode()
    assert "waits until the connection to HubSpot has been reconnected" in order_page  # the order's history
    assert "HubSpot: the transfer waits for a reconnect" in order_page  # next to pretix's "Waiting until …"
    problems = admin_client.get(
        f"/control/event/{connected_event.organizer.slug}/{connected_event.slug}/datasync/failedjobs/"
    ).content.decode()
    assert order.code not in problems  # nothing to click there

    # More orders arrive meanwhile; runs before the reconnect ask HubSpot nothing.
    with scopes_disabled():
        later = make_order(connected_event, connected_event.items.first(), code="LATE1", email="late@example.org")
    enqueue(later)
    hubspot_app.request_log.clear()
    run_queue()
    assert hubspot_app.request_log == []
    assert queue_rows(later)[0].need_manual_retry is None

    assert "The HubSpot integration is now active" in connect_via_hubspot(admin_client, connected_event).content.decode()
    run_queue()  # the next periodic run, no click on the sync problems page

    assert queue_rows(order) == [] and queue_rows(later) == []
    [contact] = records_by(hubspot_app, "contacts", "pretix_order_id", order.full_code)
    assert contact["properties"]["email"] == order.email
    assert records_by(hubspot_app, "contacts", "email", "late@example.org")


@pytest.mark.django_db
def test_orders_of_a_disconnected_event_wait_for_a_retry_by_hand(
        admin_client, connected_event, order, hubspot_app, monkeypatch):
    # The organizer's guide's rule (docs/organizer-guide.md): a deliberate disconnect stops transfers; waiting orders fail until retried by hand.
    fast_client(monkeypatch)
    with scopes_disabled():
        contacts_mapping(connected_event)
    enqueue(order)
    admin_client.post(hubspot_settings_url(connected_event, "disconnect/"))
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert "retry them on the sync problems page" in page
