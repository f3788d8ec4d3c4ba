"""
"Export existing orders" in headless Chromium against a live pretix and the HubSpot sandbox: from the settings page
to the count, the start, the progress, and the offer to send the orders again.

Set PRETIX_HUBSPOT_SCREENSHOTS to a folder to keep a screenshot of each step.
"""
import re
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled
from playwright.sync_api import expect
from pretix.base.models import Order

from testbed.orders import make_order
from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping, run_queue
from tests.helpers.browser import snapshot


@pytest.mark.django_db(transaction=True)
def test_export_existing_orders_in_the_browser(site_on_live_server, browser_page, admin_client,  # noqa: F811
                                               connected_event, item, hubspot):
    site, page, event = site_on_live_server, browser_page, connected_event
    add_identifier_properties(hubspot)
    with scopes_disabled():
        contacts_mapping(event)
        deals_mapping(event)
        placed = now() - timedelta(days=60)
        for i in range(5):
            make_order(event, item, code=f"EARLY{i}", email=f"early{i}@example.org", placed=placed,
                       status=Order.STATUS_PENDING if i == 4 else Order.STATUS_PAID)
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": site} for name, morsel in admin_client.cookies.items()
    ])

    page.goto(f"{site}/control/event/{event.organizer.slug}/{event.slug}/hubspot/")
    section = page.locator("fieldset.hubspot-export")
    expect(section).to_contain_text("Orders placed before this event was connected to HubSpot are not transferred")
    section.get_by_role("link", name="Export existing orders").click()

    expect(page.locator("h1")).to_contain_text("Export existing orders to HubSpot")
    page.get_by_label("Order status").select_option(label="Paid")
    page.get_by_role("button", name="Count orders").click()
    expect(page.locator(".hubspot-export-start .lead")).to_have_text("4 orders match this selection.")
    snapshot(page, "export-1-count")
    assert hubspot.records("contacts") == []

    page.get_by_role("button", name="Export 4 orders to HubSpot").click()
    expect(page.locator(".alert-success")).to_contain_text("4 orders are queued for HubSpot.")
    expect(page.locator(".hubspot-export-active")).to_contain_text("4 waiting in the queue")
    expect(page.get_by_role("button", name="Count orders")).to_be_visible()
    snapshot(page, "export-2-queued")

    run_queue()  # what the sync engine's runs do in the background
    page.reload()
    expect(page.locator(".hubspot-export-active")).to_have_count(0)
    expect(page.locator("table.hubspot-export-runs")).to_contain_text("4 of 4 transferred, 0 failed, 0 waiting")
    expect(page.locator("table.hubspot-export-runs")).to_contain_text(re.compile("Finished"))
    snapshot(page, "export-3-finished")
    assert sorted(c["properties"]["email"] for c in hubspot.records("contacts")) == [
        f"early{i}@example.org" for i in range(4)
    ]

    page.get_by_role("link", name="Back to the HubSpot settings").click()
    offer = page.locator(".hubspot-resync-offer")
    expect(offer).to_contain_text("4 orders were already transferred to HubSpot. Send them again with the current "
                                  "settings?")
    snapshot(page, "export-4-settings-offer")
    offer.get_by_role("button", name="Send 4 orders again").click()
    expect(page.locator(".alert-success")).to_contain_text("4 orders are queued for HubSpot.")
    snapshot(page, "export-5-sent-again")
