"""
HubSpot stops accepting the connection (refresh token revoked): exports fail with a configuration error that says
what to do, the orders stay queued, and after reconnecting a retry transfers them.
"""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled

from tests.helpers import hubspot_settings_url
from tests.helpers.sync import (
    add_identifier_properties, contacts_mapping, enqueue, fast_client, queue_rows, records_by, run_queue,
)


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

    [row] = queue_rows(order)  # the order is kept, waiting for someone to act
    assert row.need_manual_retry
    assert records_by(hubspot_app, "contacts", "pretix_order_id", order.full_code) == []
    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert "HubSpot no longer accepts this connection." in page
    order_page = admin_client.get(
        f"/control/event/{connected_event.organizer.slug}/{connected_event.slug}/orders/{order.code}/"
    ).content.decode()
    assert "Settings → HubSpot" in order_page  # the order's transfer box says what to do

    assert "The HubSpot integration is now active" in connect_via_hubspot(admin_client, connected_event).content.decode()
    # Retry from pretix's list of failed transfers, as an organizer would.
    response = admin_client.post(
        f"/control/event/{connected_event.organizer.slug}/{connected_event.slug}/datasync/failedjobs/",
        {"action": "retry", "idlist": [row.pk]},
    )
    assert response.status_code == 302
    run_queue()

    assert queue_rows(order) == []
    [contact] = records_by(hubspot_app, "contacts", "pretix_order_id", order.full_code)
    assert contact["properties"]["email"] == order.email
