"""
The plugin's pages as a screen reader and a keyboard see them, in headless Chromium: axe-core (from npm, see
tools/axe) finds no serious or critical problem on the settings page, the mapping editor, the export page and the
order page, in English and in German.
"""
import pytest
from django_scopes import scopes_disabled

from testbed.orders import make_order
from testbed.sync import add_identifier_properties, contacts_mapping, deals_mapping, enqueue, run_queue
from tests.helpers.browser import assert_accessible

TRANSFER_BOX = {"en": "Data transfer to external systems", "de": "Datentransfer an externe Systeme"}


@pytest.fixture(params=["en", "de"])
def language(request, user):
    user.locale = request.param
    user.save()
    return request.param


@pytest.mark.django_db(transaction=True)
def test_pages_have_no_serious_accessibility_problems(site_on_live_server, browser_page, admin_client, language,
                                                      connected_event, item, hubspot):
    site, page, event = site_on_live_server, browser_page, connected_event
    add_identifier_properties(hubspot)
    with scopes_disabled():
        contacts = contacts_mapping(event)
        deals_mapping(event, position=1)
        order = make_order(event, item, code="AXE01", email="ada@example.org")
    enqueue(order)
    run_queue()
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": site} for name, morsel in admin_client.cookies.items()
    ])
    base = f"{site}/control/event/{event.organizer.slug}/{event.slug}"

    for name, url in [
        ("settings", f"{base}/hubspot/"),
        ("mapping-editor", f"{base}/hubspot/mappings/{contacts.pk}/"),
        ("export", f"{base}/hubspot/export/?status=all"),
    ]:
        page.goto(url)
        assert_accessible(page)

    # The order page is pretix's: checked are the parts about HubSpot, pretix's data transfer box and the plugin's line.
    page.goto(f"{base}/orders/AXE01/")
    box = page.locator(".panel", has=page.locator(".panel-title", has_text=TRANSFER_BOX[language]))
    box.evaluate("element => element.setAttribute('data-checked-part', '')")
    assert_accessible(page, "[data-checked-part], [data-hubspot-preview-box]")
