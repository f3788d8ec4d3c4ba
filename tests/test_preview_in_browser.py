"""
"Preview HubSpot data" in headless Chromium: from the order page, and from the mapping editor with an order code.

Set PRETIX_HUBSPOT_SCREENSHOTS to a folder to keep a screenshot of each page.
"""
import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from testbed.orders import make_order
from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping, prop
from tests.helpers.browser import snapshot


@pytest.fixture
def site(settings, live_server):
    settings.SITE_URL = live_server.url
    settings.COMPRESS_PRECOMPILERS = settings.COMPRESS_PRECOMPILERS_ORIGINAL
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_preview_from_the_order_page_and_the_mapping_editor(site, browser_page, admin_client, connected_event, item,
                                                            hubspot_app):
    page, event, hubspot = browser_page, connected_event, hubspot_app
    add_identifier_properties(hubspot)
    with scopes_disabled():
        contacts = contacts_mapping(event, properties=[
            prop("email", "email"),
            prop("invoice_address_name_given_name", "firstname"),
            prop("invoice_address_company", "company", "if_empty"),
        ])
        deals_mapping(event, properties=[prop("event_order_code", "dealname"), prop("order_code", "dealstage")])
        order = make_order(event, item, code="WEB42", email="jane.doe@example.org",
                           invoice={"name_parts": {"_scheme": "given_family", "given_name": "Jane",
                                                   "family_name": "Doe"}, "company": "Doe Industries"})
    contact_id = hubspot.add_record("contacts", {"email": "jane.doe@example.org", "firstname": "J.",
                                                 "company": "Acme"})
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": site} for name, morsel in admin_client.cookies.items()
    ])
    hubspot.request_log.clear()

    page.goto(f"{site}/control/event/{event.organizer.slug}/{event.slug}/orders/{order.code}/")
    page.get_by_role("link", name="Preview HubSpot data").click()
    expect(page.locator("h1")).to_contain_text("Preview HubSpot data")
    # the error comes first: the deal stage pretix would send is no stage of HubSpot's pipeline
    errors = page.locator("[data-hubspot-preview-errors]")
    expect(errors).to_contain_text("A transfer of this order would fail")
    expect(errors).to_contain_text("“WEB42” is not one of the options of this property in HubSpot")
    # the contact HubSpot has, found by e-mail, with what each row does
    contact = page.locator("[data-hubspot-preview-record]").first
    expect(contact).to_contain_text("The record would be updated")
    expect(contact.get_by_role("link", name=re.compile(f"Contact #{contact_id}"))).to_be_visible()
    firstname = contact.locator('[data-hubspot-preview-property="firstname"]')
    expect(firstname).to_contain_text("J.")
    expect(firstname).to_contain_text("Replaces the value in HubSpot.")
    expect(contact.locator('[data-hubspot-preview-property="company"]')).to_contain_text(
        "“Fill if empty” keeps the value HubSpot has.")
    snapshot(page, "preview-order")

    # the mapping editor: "Preview HubSpot data for order …"
    page.goto(f"{site}/control/event/{event.organizer.slug}/{event.slug}/hubspot/mappings/{contacts.pk}/")
    page.get_by_placeholder("Order code").fill("web42")
    page.locator("[data-hubspot-preview-form] button").click()
    expect(page.locator(".hubspot-preview-one-mapping")).to_contain_text("Only the mapping “Order → Contacts”")
    expect(page.locator("[data-hubspot-preview-ok]")).to_be_visible()
    expect(page.locator("[data-hubspot-preview-mapping]")).to_have_count(1)
    snapshot(page, "preview-mapping")

    assert [e for e in hubspot.request_log
            if e["method"] != "GET" and not e["path"].endswith("/batch/read")] == []
    assert hubspot.get_record("contacts", contact_id)["properties"]["firstname"] == "J."
