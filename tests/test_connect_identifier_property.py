"""The button that creates the pretix-order-id property in HubSpot, which the guide otherwise has done by hand."""
import html
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import LogEntry

from pretix_hubspot.hubspot_api import scopes
from testbed.urls import hubspot_settings_url


def create(client, event, object_type):
    return client.post(hubspot_settings_url(event, "identifier-property/"), {"object_type": object_type},
                       follow=True)


def identifier_property(hubspot, object_type):
    return {p["name"]: p for p in hubspot.properties(object_type)}.get("pretix_order_id")


@pytest.mark.django_db
def test_settings_page_offers_the_button_for_contacts_and_deals(admin_client, connected_event, hubspot_app):
    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert 'action="{}"'.format(hubspot_settings_url(connected_event, "identifier-property/")) in page
    assert 'name="object_type" value="contacts"' in page
    assert 'name="object_type" value="deals"' in page


def page_text(client, event):
    return " ".join(html.unescape(client.get(hubspot_settings_url(event)).content.decode()).split())


@pytest.mark.django_db
def test_settings_page_says_where_the_property_exists(admin_client, connected_event, connection, hubspot_app):
    hubspot_app.add_property("contacts", "pretix_order_id", "pretix-order-id", "string", "text",
                             has_unique_value=True)
    hubspot_app.add_property("deals", "pretix_order_id", "pretix-order-id", "string", "text",
                             has_unique_value=False)
    # As after a night: the access token has expired and is renewed to ask HubSpot.
    connection.access_token_expires = now() - timedelta(minutes=5)
    connection.save()

    text = page_text(admin_client, connected_event)
    assert '"pretix-order-id" exists for Contacts, with unique values.' in text
    assert '"pretix-order-id" exists for Deals, but without unique values' in text
    assert 'name="object_type"' not in text  # nothing to create


@pytest.mark.django_db
def test_after_a_failed_renewal_the_page_does_not_ask_hubspot(admin_client, connected_event, connection,
                                                              hubspot_app):
    connection.access_token_expires = now() - timedelta(minutes=5)
    connection.last_refresh_error = "HubSpot could not be reached."
    connection.save()
    before = hubspot_app.request_count()

    text = page_text(admin_client, connected_event)
    assert hubspot_app.request_count() == before
    assert 'Whether "pretix-order-id" exists for Contacts could not be checked' in text
    assert 'name="object_type" value="contacts"' in text and 'name="object_type" value="deals"' in text


@pytest.mark.django_db
@pytest.mark.parametrize("object_type", ["contacts", "deals"])
def test_button_creates_the_property(admin_client, connected_event, user, hubspot_app, object_type):
    assert identifier_property(hubspot_app, object_type) is None

    page = create(admin_client, connected_event, object_type)

    assert page.status_code == 200
    assert "has been created in HubSpot" in page.content.decode()
    prop = identifier_property(hubspot_app, object_type)
    assert prop["label"] == "pretix-order-id"
    assert prop["type"] == "string" and prop["fieldType"] == "text"
    assert prop["hasUniqueValue"] is True
    assert prop["groupName"] == "pretix"
    other = "deals" if object_type == "contacts" else "contacts"
    assert identifier_property(hubspot_app, other) is None
    with scopes_disabled():
        entry = LogEntry.objects.get(action_type="pretix_hubspot.identifier_property.created")
        assert entry.event == connected_event and entry.user == user
        assert entry.parsed_data["object_type"] == object_type
        assert entry.display() == ("The property pretix-order-id has been created in HubSpot account {} for {}."
                                   .format(hubspot_app.default_portal_id, object_type.capitalize()))


@pytest.mark.django_db
def test_second_click_reports_that_it_exists(admin_client, connected_event, hubspot_app):
    create(admin_client, connected_event, "contacts")
    page = create(admin_client, connected_event, "contacts")
    assert "already exists in HubSpot" in page.content.decode()
    assert len([p for p in hubspot_app.properties("contacts") if p["name"] == "pretix_order_id"]) == 1
    with scopes_disabled():
        assert LogEntry.objects.filter(action_type="pretix_hubspot.identifier_property.created").count() == 1


