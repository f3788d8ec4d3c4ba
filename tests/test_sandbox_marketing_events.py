"""The sandbox's marketing events, driven through the official client's typed APIs on the date-versioned paths."""
from datetime import datetime, timezone

import pytest
from hubspot import HubSpot
from hubspot.marketing.events import (
    BatchInputMarketingEventEmailSubscriber, BatchInputMarketingEventSubscriber, MarketingEventCompleteRequestParams,
    MarketingEventCreateRequestParams, MarketingEventEmailSubscriber, MarketingEventSubscriber,
    MarketingEventUpdateRequestParams,
)
from hubspot.marketing.events.exceptions import ApiException, ForbiddenException, NotFoundException

from pretix_hubspot.hubspot_api.api_paths import versioned_api_client

ACCOUNT = "pretix-org-1"
START = datetime(2027, 5, 4, 9, 0, tzinfo=timezone.utc)
END = datetime(2027, 5, 4, 17, 0, tzinfo=timezone.utc)


def client(hubspot, version="2026-09", scopes=None):
    grant = scopes if scopes is not None else [
        "oauth", "crm.objects.contacts.read", "crm.objects.contacts.write",
        "crm.objects.marketing_events.read", "crm.objects.marketing_events.write"]
    tokens = hubspot.issue_tokens(hubspot.default_portal_id, scopes=grant)

    def factory(package, api_name, config):
        configuration = package.Configuration()
        configuration.host = config["host"]
        configuration.access_token = config["access_token"]
        return getattr(package, api_name)(api_client=versioned_api_client(package.ApiClient(configuration), version))

    return HubSpot(access_token=tokens["access_token"], host=hubspot.url, base_url=hubspot.url, api_factory=factory)


def upsert(sdk, external_event_id="ev-1", name="PyCon", **extra):
    return sdk.marketing.events.basic_api.upsert(external_event_id, MarketingEventCreateRequestParams(
        external_account_id=ACCOUNT, external_event_id=external_event_id, event_name=name,
        event_organizer="Tech Events Ltd", start_date_time=START, end_date_time=END, **extra))


def ms(dt):
    return int(dt.timestamp() * 1000)


@pytest.mark.parametrize("version", ["2026-03", "2026-09"])
def test_upsert_creates_then_updates_one_event_on_dated_paths(hubspot, version):
    sdk = client(hubspot, version)
    created = upsert(sdk, event_url="https://tickets.example/org/pycon/")
    updated = upsert(sdk, name="PyCon 2027")
    assert created.object_id == updated.object_id
    [event] = hubspot.marketing_events()
    assert event["eventName"] == "PyCon 2027"
    assert event["startDateTime"] == "2027-05-04T09:00:00.000Z"
    assert event["eventUrl"] == "https://tickets.example/org/pycon/"
    details = sdk.marketing.events.basic_api.get_details("ev-1", ACCOUNT)
    assert details.event_name == "PyCon 2027"
    assert [e["path"] for e in hubspot.request_log] == [
        f"/marketing/marketing-events/{version}/events/ev-1"] * 3


def test_update_cancel_and_complete(hubspot):
    sdk = client(hubspot)
    upsert(sdk)
    sdk.marketing.events.basic_api.update("ev-1", ACCOUNT, MarketingEventUpdateRequestParams(event_name="Renamed"))
    sdk.marketing.events.change_property_api.cancel("ev-1", ACCOUNT)
    [event] = hubspot.marketing_events()
    assert (event["eventName"], event["eventCancelled"], event["eventCompleted"]) == ("Renamed", True, False)
    sdk.marketing.events.change_property_api.complete(
        "ev-1", ACCOUNT, MarketingEventCompleteRequestParams(start_date_time=START, end_date_time=END))
    assert hubspot.marketing_events()[0]["eventCompleted"] is True


def test_create_requires_name_and_organizer(hubspot):
    sdk = client(hubspot)
    with pytest.raises(ApiException) as e:
        sdk.marketing.events.basic_api.upsert("ev-1", MarketingEventCreateRequestParams(
            external_account_id=ACCOUNT, external_event_id="ev-1", event_name="PyCon"))
    assert e.value.status == 400 and "eventOrganizer" in e.value.body


