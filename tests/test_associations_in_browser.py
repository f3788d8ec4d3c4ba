"""
Companies, line items and labelled associations, step by step in headless Chromium against a live pretix and the
HubSpot sandbox: connect, Order → Companies and Order position → Line items added to the mapping list and filled with
suggested properties, "Deal → Company (Primary)" and the account's own "Attendee" label in the association setup, a
pretix product linked to a HubSpot product, orders placed, pretix's periodic task, and the records (one company per
company name, line items on their deals naming the linked product) and associations in HubSpot.

Set PRETIX_HUBSPOT_SCREENSHOTS to a folder to keep a screenshot of each step (the pictures of the README and docs/organizer-guide.md come from there).
"""
from decimal import Decimal

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from playwright.sync_api import expect
from pretix.base.models import Item

from testbed.orders import make_order
from testbed.sync import add_identifier_properties
from tests.helpers.browser import assert_accessible, snapshot

MAPPINGS = [("Order", "contacts"), ("Order", "companies"), ("Order", "deals"), ("OrderPosition", "line_items"),
            ("OrderPosition", "contacts")]


@pytest.mark.django_db(transaction=True)
def test_companies_line_items_and_labelled_associations(site_on_live_server, browser_page, admin_client, event, item,
                                                        hubspot_app):
    site, page, hubspot = site_on_live_server, browser_page, hubspot_app
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": site} for name, morsel in admin_client.cookies.items()
    ])
    base = f"{site}/control/event/{event.organizer.slug}/{event.slug}"
    hubspot.set_tier("professional")
    attendee_label, __ = hubspot.add_association_label("contacts", "deals", "Attendee", inverse_label="Attended by")
    hubspot_product = hubspot.add_record("products", {"name": "Conference ticket", "price": "120", "hs_sku": "CONF"})
    with scopes_disabled():
        workshop = Item.objects.create(event=event, name="Workshop", default_price=Decimal("80.00"))
    # pretix-order-id, for companies pretix-company-id
    add_identifier_properties(hubspot, ("contacts", "companies", "deals", "line_items"))

    # Connect.
    page.goto(f"{base}/hubspot/")
    page.get_by_role("button", name="Request access").click()
    page.get_by_role("link", name="Sign in to your HubSpot account").click()
    page.locator(f'input[value="{hubspot.default_portal_id}"]').check()
    page.get_by_role("button", name="Choose account").click()
    page.get_by_role("button", name="Connect app").click()
    expect(page.locator(".alert-success")).to_contain_text("The HubSpot integration is now active")

    # The five mappings, added to the list on the settings page (which starts with "Order → Contacts").
    rows = page.locator("[data-hubspot-object-mappings] [data-formset-form]")
    expect(rows).to_have_count(1)
    for i, (model, object_type) in enumerate(MAPPINGS[1:], start=1):
        page.get_by_role("button", name="Add mapping").click()
        expect(rows).to_have_count(i + 1)
        rows.nth(i).locator('select[name$="-pretix_model"]').select_option(model)
        rows.nth(i).locator('select[name$="-external_object_type"]').select_option(object_type)
    snapshot(page, "association-mapping-list")
    page.locator("[data-hubspot-object-mappings]").get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Your changes have been saved.")
    with scopes_disabled():
        mappings = list(event.hubspot_object_mappings.order_by("position"))
    assert [(m.pretix_model, m.external_object_type) for m in mappings] == MAPPINGS
    contacts, companies, deals, line_items, attendees = mappings
    edit_links = [rows.nth(i).locator("[data-hubspot-edit-mapping]").get_attribute("href") for i in range(5)]

    # Each mapping filled with its suggested properties in the editor (the offer's link: a new deals mapping opens
    # with the deal stage's value mapping dialog in front of it otherwise).
    for mapping, link in zip(mappings, edit_links):
        page.goto(f"{site}{link}?starter=1")
        expect(page.get_by_text("Suggested properties have been filled in below")).to_be_visible()
        if mapping == deals:
            # Deal → Company (Primary), in the row left free next to the buyer's contact (there since the deal
            # mapping was added after "Order → Contacts").
            setup = page.locator("[data-hubspot-association-setup]")
            expect(setup).to_contain_text("Associations can reference all objects created earlier on.")
            setup_rows = setup.locator("[data-hubspot-association-row]")
            expect(setup_rows.nth(0).get_by_label("Associate with")).to_have_value(f"{contacts.pk}::")
            setup_rows.nth(1).get_by_label("Associate with").select_option(f"{companies.pk}:HUBSPOT_DEFINED:5")
            snapshot(page, "association-setup")
        if mapping == attendees:
            # Each attendee's contact gets the account's own "Attendee" label on the deal, instead of no label.
            select = page.locator("[data-hubspot-association-setup]").get_by_label("Associate with").first
            expect(select).to_have_value(f"{deals.pk}::")
            expect(select.locator("option", has_text="Attendee")).to_be_attached()
            select.select_option(f"{deals.pk}:USER_DEFINED:{attendee_label}")
            page.locator("[data-hubspot-association-setup]").get_by_label(
                "Remove associations that no longer hold").first.check()
            assert_accessible(page)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-hubspot-association-setup] select").first).to_have_value(
        f"{deals.pk}:USER_DEFINED:{attendee_label}")
    with scopes_disabled():
        deals.refresh_from_db(), attendees.refresh_from_db(), line_items.refresh_from_db()
    assert [(r["to_mapping"], r["label"]) for r in deals.associations] == [
        (contacts.pk, ""), (companies.pk, "Primary")]
    assert [(r["to_mapping"], r["label"], r["remove_stale"]) for r in attendees.associations] == [
        (deals.pk, "Attendee", True)]
    assert ("hubspot_product_id", "hs_product_id") in [
        (r["pretix_field"], r["external_field"]) for r in line_items.property_mappings]

    # The conference ticket is a product of the HubSpot product library; the workshop is not.
    page.goto(f"{base}/hubspot/")
    page.get_by_role("link", name="Link products").click()
    expect(page.locator("h1")).to_contain_text("HubSpot products")
    page.get_by_label("Conference ticket").select_option(hubspot_product)
    expect(page.get_by_label("Workshop")).to_have_value("")
    assert_accessible(page)
    snapshot(page, "products")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Your changes have been saved.")

    # Orders of two companies, one of them twice; pretix's periodic task transfers them.
    event.refresh_from_db()
    with scopes_disabled():
        from pretix.base.signals import order_placed
        orders = [make_order(event, item, code=code, email=f"{code.lower()}@example.org",
                             attendees=[(f"Guest {code}", f"guest.{code.lower()}@example.org")],
                             invoice={"company": company, "city": "Berlin", "country": "DE"})
                  for code, company in (("ACM01", "Acme"), ("DOE01", "Doe Industries"), ("ACM02", "Acme"))]
        orders[1].positions.create(item=workshop, price=workshop.default_price, positionid=2)
        for order in orders:
            order_placed.send(event, order=order)
    call_command("runperiodic", tasks="pretix.base.services.datasync.periodic_sync_all")
    with scopes_disabled():
        for order in orders:
            assert not order.queued_sync_jobs.exists(), list(order.queued_sync_jobs.values())

    companies_by_name = {c["properties"]["name"]: c["id"] for c in hubspot.records("companies")}
    assert sorted(companies_by_name) == ["Acme", "Doe Industries"]
    for order in orders:
        [deal] = [d for d in hubspot.records("deals")
                  if (d["properties"].get("pretix_order_id") or "").endswith(order.code)]
        company = companies_by_name["Doe Industries" if order.code.startswith("DOE") else "Acme"]
        assert hubspot.labelled_associations("deals", deal["id"], "companies") == {company: [None, "Primary"]}
        line_items = {li["properties"]["name"]: li for li in hubspot.records("line_items")
                      if li["id"] in hubspot.associations("deals", deal["id"], "line_items")}
        # One line item per ticket, on its order's deal only; the conference ticket names its HubSpot product.
        assert sorted(line_items) == (["Conference ticket", "Workshop"] if order.code == "DOE01"
                                      else ["Conference ticket"])
        for li in line_items.values():
            assert hubspot.associations("line_items", li["id"], "deals") == [deal["id"]]
        assert line_items["Conference ticket"]["properties"]["hs_product_id"] == hubspot_product
        if "Workshop" in line_items:
            assert not line_items["Workshop"]["properties"].get("hs_product_id")
        [guest] = [c for c in hubspot.records("contacts")
                   if c["properties"].get("email") == f"guest.{order.code.lower()}@example.org"]
        assert hubspot.labelled_associations("contacts", guest["id"], "deals") == {deal["id"]: [None, "Attendee"]}
        [buyer] = [c for c in hubspot.records("contacts")
                   if c["properties"].get("email") == f"{order.code.lower()}@example.org"]
        assert hubspot.labelled_associations("deals", deal["id"], "contacts")[buyer["id"]] == [None]

    page.goto(f"{base}/orders/ACM01/")
    expect(page.locator(".panel", has_text="Data transfer to external systems")).to_contain_text("HubSpot")
    snapshot(page, "association-order-page")
