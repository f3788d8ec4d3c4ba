"""
What an organizer sees every day, in headless Chromium at 1366 px, in English and in German: the settings page says in
words what the connection may do and what exists in HubSpot, the mapping editor keeps each row on one line and names
every control, a new deals mapping starts with the rows HubSpot insists on, and the order page has one place for
HubSpot.

Set PRETIX_HUBSPOT_SCREENSHOTS to a folder to keep a screenshot of each page (the pictures of the README and docs/organizer-guide.md come from there).
"""
import json
import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from pretix_hubspot.models import ObjectMapping
from testbed.orders import make_order
from testbed.sync import contacts_mapping, deals_mapping, enqueue, prop, run_queue
from tests.helpers.browser import assert_accessible, settle, snapshot

TEXTS = {
    "en": {
        "contacts_unique": '"pretix-order-id" exists for Contacts, with unique values.',
        "deals_missing": '"pretix-order-id" does not exist for Deals yet.',
        "create_contacts": 'Create "pretix-order-id" for Contacts',
        "create_deals": 'Create "pretix-order-id" for Deals',
        "may_contacts": "read and change contacts",
        "scope_codes": "Technical names of the permissions (OAuth scopes)",
        "export_link": '"Export existing orders"',
        "move_up": "Move up", "move_down": "Move down", "delete": "Delete", "value_map": "Edit value mapping",
        "hubspot_field": "HubSpot Field", "pretix_field": "pretix Field", "mode": "Mode",
        "starter": "Fill in suggested properties", "add_property": "Add property", "save": "Save",
        "apply": "Apply", "saved": "Your changes have been saved.",
        "transfer_box": "Data transfer to external systems", "preview": "Preview HubSpot data",
        "contact_link": "Contact #{id} – Jane Doe",
    },
    "de": {
        "contacts_unique": "„pretix-order-id“ existiert für Kontakte, mit eindeutigen Werten.",
        "deals_missing": "„pretix-order-id“ existiert für Deals noch nicht.",
        "create_contacts": "„pretix-order-id“ für Kontakte anlegen",
        "create_deals": "„pretix-order-id“ für Deals anlegen",
        "may_contacts": "Kontakte lesen und ändern",
        "scope_codes": "Technische Namen der Berechtigungen (OAuth-Scopes)",
        "export_link": "„Bestehende Bestellungen exportieren“",
        "move_up": "Nach oben", "move_down": "Nach unten", "delete": "Löschen",
        "value_map": "Werte-Zuordnung ändern",
        "hubspot_field": "HubSpot-Feld", "pretix_field": "pretix-Feld", "mode": "Modus",
        "starter": "Vorgeschlagene Eigenschaften eintragen", "add_property": "Eigenschaft hinzufügen",
        "save": "Speichern", "apply": "Anwenden", "saved": "Ihre Änderungen wurden gespeichert.",
        "transfer_box": "Datentransfer an externe Systeme", "preview": "Vorschau der HubSpot-Daten",
        "contact_link": "Kontakt #{id} – Jane Doe",
    },
}
# The width of a common laptop screen: every row must fit on one line there.
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture(params=["en", "de"])
def language(request, user):
    user.locale = request.param
    user.save()
    return request.param


@pytest.fixture
def signed_in(site_on_live_server, browser_page, admin_client, connected_event):
    page = browser_page
    page.set_viewport_size(VIEWPORT)
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": site_on_live_server}
        for name, morsel in admin_client.cookies.items()
    ])
    event = connected_event
    return page, f"{site_on_live_server}/control/event/{event.organizer.slug}/{event.slug}"


def add_property(hubspot, object_type, unique=True):
    hubspot.add_property(object_type, "pretix_order_id", "pretix-order-id", "string", "text",
                         has_unique_value=unique)


def tops(locator):
    return [round(box["y"]) for box in (locator.nth(i).bounding_box() for i in range(locator.count())) if box]


def assert_on_one_line(row, what):
    """The row's visible controls and buttons start at the same height: nothing wrapped below."""
    settle(row.page)  # measured once nothing slides or fades any more
    controls = row.locator(":is(select, .select2-selection, button, a.btn):visible:not(.sr-only *, .select2-hidden-accessible)")
    heights = tops(controls)
    assert heights and max(heights) - min(heights) <= 4, (what, heights, row.inner_text())


