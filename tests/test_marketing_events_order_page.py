"""The marketing event on the order page's "Data transfer" box, and in the export of existing orders."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.timezone import now
from django_scopes import scopes_disabled

from testbed.orders import make_order
from testbed.sync import contacts_mapping, enqueue, run_queue
from tests.test_marketing_events_sync import participants, switch_on

pytestmark = pytest.mark.django_db


def order_page(client, order):
    return client.get(reverse("control:event.order", kwargs={
        "organizer": order.event.organizer.slug, "event": order.event.slug, "code": order.code})).content.decode()


def test_the_order_page_links_to_the_marketing_event(sync_event, item, hubspot, admin_client):
    contacts_mapping(sync_event)
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org")])
    enqueue(order)
    run_queue()
    [event] = hubspot.marketing_events()
    html = order_page(admin_client, order)
    assert f"Marketing event #{event['objectId']} – PyConf 2027 (1 registered)" in html
    assert f"https://app.hubspot.com/contacts/{hubspot.default_portal_id}/record/0-54/{event['objectId']}" in html


def test_an_error_of_the_marketing_event_shows_on_the_order_page(sync_event, item, hubspot, admin_client):
    hubspot.disable_marketing_events()
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org")])
    enqueue(order)
    run_queue()
    html = order_page(admin_client, order)
    assert "Misconfiguration, please check provider settings" in html
    assert "HubSpot does not let this account use marketing events" in html


def test_exporting_existing_orders_registers_their_participants(sync_event, item, hubspot, admin_client):
    switch_on(sync_event)
    with scopes_disabled():
        make_order(sync_event, item, code="OLD01", email="old@example.org", attendees=[("Old Buyer", "old@example.org")],
                   placed=now() - timedelta(days=90))
    response = admin_client.post(reverse("plugins:pretix_hubspot:export.start", kwargs={
        "organizer": sync_event.organizer.slug, "event": sync_event.slug}), {"status": "paid"}, follow=True)
    assert "1 order is queued for HubSpot." in response.content.decode()
    run_queue()
    assert participants(hubspot) == {"old@example.org": "REGISTERED"}
