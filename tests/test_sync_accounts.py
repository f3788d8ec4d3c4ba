"""A HubSpot record id belongs to one HubSpot account and one object type: it is never used in another."""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled

from pretix_hubspot.models import EventConnection, HubSpotConnection
from testbed.sync import contacts_mapping, enqueue, prop, queue_rows, records_by, results, run_queue

pytestmark = pytest.mark.django_db

OTHER_PORTAL = 7654321


def switch_event_to_other_account(event, hubspot, user):
    """The event is connected to a second HubSpot account of the organizer (as after "Request access" there)."""
    hubspot.create_portal(OTHER_PORTAL)
    for object_type in ("contacts", "deals"):
        hubspot.add_property(object_type, "pretix_order_id", "pretix-order-id", "string", "text",
                             has_unique_value=True, portal_id=OTHER_PORTAL)
    tokens = hubspot.issue_tokens(OTHER_PORTAL)
    with scopes_disabled():
        other = HubSpotConnection(organizer=event.organizer, portal_id=OTHER_PORTAL, scopes=tokens["scopes"],
                                  connected_by=user, access_token_expires=now() + timedelta(hours=1))
        other.access_token = tokens["access_token"]
        other.refresh_token = tokens["refresh_token"]
        other.save()
        EventConnection.objects.filter(event=event).update(connection=other)
    return other


@pytest.mark.parametrize("stored_by", ["this version", "0.1.0"])
def test_record_id_from_the_previous_account_is_not_used_in_the_new_one(sync_event, order, hubspot, user, stored_by):
    contacts_mapping(sync_event)
    enqueue(order)
    run_queue()
    [old_contact] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    [result] = results(order)
    if stored_by == "this version":
        assert result.sync_info["portal_id"] == hubspot.default_portal_id
    else:
        # Results of 0.1.0 carry no account; their link to the record names it.
        with scopes_disabled():
            result.sync_info = {k: v for k, v in result.sync_info.items() if k != "portal_id"}
            result.save()

    switch_event_to_other_account(sync_event, hubspot, user)
    # HubSpot numbers records per account: the new account has an unrelated person under the same id.
    hubspot.add_record("contacts", {"email": "someone.else@example.com", "firstname": "Someone", "lastname": "Else"},
                       portal_id=OTHER_PORTAL, record_id=old_contact["id"])
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    stranger = hubspot.get_record("contacts", old_contact["id"], portal_id=OTHER_PORTAL)
    assert stranger["properties"]["email"] == "someone.else@example.com"
    assert stranger["properties"]["firstname"] == "Someone"
    assert stranger["properties"].get("pretix_order_id") in (None, "")
    [jane] = [r for r in hubspot.records("contacts", portal_id=OTHER_PORTAL)
              if r["properties"].get("email") == "jane.doe@example.org"]
    assert jane["id"] != old_contact["id"]
    assert jane["properties"]["firstname"] == "Jane"
    [result] = results(order)
    assert result.sync_info["object_id"] == jane["id"]
    assert result.sync_info["portal_id"] == OTHER_PORTAL
    assert f"/contacts/{OTHER_PORTAL}/record/0-1/{jane['id']}" in result.external_link_href


def test_record_id_of_another_object_type_is_not_used(sync_event, order, hubspot):
    mapping = contacts_mapping(sync_event)
    enqueue(order)
    run_queue()
    [contact] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    # HubSpot numbers each object type on its own: a deal with the contact's id belongs to someone else.
    hubspot.add_record("deals", {"dealname": "Someone else's deal", "dealstage": "appointmentscheduled"},
                       record_id=contact["id"])

    with scopes_disabled():
        mapping.external_object_type = "deals"
        mapping.property_mappings = [prop("event_order_code", "dealname")]
        mapping.save()
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    assert hubspot.get_record("deals", contact["id"])["properties"]["dealname"] == "Someone else's deal"
    [deal] = records_by(hubspot, "deals", "pretix_order_id", "PYCONF-ABC12")
    assert deal["id"] != contact["id"]
    [result] = results(order)
    assert result.external_object_type == "deals"
    assert result.sync_info["object_id"] == deal["id"]
