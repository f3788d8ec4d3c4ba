"""
The user guide, step by step, in headless Chromium against a live pretix and the HubSpot sandbox:
enable the plugin, open Settings → HubSpot, Request access, HubSpot's consent screens, "The HubSpot integration is now
active", edit the first object mapping, and see the transferred order on the order page with its links into HubSpot.

Set PRETIX_HUBSPOT_SCREENSHOTS to a folder to keep a screenshot of each step (the pictures of the README and docs/organizer-guide.md come from there).
"""
import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from pretix_hubspot.models import EventConnection
from testbed.orders import make_order
from tests.helpers.browser import snapshot


@pytest.mark.django_db(transaction=True)
def test_the_guide_from_enabling_to_the_order_page(site_on_live_server, browser_page, admin_client,
                                                   event_without_plugin, item, hubspot_app):
    site, page, event = site_on_live_server, browser_page, event_without_plugin
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": site} for name, morsel in admin_client.cookies.items()
    ])
    base = f"{site}/control/event/{event.organizer.slug}/{event.slug}"

    # "Navigate to Your Event → Settings → Plugins and switch to the Integrations tab. Click Enable next to HubSpot."
    page.goto(f"{base}/settings/plugins")
    page.get_by_role("tab", name="Integrations").click()
    page.locator('button[name="plugin:pretix_hubspot"][value="enable"]').click()
    expect(page.locator('button[name="plugin:pretix_hubspot"][value="disable"]')).to_be_attached()

    # "Click the Settings drop-down menu next to the HubSpot plugin, then Settings > HubSpot."
    page.get_by_role("tab", name="Integrations").click()
    page.locator(f'a[href="/control/event/{event.organizer.slug}/{event.slug}/hubspot/"]').first.click(force=True)
    expect(page.locator("h1")).to_have_text("HubSpot Integration")
    snapshot(page, "1-request-access")

    # "Click Request access" → HubSpot's screens: sign in, choose the account, connect the unverified app.
    page.get_by_role("button", name="Request access").click()
    expect(page.locator("h1")).to_have_text("Connecting your pretix account to HubSpot")
    page.get_by_role("link", name="Sign in to your HubSpot account").click()
    expect(page.locator("h1")).to_have_text("Connecting pretix to HubSpot")
    page.locator(f'input[value="{hubspot_app.default_portal_id}"]').check()
    page.get_by_role("button", name="Choose account").click()
    expect(page.get_by_text("You're connecting an unverified app")).to_be_visible()
    page.get_by_role("button", name="Connect app").click()

    # Back in pretix: the green box, the connection's status and the object mappings.
    expect(page.locator(".alert-success")).to_contain_text("The HubSpot integration is now active")
    expect(page.get_by_text(str(hubspot_app.default_portal_id)).first).to_be_visible()
    expect(page.get_by_text("Object mappings").first).to_be_visible()
    snapshot(page, "2-integration-active")
    with scopes_disabled():
        assert EventConnection.objects.filter(event=event).exists()

    # "Creating a custom property": the plugin offers to create pretix-order-id in HubSpot.
    page.get_by_role("button", name='Create "pretix-order-id" for Contacts').click()
    expect(page.locator(".alert-success")).to_contain_text("pretix-order-id")
    assert any(p["name"] == "pretix_order_id" and p["hasUniqueValue"] for p in hubspot_app.properties("contacts"))

    # "Under Object mappings, edit the first entry: pretix object type Order, HubSpot object type Contacts. Save."
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.get_by_role("link", name="Edit mapping").first.click()
    expect(page.get_by_text("Identifier", exact=True)).to_be_attached()
    # The identifier line: Order code → pretix-order-id; then the rows the guide types by hand, filled in for us.
    page.get_by_role("link", name="Fill in suggested properties").click()
    expect(page.get_by_text("Suggested properties have been filled in below")).to_be_visible()
    snapshot(page, "3-mapping-editor")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    with scopes_disabled():
        mapping = event.hubspot_object_mappings.get()
        assert (mapping.pretix_id_field, mapping.external_id_field) == ("order_code", "pretix_order_id")
        assert any(m["external_field"] == "email" for m in mapping.property_mappings)

    # An order placed now is queued; pretix's periodic task transfers it; the order page links to the record.
    event.refresh_from_db()  # the browser enabled the plugin; signals look at the event's current plugin list
    with scopes_disabled():
        order = make_order(event, item, code="GUIDE1", email="grace@example.org", attendees=[("Grace Hopper", None)])
        from pretix.base.signals import order_placed
        order_placed.send(event, order=order)
    call_command("runperiodic", tasks="pretix.base.services.datasync.periodic_sync_all")
    with scopes_disabled():
        assert not order.queued_sync_jobs.exists(), list(order.queued_sync_jobs.values())
    contacts = [c for c in hubspot_app.records("contacts") if c["properties"].get("email") == "grace@example.org"]
    assert len(contacts) == 1
    page.goto(f"{base}/orders/GUIDE1/")
    box = page.locator(".panel", has_text="Data transfer to external systems")
    expect(box).to_contain_text("HubSpot")
    contact_id = contacts[0]["id"]
    link = box.locator(f'a[href$="/record/0-1/{contact_id}"]')
    expect(link).to_contain_text(f"Contact #{contact_id}")
    snapshot(page, "4-order-page")
