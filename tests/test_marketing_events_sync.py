"""Marketing events with the order's sync run: the event in HubSpot, registrations and cancellations."""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Order, SubEvent
from pretix.base.models.datasync import OrderSyncQueue

from pretix_hubspot.transfer.marketing_events import MAPPING_ID, MarketingEventSettings
from testbed.orders import make_order
from testbed.sync import attendee_mapping, contacts_mapping, enqueue, log_actions, results, run_queue

pytestmark = pytest.mark.django_db


def switch_on(event, **choices):
    with scopes_disabled():
        MarketingEventSettings(event).save(enabled=True, participants=choices.get("participants", "attendees"),
                                           register_on=choices.get("register_on", "paid"), checkin_list_ids=[])


def participants(hubspot, event_index=0):
    """E-mail → current state of the participants of the sandbox's marketing event."""
    events = hubspot.marketing_events()
    out = {}
    for contact_id, info in events[event_index]["participants"].items():
        out[hubspot.get_record("contacts", contact_id)["properties"]["email"]] = info["state"]
    return out


def marketing_result(order):
    return [r for r in results(order) if r.mapping_id == MAPPING_ID]


def sync(order):
    enqueue(order)
    run_queue()


def test_paid_order_registers_each_attendee_on_the_contacts_the_mappings_made(sync_event, item, hubspot):
    contacts_mapping(sync_event)
    attendee_mapping(sync_event)
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org"), ("John Smith", "john@example.org"),
                                      ("No Mail", None)])
    sync(order)
    [event] = hubspot.marketing_events()
    assert event["eventName"] == "PyConf 2027"
    assert event["eventOrganizer"] == "Tech Events Ltd"
    assert event["externalEventId"] == f"pretix-{sync_event.pk}"
    assert event["eventUrl"].endswith("/techevents/pyconf/")
    assert participants(hubspot) == {"jane@example.org": "REGISTERED", "john@example.org": "REGISTERED"}
    # The contacts the mappings made, not second ones: recorded by contact id.
    assert len(hubspot.records("contacts")) == 2
    assert hubspot.request_count(path_prefix="/marketing/marketing-events/2026-09/attendance/"
                                 f"pretix-{sync_event.pk}/register/create") == 1
    assert hubspot.request_count(path_prefix="/marketing/v3/") == 0
    [result] = marketing_result(order)
    assert result.external_object_type == "marketing_events"
    assert result.external_link_href.endswith(f"/record/0-54/{event['objectId']}")
    assert "2 registered" in result.external_link_display_name
    assert OrderSyncQueue.objects.count() == 0


def test_without_mappings_attendance_by_email_creates_the_contacts(sync_event, item, hubspot):
    switch_on(sync_event, participants="buyer")
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="buyer@example.org",
                           attendees=[("Jane Doe", "jane@example.org"), ("John Smith", "john@example.org")])
    sync(order)
    assert participants(hubspot) == {"buyer@example.org": "REGISTERED"}
    assert [r["properties"]["email"] for r in hubspot.records("contacts")] == ["buyer@example.org"]


def test_pending_orders_wait_for_payment_unless_placed_counts(sync_event, item, hubspot):
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org")], status=Order.STATUS_PENDING)
    sync(order)
    assert hubspot.marketing_events() == []
    switch_on(sync_event, register_on="placed")
    sync(order)
    assert participants(hubspot) == {"jane@example.org": "REGISTERED"}


def test_cancelled_order_cancels_and_a_second_run_sends_nothing(sync_event, item, hubspot):
    contacts_mapping(sync_event)
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org")])
    sync(order)
    with scopes_disabled():
        order.status = Order.STATUS_CANCELED
        order.save()
    sync(order)
    assert participants(hubspot) == {"jane@example.org": "CANCELLED"}
    before = hubspot.request_count(path_prefix="/marketing/")
    sync(order)
    assert hubspot.request_count(path_prefix="/marketing/") == before
    assert "1 cancelled" in marketing_result(order)[0].external_link_display_name


def test_renaming_the_event_updates_it_on_the_next_run(sync_event, item, hubspot):
    switch_on(sync_event)
    with scopes_disabled():
        first = make_order(sync_event, item, code="ABC12", email="a@example.org", attendees=[("A A", "a@example.org")])
        second = make_order(sync_event, item, code="ABC13", email="b@example.org", attendees=[("B B", "b@example.org")])
    sync(first)
    with scopes_disabled():
        sync_event.name = "PyConf 2027 (moved)"
        sync_event.date_from = now() + timedelta(days=40)
        sync_event.save()
    sync(second)
    [event] = hubspot.marketing_events()
    assert event["eventName"] == "PyConf 2027 (moved)"
    assert hubspot.request_count(method="PUT", path_prefix="/marketing/") == 2


def test_each_date_of_a_series_is_its_own_marketing_event(sync_event, item, hubspot):
    switch_on(sync_event)
    with scopes_disabled():
        sync_event.has_subevents = True
        sync_event.save()
        dates = [SubEvent.objects.create(event=sync_event, name="PyConf", active=True,
                                         date_from=now() + timedelta(days=d)) for d in (10, 20)]
        order = make_order(sync_event, item, code="ABC12", email="a@example.org",
                           attendees=[("A A", "a@example.org"), ("B B", "b@example.org")])
        positions = list(order.positions.order_by("positionid"))
        for position, date in zip(positions, dates):
            position.subevent = date
            position.save()
    sync(order)
    events = sorted(hubspot.marketing_events(), key=lambda e: e["externalEventId"])
    assert [e["externalEventId"] for e in events] == [f"pretix-{sync_event.pk}-{d.pk}" for d in dates]
    assert len(marketing_result(order)) == 2


