"""The value-mapping dialog in a real browser: pretix ships the button, the plugin ships the dialog and its script."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.mappings import add_order_id_property, make_mapping

# Bootstrap marks an open dialog with the class "in".
OPEN = re.compile(r"(^|\s)in(\s|$)")


def shown(locator):
    return "hidden" not in (locator.get_attribute("class") or "").split()


@pytest.mark.django_db(transaction=True)
def test_value_map_dialog_maps_order_status_onto_deal_stages(live_server, admin_client, connected_event, hubspot,
                                                             browser_page):
    add_order_id_property(hubspot, "deals")
    mapping = make_mapping(connected_event, "Order", "deals", identifier=("order_code", "pretix_order_id"),
                           rows=[("event_order_code", "dealname", "", "overwrite"),
                                 ("order_status", "dealstage", "", "overwrite")])
    page = browser_page
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": live_server.url} for name, morsel in admin_client.cookies.items()
    ])
    page.goto(f"{live_server.url}/control/event/{connected_event.organizer.slug}/{connected_event.slug}"
              f"/hubspot/mappings/{mapping.pk}/")

    rows = page.locator("[data-hubspot-mapping-editor] [data-formset-form]")
    # Only the choice field's row offers a value mapping, and it warns that the stages are not mapped yet.
    # (The test server compiles no stylesheets, so "shown" is read from the classes bootstrap's CSS acts on.)
    assert shown(rows.nth(0).locator("[data-edit-value-map]")) is False
    status_row = rows.nth(1)
    assert shown(status_row.locator("[data-edit-value-map]")) is True
    # The warning is a written line below the row, not only an icon's tooltip.
    warning = status_row.locator("[data-hubspot-value-map-warning]")
    assert shown(warning) is True
    expect(warning).to_have_text(re.compile(r"^\s*Some values have no matching option in HubSpot\. Please edit the "
                                            r"value mapping\.\s*$"))
    status_row.locator("[data-edit-value-map]").click()

    dialog = page.locator("#editValueMapModal")
    expect(dialog).to_have_class(OPEN)
    assert dialog.locator("tbody tr").count() == 4
    for option, stage in (("n", "appointmentscheduled"), ("p", "closedwon"), ("e", "closedlost"), ("c", "closedlost")):
        dialog.locator(f'[data-value-map-key="{option}"]').select_option(stage)
    dialog.locator("[data-value-map-apply]").click()
    expect(dialog).not_to_have_class(OPEN)
    assert shown(status_row.locator("[data-hubspot-value-map-warning]")) is False
    assert json.loads(status_row.locator('input[name$="-value_map"]').input_value()) == {
        "n": "appointmentscheduled", "p": "closedwon", "e": "closedlost", "c": "closedlost",
    }

    page.locator("[data-hubspot-mapping-editor] button.btn-save").click()
    page.wait_for_load_state()
    assert "Your changes have been saved." in page.content()
    mapping.refresh_from_db()
    assert json.loads(mapping.property_mappings[1]["value_map"])["p"] == "closedwon"

    # Opening the dialog again shows the stored choices.
    page.locator("[data-hubspot-mapping-editor] [data-formset-form]").nth(1).locator("[data-edit-value-map]").click()
    dialog = page.locator("#editValueMapModal")
    expect(dialog).to_have_class(OPEN)
    assert dialog.locator('[data-value-map-key="e"]').input_value() == "closedlost"
