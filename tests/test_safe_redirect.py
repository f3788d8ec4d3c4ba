"""A form's ``next`` leads back into the event's HubSpot settings on this site, never to another page or host."""
import pytest
from django.test import RequestFactory

from pretix_hubspot.views.safe_redirect import next_url
from testbed.urls import hubspot_settings_url

SETTINGS = "/control/event/demo/conf/hubspot/"


def posted(next_value, secure=False):
    return RequestFactory().post("/control/event/demo/conf/hubspot/mappings/refresh-fields/", {"next": next_value},
                                 secure=secure, HTTP_HOST="pretix.example")


@pytest.mark.parametrize("target", [SETTINGS, SETTINGS + "mappings/12/", SETTINGS + "mappings/12/?tab=fields"])
def test_a_page_below_the_settings_is_where_next_leads(target):
    assert next_url(posted(target), SETTINGS) == target


@pytest.mark.parametrize("target", [
    "",
    "https://phishing.example/",
    "//phishing.example/control/event/demo/conf/hubspot/",
    "/\\phishing.example/",
    "https://pretix.example/control/event/demo/conf/hubspot/",  # not a path: the settings are reached by path only
    "/control/",
    "/control/event/demo/other/hubspot/",
    "/control/event/demo/conf/hubspot/../../other/",
    "/control/event/demo/conf/hubspot-evil/",
    "javascript:alert(1)",
])
def test_anything_else_falls_back_to_the_settings_page(target):
    assert next_url(posted(target), SETTINGS) == SETTINGS


@pytest.mark.django_db
def test_the_schema_refresh_button_keeps_next_inside_the_hubspot_settings(admin_client, connected_event):
    settings_page = hubspot_settings_url(connected_event)
    response = admin_client.post(settings_page + "mappings/refresh-fields/", {"next": "/control/"})
    assert response.status_code == 302 and response["Location"] == settings_page
