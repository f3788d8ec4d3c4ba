"""The settings page before anything is set up, and the server-wide HubSpot app configuration."""
import pytest
from django.conf import settings
from pretix.base.models.auth import StaffSession
from pretix.base.settings import GlobalSettingsObject

from pretix_hubspot import conf
from testbed.urls import hubspot_settings_url

REDIRECT_URI = "http://example.com/_hubspot/oauth_return/"


@pytest.fixture
def staff_client(admin_client, user):
    user.is_staff = True
    user.save()
    session = admin_client.session
    session.save()
    StaffSession.objects.create(user=user, session_key=session.session_key)
    return admin_client


@pytest.fixture
def hubspot_cfg():
    """Values in pretix.cfg's [hubspot] section, as an administrator would write them."""
    parser = settings.CONFIG_FILE.cp  # the parsed pretix.cfg behind pretix's environment-aware wrapper
    assert not parser.has_section("hubspot")
    parser.add_section("hubspot")
    yield parser
    parser.remove_section("hubspot")


@pytest.mark.django_db
def test_without_app_credentials_page_says_what_to_configure(admin_client, event):
    page = admin_client.get(hubspot_settings_url(event))
    assert page.status_code == 200
    text = page.content.decode()
    assert "HubSpot Integration" in text
    assert "The HubSpot app is not set up on this server yet." in text
    assert "client ID and client secret" in text
    assert "Global settings" in text
    assert "[hubspot]" in text and "pretix.cfg" in text and "client_id" in text and "client_secret" in text
    assert REDIRECT_URI in text
    assert "Request access" not in text
    # Only administrators get the shortcut to the global settings.
    assert "/control/global/settings/" not in text


@pytest.mark.django_db
def test_without_app_credentials_request_access_does_not_leave_pretix(admin_client, event):
    response = admin_client.post(hubspot_settings_url(event, "connect/"))
    assert response.status_code == 302
    assert response["Location"] == hubspot_settings_url(event)
    page = admin_client.get(response["Location"]).content.decode()
    assert "ask your administrator" in page


@pytest.mark.django_db
def test_administrator_gets_link_to_global_settings(staff_client, event):
    assert "/control/global/settings/" in staff_client.get(hubspot_settings_url(event)).content.decode()


@pytest.mark.django_db
def test_global_settings_page_has_the_hubspot_app_fields_and_redirect_uri(staff_client):
    page = staff_client.get("/control/global/settings/")
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("hubspot_client_id", "hubspot_client_secret", "hubspot_api_url", "hubspot_auth_url",
                 "hubspot_timeout"):
        assert f'name="{name}"' in text
    assert REDIRECT_URI in text


@pytest.mark.django_db
def test_saving_the_app_credentials_makes_connecting_possible(staff_client, event):
    page = staff_client.get("/control/global/settings/")
    form = page.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value in (None, "") and field.initial is not None:
            value = field.initial
        if hasattr(field.widget, "widgets"):  # multi-language fields: one input per language
            for i, v in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = v or ""
        elif value not in (None, False):
            data[name] = value
    data.update({"hubspot_client_id": "my-client-id", "hubspot_client_secret": "my-client-secret",
                 "hubspot_api_url": "https://api-eu1.hubapi.com"})
    response = staff_client.post("/control/global/settings/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response

    assert conf.app_credentials() == ("my-client-id", "my-client-secret")
    assert conf.api_url() == "https://api-eu1.hubapi.com"
    assert conf.auth_url() == conf.DEFAULTS["auth_url"]
    # The secret is never shown again.
    assert "my-client-secret" not in staff_client.get("/control/global/settings/").content.decode()
    # Now the event's settings page offers to connect.
    assert "Request access" in staff_client.get(hubspot_settings_url(event)).content.decode()


@pytest.mark.django_db
def test_values_from_pretix_cfg_win_and_their_fields_cannot_be_edited(staff_client, hubspot_cfg):
    GlobalSettingsObject().settings.set("hubspot_client_id", "from-the-form")
    hubspot_cfg.set("hubspot", "client_id", "from-pretix-cfg")
    hubspot_cfg.set("hubspot", "api_url", "https://api.staging.example")

    assert conf.app_credentials()[0] == "from-pretix-cfg"
    assert conf.api_url() == "https://api.staging.example"
    page = staff_client.get("/control/global/settings/")
    form = page.context["form"]
    assert form.fields["hubspot_client_id"].disabled
    assert form.fields["hubspot_api_url"].disabled
    assert not form.fields["hubspot_client_secret"].disabled
    text = page.content.decode()
    assert "Set in the server&#x27;s pretix.cfg (section [hubspot], option client_id); change it there." in text
    assert "from-pretix-cfg" in text  # the value in effect is shown


@pytest.mark.django_db
def test_connected_page_contains_status_mappings_and_property_sections(admin_client, connected_event, hubspot_app):
    text = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert "hubspot-status" in text
    assert "hubspot-identifier-property" in text
    assert "hubspot-object-mappings" in text
    assert "Connection to HubSpot" in text
    assert "organizer@techevents.example" in text  # the HubSpot user


@pytest.mark.django_db
def test_connected_event_warns_when_app_credentials_disappear(admin_client, connected_event, hubspot_app):
    GlobalSettingsObject().settings.delete("hubspot_client_secret")
    text = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert "hubspot-status" in text  # the connection itself is still shown
    assert "access to HubSpot cannot be renewed" in text