def test_attendance_by_email_creates_missing_contacts_and_by_id_uses_existing(hubspot):
    sdk = client(hubspot)
    upsert(sdk)
    known = hubspot.add_record("contacts", {"email": "known@example.org", "firstname": "Known"})
    answer = sdk.marketing.events.add_event_attendees_api.record_by_contact_emails(
        "ev-1", "register", BatchInputMarketingEventEmailSubscriber(inputs=[
            MarketingEventEmailSubscriber(email="KNOWN@example.org", interaction_date_time=ms(START)),
            MarketingEventEmailSubscriber(email="new@example.org", interaction_date_time=ms(START),
                                          contact_properties={"firstname": "New"}),
        ]), external_account_id=ACCOUNT)
    vids = [r.vid for r in answer.results]
    assert str(vids[0]) == known
    new = hubspot.get_record("contacts", vids[1])
    assert new["properties"]["email"] == "new@example.org" and new["properties"]["firstname"] == "New"
    assert len(hubspot.records("contacts")) == 2

    attended = sdk.marketing.events.add_event_attendees_api.record_by_contact_ids(
        "ev-1", "attend", BatchInputMarketingEventSubscriber(inputs=[
            MarketingEventSubscriber(vid=int(known), interaction_date_time=ms(START),
                                     properties={"joinedAt": str(ms(START))}),
            MarketingEventSubscriber(vid=999999, interaction_date_time=ms(START)),
        ]), external_account_id=ACCOUNT)
    assert [r.vid for r in attended.results] == [int(known)]
    assert attended.num_errors == 1
    sdk.marketing.events.add_event_attendees_api.record_by_contact_ids(
        "ev-1", "cancel", BatchInputMarketingEventSubscriber(inputs=[
            MarketingEventSubscriber(vid=vids[1], interaction_date_time=ms(END))]), external_account_id=ACCOUNT)

    participants = hubspot.marketing_events()[0]["participants"]
    assert participants[known]["state"] == "ATTENDED"
    assert participants[str(vids[1])]["state"] == "CANCELLED"
    counters = sdk.marketing.events.retrieve_participant_state_api.get_participations_counters_by_event_external_id(
        ACCOUNT, "ev-1")
    assert (counters.attended, counters.registered, counters.cancelled) == (1, 0, 1)
    breakdown = sdk.marketing.events.retrieve_participant_state_api \
        .get_participations_breakdown_by_external_event_id(ACCOUNT, "ev-1")
    states = {r.associations.contact.email: r.properties.attendance_state for r in breakdown.results}
    assert states == {"known@example.org": "ATTENDED", "new@example.org": "CANCELLED"}


def test_attendance_for_an_unknown_event_is_404(hubspot):
    sdk = client(hubspot)
    with pytest.raises(NotFoundException):
        sdk.marketing.events.add_event_attendees_api.record_by_contact_ids(
            "nope", "attend", BatchInputMarketingEventSubscriber(inputs=[
                MarketingEventSubscriber(vid=1, interaction_date_time=ms(START))]), external_account_id=ACCOUNT)


def test_missing_scope_and_missing_feature_are_403(hubspot):
    sdk = client(hubspot, scopes=["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"])
    with pytest.raises(ForbiddenException) as e:
        upsert(sdk)
    assert '"category": "MISSING_SCOPES"' in e.value.body
    hubspot.disable_marketing_events()
    sdk = client(hubspot)
    with pytest.raises(ForbiddenException) as e:
        upsert(sdk)
    assert "does not have access to marketing events" in e.value.body


def test_numbered_paths_are_refused_like_the_crm_ones(hubspot):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    sdk = HubSpot(access_token=tokens["access_token"], host=hubspot.url)
    with pytest.raises(NotFoundException):
        upsert(sdk)
    assert hubspot.request_log[-1]["path"] == "/marketing/v3/marketing-events/events/ev-1"