@pytest.mark.django_db
def test_existing_property_without_unique_values_is_pointed_out(admin_client, connected_event, hubspot_app):
    hubspot_app.add_property("deals", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=False)
    page = create(admin_client, connected_event, "deals")
    assert "does not require unique values" in page.content.decode()
    assert identifier_property(hubspot_app, "deals")["hasUniqueValue"] is False


@pytest.mark.django_db
def test_missing_optional_scope_is_explained(admin_client, connected_event, connection, hubspot_app):
    hubspot_app.remove_scope(connection.portal_id, "crm.schemas.contacts.write")
    page = create(admin_client, connected_event, "contacts")
    text = page.content.decode()
    assert "optional permission to change property definitions was not granted" in text
    assert "create the property by hand" in text
    assert identifier_property(hubspot_app, "contacts") is None


@pytest.mark.django_db
def test_connecting_without_optional_scope_says_so_and_button_explains(admin_client, event, hubspot_app,
                                                                       connect_via_hubspot):
    page = connect_via_hubspot(admin_client, event, grant_scopes=scopes.REQUIRED_SCOPES)
    assert "The optional permission to create properties in HubSpot was not granted." in page.content.decode()
    page = create(admin_client, event, "deals")
    assert "optional permission to change property definitions was not granted" in page.content.decode()


@pytest.mark.django_db
def test_hubspot_down_while_creating_is_reported(admin_client, connected_event, hubspot_app):
    hubspot_app.fail_next(10, 503, path_prefix="/crm/properties/2026-09")
    page = create(admin_client, connected_event, "contacts")
    assert page.status_code == 200
    assert "HubSpot could not be reached or is busy. Please try again in a few minutes." in page.content.decode()
    assert identifier_property(hubspot_app, "contacts") is None


@pytest.mark.django_db
def test_unknown_object_type_and_unconnected_event_are_refused(admin_client, event, hubspot_app):
    page = create(admin_client, event, "products")
    assert "Please choose the HubSpot object type to create the property for." in page.content.decode()
    page = create(admin_client, event, "contacts")
    assert "Please connect this event to HubSpot first." in page.content.decode()
    assert hubspot_app.request_count() == 0


@pytest.fixture
def remembering_cache(settings):
    # pretix's test settings use a cache that forgets everything; production remembers HubSpot's fields for minutes.
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                                      "LOCATION": "identifier-property-tests"}}
    from django.core.cache import cache
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_button_in_the_mapping_editor_returns_there_with_the_new_property_offered(admin_client, connected_event,
                                                                                  hubspot_app, remembering_cache):
    from pretix_hubspot.models import ObjectMapping
    with scopes_disabled():
        mapping = ObjectMapping.objects.create(event=connected_event, pretix_model="Order",
                                               external_object_type="contacts")
    editor = hubspot_settings_url(connected_event, f"mappings/{mapping.pk}/")
    assert "pretix_order_id" not in admin_client.get(editor).content.decode()  # HubSpot's fields are now cached

    response = admin_client.post(hubspot_settings_url(connected_event, "identifier-property/"),
                                 {"object_type": "contacts", "next": editor})

    assert response.status_code == 302 and response["Location"] == editor
    assert "pretix-order-id (pretix_order_id | string)" in admin_client.get(editor).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://phishing.example/", "//phishing.example/x", "/control/"])
def test_button_never_redirects_outside_the_hubspot_settings(admin_client, connected_event, hubspot_app, target):
    response = admin_client.post(hubspot_settings_url(connected_event, "identifier-property/"),
                                 {"object_type": "contacts", "next": target})
    assert response.status_code == 302
    assert response["Location"] == hubspot_settings_url(connected_event)