@pytest.mark.django_db(transaction=True)
def test_settings_page_says_what_exists_and_what_the_connection_may_do(signed_in, language, connected_event,
                                                                       connection, hubspot):
    page, base = signed_in
    t = TEXTS[language]
    add_property(hubspot, "contacts")
    with scopes_disabled():
        connection.account_name = "Acme Events"
        connection.save()
        contacts_mapping(connected_event)
        deals_mapping(connected_event, position=1)

    page.goto(f"{base}/hubspot/")
    # The identifier property: what exists is said, the button is offered only where it is missing.
    section = page.locator("[data-hubspot-identifier-properties]")
    expect(section).to_contain_text(t["contacts_unique"])
    expect(section).to_contain_text(t["deals_missing"])
    expect(section.get_by_role("button", name=t["create_contacts"])).to_have_count(0)
    expect(section.get_by_role("button", name=t["create_deals"])).to_be_visible()

    # Permissions in words; the scope codes only for whoever opens them.
    permissions = page.locator(".hubspot-permissions")
    expect(permissions).to_contain_text(t["may_contacts"])
    codes = permissions.locator("code", has_text="crm.objects.contacts.write")
    expect(codes).to_be_hidden()
    permissions.get_by_text(t["scope_codes"]).click()
    expect(codes).to_be_visible()

    # The account: its name, and a link into HubSpot.
    account = page.locator(".hubspot-account a")
    expect(account).to_contain_text("Acme Events")
    expect(account).to_contain_text(str(connection.portal_id))
    assert account.get_attribute("href") == f"https://{connection.ui_domain}/contacts/{connection.portal_id}"

    # Older orders: the hint points to the export a few lines below, not to each order's page.
    hint = page.locator(".hubspot-status").get_by_role("link", name=t["export_link"])
    assert hint.get_attribute("href") == "#hubspot-export"
    expect(page.locator("#hubspot-export")).to_be_attached()

    snapshot(page, f"settings-{language}")
    for row in page.locator("[data-hubspot-object-mappings] [data-formset-body] [data-formset-form]").all():
        assert_on_one_line(row, "object mapping")
    assert_accessible(page)

    # Creating the missing property: afterwards the page says it exists, and the button is gone.
    section.get_by_role("button", name=t["create_deals"]).click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(section.locator('[data-hubspot-identifier-state="deals:unique"]')).to_be_visible()
    expect(section.get_by_role("button")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_mapping_editor_rows_stay_on_one_line_and_name_their_controls(signed_in, language, connected_event,
                                                                      hubspot):
    page, base = signed_in
    t = TEXTS[language]
    add_property(hubspot, "contacts")
    add_property(hubspot, "deals")
    stages = {"n": "appointmentscheduled", "p": "closedwon", "e": "closedlost", "c": "closedlost"}
    with scopes_disabled():
        contacts_mapping(connected_event, properties=[prop("email", "email"), prop("invoice_address_city", "city",
                                                                                   mode="if_empty")])
        deals = deals_mapping(connected_event, position=1, properties=[
            prop("event_order_code", "dealname"), prop("order_status", "dealstage", value_map=json.dumps(stages)),
            prop("order_total", "amount", mode="if_new"),
        ])

    page.goto(f"{base}/hubspot/mappings/{deals.pk}/")
    editor = page.locator("[data-hubspot-mapping-editor]")
    rows = editor.locator(".formset-row:visible")
    expect(rows).to_have_count(4)  # the identifier and three properties
    snapshot(page, f"mapping-editor-{language}")
    for i in range(4):
        assert_on_one_line(rows.nth(i), f"row {i}")

    # Every control is named by its column; icon-only buttons have names.
    expect(page.get_by_role("combobox", name=re.compile(t["hubspot_field"]))).to_have_count(4)
    expect(page.get_by_role("combobox", name=t["pretix_field"])).to_have_count(4)
    expect(page.get_by_role("combobox", name=t["mode"])).to_have_count(4)
    for name in ("move_up", "move_down", "delete"):
        expect(editor.get_by_role("button", name=t[name], exact=True)).to_have_count(3)
    expect(editor.get_by_role("button", name=t["value_map"])).to_have_count(1)
    assert_accessible(page)

    # A text cut at the field's edge can be read in full.
    with scopes_disabled():
        contacts = connected_event.hubspot_object_mappings.get(external_object_type="contacts")
    page.goto(f"{base}/hubspot/mappings/{contacts.pk}/")
    email = page.locator('select[name="properties-0-pretix_field"]')
    full = email.locator("option:checked").inner_text().strip()
    assert email.get_attribute("title") == full
    # The mode column fits its longest option ("Befüllen wenn leer"): the chosen mode is never cut.
    city_mode = page.locator('select[name="properties-1-overwrite"]')
    assert city_mode.evaluate("""el => {
        const style = getComputedStyle(el), context = document.createElement('canvas').getContext('2d')
        context.font = style.font
        const text = context.measureText(el.options[el.selectedIndex].text).width
        return text + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 20 <= el.clientWidth
    }"""), city_mode.locator("option:checked").inner_text()
    for i in range(page.locator("[data-hubspot-mapping-editor] .formset-row:visible").count()):
        assert_on_one_line(page.locator("[data-hubspot-mapping-editor] .formset-row:visible").nth(i), f"row {i}")
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_a_new_deals_mapping_starts_with_name_and_stage(signed_in, language, connected_event, hubspot):
    page, base = signed_in
    t = TEXTS[language]
    add_property(hubspot, "deals")
    with scopes_disabled():
        deals = ObjectMapping.objects.create(event=connected_event, position=0, pretix_model="Order",
                                             external_object_type="deals")

    page.goto(f"{base}/hubspot/mappings/{deals.pk}/")
    # The stage's value mapping is open, prefilled with the default pipeline: which order status is which stage.
    dialog = page.locator("#editValueMapModal")
    expect(dialog).to_have_class(re.compile(r"(^|\s)in(\s|$)"))
    expect(dialog.locator('[data-value-map-key="p"]')).to_have_value("closedwon")
    snapshot(page, f"new-deals-mapping-{language}")
    dialog.get_by_role("button", name=t["apply"]).click()
    expect(dialog).not_to_have_class(re.compile(r"(^|\s)in(\s|$)"))
    rows = page.locator("[data-hubspot-mapping-editor] [data-formset-body] [data-formset-form]")
    assert [rows.nth(i).locator('[name$="-external_field"]').input_value() for i in range(rows.count())] == [
        "dealname", "dealstage"]

    # The guide's steps: the identifier (order code → pretix-order-id), then the date and the amount.
    page.locator("#id_identifier-pretix_id_field").select_option(value="order_code")
    choose_hubspot_field(page, page.locator("[data-hubspot-identifier]"), "pretix_order_id")
    for pretix_field, hubspot_field in (("order_total", "amount"), ("payment_date", "closedate")):
        page.get_by_role("button", name=t["add_property"]).click()
        row = rows.last
        row.locator('select[name$="-pretix_field"]').select_option(value=pretix_field)
        choose_hubspot_field(page, row, hubspot_field)
    # Rows added in the browser name their controls too.
    expect(page.get_by_role("combobox", name=re.compile(t["hubspot_field"]))).to_have_count(5)
    expect(rows.last.get_by_role("button", name=t["delete"], exact=True)).to_be_visible()
    page.get_by_role("button", name=t["save"], exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(t["saved"])
    deals.refresh_from_db()
    assert [p["external_field"] for p in deals.property_mappings] == ["dealname", "dealstage", "amount", "closedate"]
    assert json.loads(deals.property_mappings[1]["value_map"])["p"] == "closedwon"


def choose_hubspot_field(page, row, name):
    row.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill(name)
    page.locator(".select2-results__option", has_text=f"({name} |").first.click()


@pytest.mark.django_db(transaction=True)
def test_suggested_properties_only_while_nothing_was_entered(signed_in, language, connected_event, hubspot):
    page, base = signed_in
    t = TEXTS[language]
    add_property(hubspot, "contacts")
    with scopes_disabled():
        mapping = ObjectMapping.objects.create(event=connected_event, position=0, pretix_model="Order",
                                               external_object_type="contacts")

    page.goto(f"{base}/hubspot/mappings/{mapping.pk}/")
    offer = page.get_by_role("link", name=t["starter"])
    expect(offer).to_be_visible()
    page.get_by_role("button", name=t["add_property"]).click()
    expect(offer).to_be_hidden()  # following it now would reload the page and drop the new row

    # A save that fails keeps what was entered, and does not offer to replace it.
    page.get_by_role("button", name=t["save"], exact=True).click()
    expect(page.locator(".alert-danger").first).to_be_visible()
    expect(page.get_by_role("link", name=t["starter"])).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_order_page_has_one_place_for_hubspot(signed_in, language, connected_event, item, hubspot):
    page, base = signed_in
    t = TEXTS[language]
    add_property(hubspot, "contacts")
    with scopes_disabled():
        contacts_mapping(connected_event)
        order = make_order(connected_event, item, code="ONE01", email="jane@example.org",
                           invoice={"name_parts": {"_scheme": "given_family", "given_name": "Jane",
                                                   "family_name": "Doe"}})
    enqueue(order)
    run_queue()
    [contact] = hubspot.records("contacts")

    page.goto(f"{base}/orders/ONE01/")
    box = page.locator(".panel", has=page.locator(".panel-title", has_text=t["transfer_box"]))
    expect(box.get_by_role("link", name=t["contact_link"].format(id=contact["id"]))).to_be_visible()
    # No second panel titled "HubSpot": the preview is one line.
    expect(page.locator(".panel-title", has_text=re.compile(r"^\s*HubSpot\s*$"))).to_have_count(0)
    line = page.locator("[data-hubspot-preview-box]")
    expect(line.get_by_role("link", name=t["preview"])).to_be_visible()
    assert line.evaluate("el => el.closest('.panel') === null")
    snapshot(page, f"order-page-{language}")
