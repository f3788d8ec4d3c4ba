"""The "Marketing event" section of the HubSpot settings page."""
import pytest
from django_scopes import scopes_disabled

from pretix_hubspot.transfer.marketing_events import MarketingEventSettings
from testbed.urls import hubspot_settings_url

pytestmark = pytest.mark.django_db


def section(page):
    text = page.content.decode()
    start = text.index('id="hubspot-marketing-event"')
    return text[start:text.index("</fieldset>", start)]


def test_the_section_is_off_by_default_and_can_be_switched_on(admin_client, connected_event):
    with scopes_disabled():
        clist = connected_event.checkin_lists.create(name="Main entrance")
    html = section(admin_client.get(hubspot_settings_url(connected_event)))
    assert "Marketing event" in html
    assert 'name="enabled"' in html and "checked" not in html.split('name="enabled"')[1].split(">")[0]
    assert "Main entrance" in html
    assert "no permission for marketing events" not in html

    page = admin_client.post(hubspot_settings_url(connected_event, "marketing-event/"), {
        "enabled": "on", "participants": "buyer", "register_on": "placed", "checkin_lists": [str(clist.pk)],
    }, follow=True)
    assert "The marketing event is switched on." in page.content.decode()
    with scopes_disabled():
        settings = MarketingEventSettings(connected_event)
        assert (settings.enabled, settings.participants, settings.register_on, settings.checkin_list_ids) == \
            (True, "buyer", "placed", [clist.pk])
        assert connected_event.logentry_set.filter(action_type="pretix_hubspot.marketing_event.changed").exists()
    assert "Send earlier check-ins as attendance" in section(page)


def test_a_missing_permission_offers_to_request_access_again(admin_client, connected_event, connection):
    with scopes_disabled():
        connection.scopes = [s for s in connection.scopes if "marketing_events" not in s]
        connection.save()
    html = section(admin_client.get(hubspot_settings_url(connected_event)))
    assert "no permission for marketing events yet" in html
    assert "Request access again" in html and hubspot_settings_url(connected_event, "connect/") in html


def test_hubspots_refusal_is_shown_on_the_section(admin_client, connected_event):
    with scopes_disabled():
        settings = MarketingEventSettings(connected_event)
        settings.save(enabled=True, participants="attendees", register_on="paid", checkin_list_ids=[])
        settings.set_problem("HubSpot does not let this account use marketing events (no access).")
    html = section(admin_client.get(hubspot_settings_url(connected_event)))
    assert "HubSpot does not let this account use marketing events (no access)." in html


def test_only_users_who_may_change_settings_can_save(readonly_client, connected_event):
    url = hubspot_settings_url(connected_event, "marketing-event/")
    assert readonly_client.post(url, {"enabled": "on", "participants": "buyer", "register_on": "paid"}) \
        .status_code == 403
    assert readonly_client.post(url + "past-checkins/").status_code == 403
    with scopes_disabled():
        assert MarketingEventSettings(connected_event).enabled is False


def test_saving_takes_post_only(admin_client, connected_event):
    assert admin_client.get(hubspot_settings_url(connected_event, "marketing-event/")).status_code == 405


def test_a_copied_event_keeps_the_choices_with_its_own_checkin_lists(connected_event, organizer):
    from datetime import timedelta

    from django.utils.timezone import now
    from pretix.base.models import Event

    with scopes_disabled():
        clist = connected_event.checkin_lists.create(name="Main entrance")
        settings = MarketingEventSettings(connected_event)
        settings.save(enabled=True, participants="buyer", register_on="placed", checkin_list_ids=[clist.pk])
        settings.set_problem("HubSpot does not let this account use marketing events (no access).")
        copy = Event.objects.create(organizer=organizer, name="PyConf 2028", slug="pyconf28", currency="EUR",
                                    date_from=now() + timedelta(days=400), plugins=connected_event.plugins)
        copy.copy_data_from(connected_event)
        copied = MarketingEventSettings(copy)
        assert (copied.enabled, copied.participants, copied.register_on) == (True, "buyer", "placed")
        assert copied.checkin_list_ids == [copy.checkin_lists.get(name="Main entrance").pk]
        assert copied.problem == ""
