"""Check-ins as attendance in the HubSpot marketing event: collected per ticket, sent in batches, never lost."""
import pytest
from django_scopes import scopes_disabled
from pretix.base.models import Checkin
from pretix.base.services.checkin import perform_checkin

from pretix_hubspot.models import PendingAttendance
from pretix_hubspot.transfer import checkins
from pretix_hubspot.transfer.marketing_events import MarketingEventSettings
from testbed.orders import make_order
from testbed.sync import attendee_mapping, contacts_mapping, enqueue, run_queue
from testbed.urls import hubspot_settings_url
from tests.test_marketing_events_sync import participants, switch_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(sync_event, item, hubspot):
    """A paid order with two attendees, registered in HubSpot through the contact mappings."""
    contacts_mapping(sync_event)
    attendee_mapping(sync_event)
    switch_on(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org"), ("John Smith", "john@example.org")])
        clist = sync_event.checkin_lists.create(name="Main entrance", allow_multiple_entries=True)
    enqueue(order)
    run_queue()
    return order, clist


def scan(order, clist, positionid=1, type=Checkin.TYPE_ENTRY):
    with scopes_disabled():
        position = order.positions.get(positionid=positionid)
        perform_checkin(position, clist, {}, type=type)
        return position


def send(event):
    with scopes_disabled():
        return checkins.send_event_attendance(event)


def test_a_checkin_becomes_attended_once_with_the_contact_of_the_registration(registered, sync_event, hubspot):
    order, clist = registered
    scan(order, clist)
    scan(order, clist)  # scanned again
    scan(order, clist, type=Checkin.TYPE_EXIT)  # and out
    with scopes_disabled():
        assert PendingAttendance.objects.count() == 1
    assert send(sync_event) == (1, 0)
    assert participants(hubspot) == {"jane@example.org": "ATTENDED", "john@example.org": "REGISTERED"}
    [event] = hubspot.marketing_events()
    jane = [c for c, p in event["participants"].items() if p["state"] == "ATTENDED"][0]
    attends = [h for h in event["participants"][jane]["history"] if h["state"] == "ATTENDED"]
    with scopes_disabled():
        checkin = Checkin.objects.filter(type=Checkin.TYPE_ENTRY).order_by("datetime").first()
    assert len(attends) == 1
    assert attends[0]["at"] == int(checkin.datetime.timestamp() * 1000)
    assert attends[0]["properties"]["joinedAt"] == str(attends[0]["at"])
    # By the contact id the registration used: no e-mail lookup, no second contact.
    assert hubspot.request_count(path_prefix=f"/marketing/marketing-events/2026-09/attendance/pretix-{sync_event.pk}"
                                             "/attend/create") == 1
    assert len(hubspot.records("contacts")) == 2
    assert send(sync_event) == (0, 0)


def test_many_checkins_share_one_request(sync_event, item, hubspot):
    switch_on(sync_event)
    with scopes_disabled():
        clist = sync_event.checkin_lists.create(name="Main entrance")
        orders = [make_order(sync_event, item, code=f"ORD{i:02d}", email=f"p{i}@example.org",
                             attendees=[(f"P Number{i}", f"p{i}@example.org")]) for i in range(30)]
    for order in orders:
        scan(order, clist)
    before = hubspot.request_count()
    assert send(sync_event) == (30, 0)
    # One upsert of the marketing event, one attendance request for all thirty.
    assert hubspot.request_count() - before == 2
    assert set(participants(hubspot).values()) == {"ATTENDED"}


def test_checkins_wait_while_hubspot_is_down_and_go_out_later(registered, sync_event, hubspot):
    order, clist = registered
    scan(order, clist)
    # The first try and urllib3's three retries all fail.
    hubspot.fail_next(4, 503, path_prefix="/marketing/")
    assert send(sync_event) == (0, 1)
    with scopes_disabled():
        row = PendingAttendance.objects.get()
    assert row.sent is None and row.attempts == 1 and "temporarily unavailable" in row.last_error
    assert send(sync_event) == (1, 0)
    assert participants(hubspot)["jane@example.org"] == "ATTENDED"


def test_only_the_selected_checkin_lists_count(registered, sync_event, hubspot):
    order, clist = registered
    with scopes_disabled():
        other = sync_event.checkin_lists.create(name="Workshop room")
        MarketingEventSettings(sync_event).save(enabled=True, participants="attendees", register_on="paid",
                                                checkin_list_ids=[clist.pk])
    scan(order, other)
    with scopes_disabled():
        assert PendingAttendance.objects.count() == 0
    scan(order, clist, positionid=2)
    assert send(sync_event) == (1, 0)
    assert participants(hubspot) == {"jane@example.org": "REGISTERED", "john@example.org": "ATTENDED"}


def test_an_annulled_checkin_is_taken_back_before_it_is_sent(registered, sync_event, hubspot):
    order, clist = registered
    position = scan(order, clist)
    with scopes_disabled():
        checkin = position.checkins.get()
        checkin.successful = False
        checkin.save()
        checkins.forget_checkin(sync_event, checkin)
        assert PendingAttendance.objects.count() == 0


def test_earlier_checkins_can_be_sent_from_the_settings_page(sync_event, item, hubspot, admin_client):
    with scopes_disabled():
        clist = sync_event.checkin_lists.create(name="Main entrance")
        order = make_order(sync_event, item, code="ABC12", email="jane@example.org",
                           attendees=[("Jane Doe", "jane@example.org")])
    scan(order, clist)  # while the marketing event is still off
    with scopes_disabled():
        assert PendingAttendance.objects.count() == 0
    switch_on(sync_event)
    page = admin_client.post(hubspot_settings_url(sync_event, "marketing-event/past-checkins/"), follow=True)
    assert "1 check-ins are queued for HubSpot as attendance." in page.content.decode()
    assert send(sync_event) == (1, 0)
    assert participants(hubspot) == {"jane@example.org": "ATTENDED"}


def test_a_burst_of_checkins_schedules_one_run(sync_event, item, hubspot, django_capture_on_commit_callbacks):
    switch_on(sync_event)
    with scopes_disabled():
        clist = sync_event.checkin_lists.create(name="Main entrance")
        orders = [make_order(sync_event, item, code=f"ORD{i:02d}", email=f"p{i}@example.org",
                             attendees=[(f"P Number{i}", f"p{i}@example.org")]) for i in range(5)]
    with django_capture_on_commit_callbacks() as scheduled:
        for order in orders:
            scan(order, clist)
    runs = [c for c in scheduled if "send_attendance" in repr(c.__code__.co_names)]
    assert len(runs) == 1


def test_a_stream_of_checkins_schedules_a_run_per_window(sync_event, item, hubspot, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils.timezone import now

    switch_on(sync_event)
    with scopes_disabled():
        clist = sync_event.checkin_lists.create(name="Main entrance")
        orders = [make_order(sync_event, item, code=f"ORD{i:02d}", email=f"p{i}@example.org",
                             attendees=[(f"P Number{i}", f"p{i}@example.org")]) for i in range(4)]
    later = now() + timedelta(seconds=checkins.BATCH_DELAY + 1)
    with django_capture_on_commit_callbacks() as scheduled:
        scan(orders[0], clist)
        scan(orders[1], clist)
        # the doors stay busy: the next window starts while the first check-ins still wait
        monkeypatch.setattr(checkins, "now", lambda: later)
        scan(orders[2], clist)
        scan(orders[3], clist)
    runs = [c for c in scheduled if "send_attendance" in repr(c.__code__.co_names)]
    assert len(runs) == 2
