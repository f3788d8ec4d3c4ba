"""
Companies, line items and labelled associations, step by step in headless Chromium against a live pretix and the
HubSpot sandbox: connect, Order → Companies and Order position → Line items with suggested properties, "Deal →
Company (Primary)" and the account's own "Attendee" label in the association setup, orders placed, pretix's periodic
task, and the records and associations in HubSpot.

Set PRETIX_HUBSPOT_SCREENSHOTS to a folder to keep a screenshot of each step (the pictures of the README and docs/organizer-guide.md come from there).
"""
import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from pretix_hubspot.models import ObjectMapping
from testbed.orders import make_order
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
    for object_type in ("contacts", "companies", "deals", "line_items"):
        hubspot.add_property(object_type, "pretix_order_id", "pretix-order-id", "string", "text",
                             has_unique_value=True)

    # Connect.
    page.goto(f"{base}/hubspot/")
    page.get_by_role("button", name="Request access").click()
    page.get_by_role("link", name="Sign in to your HubSpot account").click()
    page.locator(f'input[value="{hubspot.default_portal_id}"]').check()
    page.get_by_role("button", name="Choose account").click()
    page.get_by_role("button", name="Connect app").click()
    expect(page.locator(".alert-success")).to_contain_text("The HubSpot integration is now active")

    # The five mappings of the list, each filled with its suggested properties in the editor.
    with scopes_disabled():
        mappings = [ObjectMapping.objects.create(event=event, position=i, pretix_model=model, external_object_type=t)
                    for i, (model, t) in enumerate(MAPPINGS)]
    contacts, companies, deals, line_items, attendees = mappings
    for mapping in mappings:
        # The offer's link (a new deals mapping opens with the deal stage's value mapping dialog in front of it).
        page.goto(f"{base}/hubspot/mappings/{mapping.pk}/?starter=1")
        expect(page.get_by_text("Suggested properties have been filled in below")).to_be_visible()
        if mapping == deals:
            # Deal → Company (Primary), and the buyer's contact without a label.
            setup = page.locator("[data-hubspot-association-setup]")
            expect(setup).to_contain_text("Associations can reference all objects created earlier on.")
            setup.get_by_label("Associate with").select_option(f"{companies.pk}:HUBSPOT_DEFINED:5")
            snapshot(page, "association-setup")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".alert-success")).to_be_visible()
    # A second association of the deal: the row added after saving.
    page.goto(f"{base}/hubspot/mappings/{deals.pk}/")
    page.locator("[data-hubspot-association-row]").nth(1).get_by_label("Associate with").select_option(
        f"{contacts.pk}::")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    # Each attendee's contact gets the account's own "Attendee" label on the deal.
    page.goto(f"{base}/hubspot/mappings/{attendees.pk}/")
    select = page.locator("[data-hubspot-association-setup]").get_by_label("Associate with")
    expect(select.locator("option", has_text="Attendee")).to_be_attached()
    select.select_option(f"{deals.pk}:USER_DEFINED:{attendee_label}")
    page.locator("[data-hubspot-association-setup]").get_by_label("Remove associations that no longer hold").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-hubspot-association-setup] select").first).to_have_value(
        f"{deals.pk}:USER_DEFINED:{attendee_label}")
    with scopes_disabled():
        deals.refresh_from_db(), attendees.refresh_from_db()
    assert [(r["to_mapping"], r["label"]) for r in deals.associations] == [
        (companies.pk, "Primary"), (contacts.pk, "")]
    assert [(r["to_mapping"], r["label"], r["remove_stale"]) for r in attendees.associations] == [
        (deals.pk, "Attendee", True)]

    # Orders of two companies, one of them twice; pretix's periodic task transfers them.
    event.refresh_from_db()
    with scopes_disabled():
        from pretix.base.signals import order_placed
        orders = [make_order(event, item, code=code, email=f"{code.lower()}@example.org",
                             attendees=[(f"Guest {code}", f"guest.{code.lower()}@example.org")],
                             invoice={"company": company, "city": "Berlin", "country": "DE"})
                  for code, company in (("ACM01", "Acme"), ("DOE01", "Doe Industries"), ("ACM02", "Acme"))]
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
        [line_item] = hubspot.associations("deals", deal["id"], "line_items")
        assert hubspot.associations("line_items", line_item, "deals") == [deal["id"]]
        [guest] = [c for c in hubspot.records("contacts")
                   if c["properties"].get("email") == f"guest.{order.code.lower()}@example.org"]
        assert hubspot.labelled_associations("contacts", guest["id"], "deals") == {deal["id"]: [None, "Attendee"]}
        [buyer] = [c for c in hubspot.records("contacts")
                   if c["properties"].get("email") == f"{order.code.lower()}@example.org"]
        assert hubspot.labelled_associations("deals", deal["id"], "contacts")[buyer["id"]] == [None]

    page.goto(f"{base}/orders/ACM01/")
    expect(page.locator(".panel", has_text="Data transfer to external systems")).to_contain_text("HubSpot")
    snapshot(page, "association-order-page")