def test_missing_permission_is_a_configuration_error_not_a_retry_loop(sync_event, item, hubspot, connection):
    hubspot.remove_scope(connection.portal_id, "crm.objects.marketing_events.write")
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="a@example.org", attendees=[("A A", "a@example.org")])
    sync(order)
    [row] = OrderSyncQueue.objects.all()
    assert row.need_manual_retry == "config"
    [(action, data)] = [(a, d) for a, d in log_actions(order) if a.startswith("pretix.event.order.data_sync.failed")]
    assert action.endswith(".config")
    assert "Order ABC12, marketing event: The HubSpot connection has no permission for marketing events" \
        in data["error"][0]
    with scopes_disabled():
        assert "request access again" in MarketingEventSettings(sync_event).problem


def test_account_without_marketing_events_gets_a_clear_message(sync_event, item, hubspot):
    hubspot.disable_marketing_events()
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="a@example.org", attendees=[("A A", "a@example.org")])
    sync(order)
    [row] = OrderSyncQueue.objects.all()
    assert row.need_manual_retry == "config"
    with scopes_disabled():
        assert "plan that includes them" in MarketingEventSettings(sync_event).problem


def test_a_cancelled_ticket_and_a_full_refund_cancel_their_participants(sync_event, item, hubspot):
    from pretix.base.models import OrderRefund

    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org"), ("John Smith", "john@example.org")])
    sync(order)
    with scopes_disabled():
        position = order.positions.get(positionid=2)
        position.canceled = True
        position.save()
    sync(order)
    assert participants(hubspot) == {"jane@example.org": "REGISTERED", "john@example.org": "CANCELLED"}
    with scopes_disabled():
        order.refunds.create(state=OrderRefund.REFUND_STATE_DONE, source=OrderRefund.REFUND_SOURCE_ADMIN,
                             amount=order.total, provider="manual")
    sync(order)
    assert participants(hubspot) == {"jane@example.org": "CANCELLED", "john@example.org": "CANCELLED"}


def test_while_hubspot_is_down_the_event_is_tried_once_per_run_not_once_per_order(sync_event, item, hubspot):
    switch_on(sync_event)
    with scopes_disabled():
        orders = [make_order(sync_event, item, code=f"ORD{i:02d}", email=f"p{i}@example.org",
                             attendees=[(f"P Number{i}", f"p{i}@example.org")]) for i in range(10)]
    hubspot.error_rate(503, 1.0, path_prefix="/marketing/")
    for order in orders:
        enqueue(order)
    run_queue()
    # The first try and urllib3's three retries, once for the whole run.
    assert hubspot.request_count(path_prefix="/marketing/") == 4
    rows = OrderSyncQueue.objects.all()
    assert len(rows) == 10 and all(r.failed_attempts == 1 and r.need_manual_retry is None for r in rows)
    hubspot.error_rate(503, 0, path_prefix="/marketing/")
    OrderSyncQueue.objects.update(not_before=now())
    run_queue()
    assert len(participants(hubspot)) == 10


def test_a_cancelled_or_past_event_is_marked_so(sync_event, item, hubspot):
    switch_on(sync_event)
    with scopes_disabled():
        first = make_order(sync_event, item, code="ABC12", email="a@example.org", attendees=[("A A", "a@example.org")])
        second = make_order(sync_event, item, code="ABC13", email="b@example.org", attendees=[("B B", "b@example.org")])
    sync(first)
    assert (hubspot.marketing_events()[0]["eventCancelled"], hubspot.marketing_events()[0]["eventCompleted"]) == \
        (False, False)
    with scopes_disabled():
        sync_event.log_action("pretix.event.canceled", data={})
        sync_event.date_from = now() - timedelta(days=2)
        sync_event.save()
    sync(second)
    [event] = hubspot.marketing_events()
    assert (event["eventCancelled"], event["eventCompleted"]) == (True, True)


def test_the_sections_problem_clears_once_hubspot_takes_participants(sync_event, item, hubspot, connection):
    switch_on(sync_event)
    with scopes_disabled():
        first = make_order(sync_event, item, code="ABC12", email="a@example.org", attendees=[("A A", "a@example.org")])
        second = make_order(sync_event, item, code="ABC13", email="b@example.org", attendees=[("B B", "b@example.org")])
    sync(first)  # the event exists in HubSpot now, and will not be written again
    hubspot.remove_scope(connection.portal_id, "crm.objects.marketing_events.write")
    sync(second)
    with scopes_disabled():
        assert "no permission for marketing events" in MarketingEventSettings(sync_event).problem
    hubspot.issue_tokens(connection.portal_id)  # the permission is granted again
    OrderSyncQueue.objects.update(need_manual_retry=None, not_before=now())
    run_queue()
    assert participants(hubspot) == {"a@example.org": "REGISTERED", "b@example.org": "REGISTERED"}
    with scopes_disabled():
        assert MarketingEventSettings(sync_event).problem == ""
