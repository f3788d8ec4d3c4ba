"""Export of existing orders end to end: queued from the page, sent by the sync engine to the HubSpot sandbox."""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Order
from pretix.base.models.datasync import OrderSyncQueue

from pretix_hubspot.models import OrderExport
from pretix_hubspot.organizer import export
from pretix_hubspot.signals import export_restart_stopped
from testbed.orders import make_order
from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping, fast_client, run_queue

pytestmark = pytest.mark.django_db


def url(event, name="export", **kwargs):
    from django.urls import reverse

    return reverse(f"plugins:pretix_hubspot:{name}", kwargs={
        "organizer": event.organizer.slug, "event": event.slug, **kwargs,
    })


@pytest.fixture
def old_orders(connected_event, item, hubspot_app, monkeypatch):
    """Seven paid and two pending orders placed months before the event was connected, and nothing sent yet."""
    fast_client(monkeypatch)
    add_identifier_properties(hubspot_app)
    contacts_mapping(connected_event)
    deals_mapping(connected_event)
    placed = now() - timedelta(days=120)
    with scopes_disabled():
        paid = [
            make_order(connected_event, item, code=f"OLD{i}A", email=f"buyer{i}@example.org", placed=placed,
                       attendees=[(f"Buyer Number{i}", f"buyer{i}@example.org")],
                       invoice={"name_parts": {"_scheme": "given_family", "given_name": "Buyer",
                                               "family_name": f"Number{i}"}})
            for i in range(7)
        ]
        pending = [
            make_order(connected_event, item, code=f"PND{i}A", email=f"pending{i}@example.org", placed=placed,
                       status=Order.STATUS_PENDING)
            for i in range(2)
        ]
    return paid, pending


def test_exported_orders_arrive_in_hubspot_and_the_page_counts_them(connected_event, old_orders, admin_client,
                                                                    hubspot):
    paid, pending = old_orders
    # One buyer typed an address HubSpot refuses: that order fails, the others go through.
    with scopes_disabled():
        Order.objects.filter(pk=paid[3].pk).update(email="buyer3@example")
    assert hubspot.records("contacts") == []

    resp = admin_client.post(url(connected_event, "export.start"), {"status": "paid"}, follow=True)
    assert "7 orders are queued for HubSpot." in resp.content.decode()
    run_queue()

    emails = sorted(r["properties"]["email"] for r in hubspot.records("contacts"))
    assert emails == [f"buyer{i}@example.org" for i in (0, 1, 2, 4, 5, 6)]
    assert not any(r["properties"].get("email", "").startswith("pending") for r in hubspot.records("contacts"))

    html = admin_client.get(url(connected_event)).content.decode()
    assert "Export in progress" not in html
    assert "6 of 7 transferred, 1 failed, 0 waiting" in html
    assert '(<a href="/control/event/techevents/pyconf/datasync/failedjobs/">see sync problems</a>)' in html
    # The failed order waits on pretix's sync problems page, which names it.
    problems = admin_client.get("/control/event/techevents/pyconf/datasync/failedjobs/").content.decode()
    assert "OLD3A" in problems
    # The page showed it finished (pages never write); pretix's periodic task records that.
    export_restart_stopped(sender=None)
    with scopes_disabled():
        run = OrderExport.objects.get()
        assert run.state == OrderExport.STATE_FINISHED

    # The settings page now offers to send the transferred orders again: the six, and the one whose deal got
    # through before its contact was refused.
    assert len(hubspot.records("deals")) == 7
    html = admin_client.get(url(connected_event, "settings")).content.decode()
    assert "7 orders were already transferred to HubSpot. Send them again with the current settings?" in html


def test_sending_again_after_a_mapping_change_updates_the_records(connected_event, old_orders, admin_client,
                                                                  hubspot, user):
    paid, _ = old_orders
    admin_client.post(url(connected_event, "export.start"), {"status": "paid"})
    run_queue()
    assert len(hubspot.records("deals")) == 7

    with scopes_disabled():
        # The deal name now comes from the e-mail address; the mapping editor logs such a change.
        mapping = connected_event.hubspot_object_mappings.get(external_object_type="deals")
        mapping.property_mappings[0]["pretix_field"] = "email"
        mapping.save()
        mapping.log_action("pretix_hubspot.mapping.changed", user=user, data={})
    html = admin_client.get(url(connected_event, "settings")).content.decode()
    assert "The mappings have changed since orders were last transferred." in html
    assert "7 orders were already transferred to HubSpot." in html

    resp = admin_client.post(url(connected_event, "resync"), follow=True)
    assert "7 orders are queued for HubSpot." in resp.content.decode()
    run_queue()

    names = sorted(d["properties"]["dealname"] for d in hubspot.records("deals"))
    assert names == sorted(f"buyer{i}@example.org" for i in range(7))
    with scopes_disabled():
        resync = OrderExport.objects.get(kind=OrderExport.KIND_RESYNC)
        assert export.export_progress(resync).transferred == 7
    html = admin_client.get(url(connected_event)).content.decode()
    assert "Orders transferred before, sent again" in html
    assert html.count("7 of 7 transferred, 0 failed, 0 waiting") == 2  # the export, and sending it again
    html = admin_client.get(url(connected_event, "settings")).content.decode()
    assert "The mappings have changed" not in html


def test_export_starts_draining_right_after_queueing(connected_event, old_orders, admin_client, hubspot, settings,
                                                     django_capture_on_commit_callbacks):
    """With a worker, the export does not wait for the next periodic run: the first sync run starts on commit."""
    settings.HAS_CELERY = True  # the test settings run tasks eagerly, in this process
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url(connected_event, "export.start"), {"status": "all"})
    assert len(hubspot.records("contacts")) == 9
    with scopes_disabled():
        assert not OrderSyncQueue.objects.exists()


def test_without_a_worker_the_request_does_not_send_anything(connected_event, old_orders, admin_client, hubspot,
                                                             django_capture_on_commit_callbacks):
    """Without Celery, a sync run would happen inside the click; the periodic task drains the queue instead."""
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url(connected_event, "export.start"), {"status": "all"})
    assert hubspot.request_count(path_prefix="/crm/") == 0
    with scopes_disabled():
        assert OrderSyncQueue.objects.count() == 9


def test_cancel_stops_what_has_not_been_sent(connected_event, old_orders, admin_client, hubspot):
    admin_client.post(url(connected_event, "export.start"), {"status": "all"})
    with scopes_disabled():
        run = OrderExport.objects.get()
    admin_client.post(url(connected_event, "export.cancel", export=run.pk))
    run_queue()
    assert hubspot.records("contacts") == []
    html = admin_client.get(url(connected_event)).content.decode()
    assert "0 of 9 transferred, 0 failed, 0 waiting" in html
    assert "Cancelled" in html
