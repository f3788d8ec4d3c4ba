"""
The "HubSpot products" page and the line items that name a HubSpot product: the account's products listed for each
pretix product, the links saved, products created in HubSpot, and the links reaching line items as hs_product_id.
"""
import html
import re
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled
from pretix.base.models import Item

from pretix_hubspot.hubspot_api import scopes
from pretix_hubspot.hubspot_api.client import HubSpotApi
from pretix_hubspot.hubspot_api.schema import get_schema
from pretix_hubspot.models import ObjectMapping
from pretix_hubspot.organizer.starter_sets import build_initial
from pretix_hubspot.transfer.product_links import product_links
from testbed.orders import make_order
from testbed.sync import deals_mapping, enqueue, log_actions, prop, queue_rows, results, run_queue
from testbed.urls import hubspot_settings_url

pytestmark = pytest.mark.django_db


def text_of(response):
    return " ".join(html.unescape(response.content.decode()).split())


def line_items_mapping(event, position=5):
    return ObjectMapping.objects.create(
        event=event, position=position, pretix_model="OrderPosition", external_object_type="line_items",
        pretix_id_field="ticket_id", external_id_field="pretix_order_id",
        property_mappings=[prop("product", "name"), prop("ticket_price", "price"),
                           prop("hubspot_product_id", "hs_product_id")],
    )


@pytest.fixture
def workshop(event):
    return Item.objects.create(event=event, name="Workshop", default_price=Decimal("80.00"))


@pytest.fixture
def hubspot_product(hubspot_app):
    return hubspot_app.add_record("products", {"name": "Conference ticket 2027", "price": "120", "hs_sku": "CONF27"})


def test_page_lists_the_events_products_with_the_accounts_products(admin_client, connected_event, item, workshop,
                                                                   hubspot_product):
    with scopes_disabled():
        variation = workshop.variations.create(value="Half day", default_price=Decimal("45.00"))
    page = admin_client.get(hubspot_settings_url(connected_event, "products/"))
    assert page.status_code == 200
    text = text_of(page)
    assert "Conference ticket" in text and "Workshop" in text
    # A variation has a row of its own, which by default follows its product.
    assert f'name="link-{workshop.pk}-{variation.pk}"' in page.content.decode()
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    assert "Half day €45.00 Same as the product" in words
    assert f'<option value="{hubspot_product}">Conference ticket 2027 (CONF27, 120)</option>' in html.unescape(
        page.content.decode())
    assert "2 products have no HubSpot product." in text
    # The settings page leads there.
    assert hubspot_settings_url(connected_event, "products/") in admin_client.get(
        hubspot_settings_url(connected_event)).content.decode()


def test_links_are_saved_and_a_product_the_account_lacks_is_refused(admin_client, connected_event, item, workshop,
                                                                    hubspot_product):
    url = hubspot_settings_url(connected_event, "products/save/")
    response = admin_client.post(url, {f"link-{item.pk}": hubspot_product, f"link-{workshop.pk}": ""}, follow=True)
    assert "Your changes have been saved." in text_of(response)
    assert product_links(connected_event) == {str(item.pk): hubspot_product}
    assert f'<option value="{hubspot_product}" selected>' in response.content.decode()
    with scopes_disabled():
        assert connected_event.logentry_set.filter(action_type="pretix_hubspot.products.changed").count() == 1

    response = admin_client.post(url, {f"link-{item.pk}": "99999999"}, follow=True)
    assert "does not exist in HubSpot (any more)" in text_of(response)
    assert product_links(connected_event) == {str(item.pk): hubspot_product}


def test_the_page_needs_the_settings_permission(readonly_client, connected_event, item, hubspot_app):
    for path in ("products/", "products/save/", "products/create/"):
        assert readonly_client.get(hubspot_settings_url(connected_event, path)).status_code == 403
        assert readonly_client.post(hubspot_settings_url(connected_event, path)).status_code == 403
    assert hubspot_app.request_count() == 0


def test_saving_and_creating_are_posts_only(admin_client, connected_event, item, hubspot_app):
    for path in ("products/save/", "products/create/"):
        assert admin_client.get(hubspot_settings_url(connected_event, path)).status_code == 405
    assert hubspot_app.records("products") == []
    assert hubspot_app.request_count("POST") == 0


def test_missing_products_are_created_in_hubspot_and_linked(admin_client, connected_event, item, workshop,
                                                            hubspot_product):
    admin_client.post(hubspot_settings_url(connected_event, "products/save/"), {f"link-{item.pk}": hubspot_product})
    response = admin_client.post(hubspot_settings_url(connected_event, "products/create/"), follow=True)
    assert "1 product has been created in HubSpot and linked." in text_of(response)
    created = [p for p in hubspot_app_records(connected_event) if p["id"] != hubspot_product]
    assert [(p["properties"]["name"], p["properties"]["price"]) for p in created] == [("Workshop", "80.00")]
    assert product_links(connected_event) == {str(item.pk): hubspot_product, str(workshop.pk): created[0]["id"]}
    assert "Every product is linked to a HubSpot product already." in text_of(
        admin_client.post(hubspot_settings_url(connected_event, "products/create/"), follow=True))


def hubspot_app_records(event):
    from pretix_hubspot.models import EventConnection
    with scopes_disabled():
        api = HubSpotApi(EventConnection.objects.connection_for(event))
    page = api.call(api.sdk.crm.products.basic_api.get_page, limit=100, properties=["name", "price"])
    return [{"id": p.id, "properties": p.properties} for p in page.results]


def test_a_connection_without_the_products_permission_is_asked_to_reconnect(admin_client, event, connect_via_hubspot,
                                                                            hubspot_app):
    granted = [s for s in scopes.REQUIRED_SCOPES + scopes.OPTIONAL_SCOPES if "products" not in s]
    connect_via_hubspot(admin_client, event, grant_scopes=granted)
    page = admin_client.get(hubspot_settings_url(event, "products/"))
    assert "was not granted the permission to read the products of your HubSpot account" in text_of(page)
    assert "Reconnect to HubSpot" in text_of(page)
    assert hubspot_app.request_count("GET", "/crm/objects/2026-09/products") == 0


def test_line_items_name_the_linked_hubspot_product(sync_event, item, workshop, hubspot_app, hubspot_product):
    hubspot_app.add_property("line_items", "pretix_order_id", "pretix-order-id", "string", "text",
                             has_unique_value=True)
    deals_mapping(sync_event)
    line_items_mapping(sync_event)
    sync_event.settings.set("hubspot_product_links", {str(item.pk): hubspot_product})
    with scopes_disabled():
        order = make_order(sync_event, item, code="PRD01", email="ann@example.org", attendees=[("Ann Lee", None)])
        order.positions.create(item=workshop, price=workshop.default_price, positionid=2)
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    [deal] = hubspot_app.records("deals")
    by_id = {li["properties"]["pretix_order_id"]: li for li in hubspot_app.records("line_items")}
    assert by_id["PRD01-1"]["properties"]["hs_product_id"] == hubspot_product
    assert by_id["PRD01-1"]["properties"]["name"] == "Conference ticket"
    # The workshop has no HubSpot product: its line item names none.
    assert not by_id["PRD01-2"]["properties"].get("hs_product_id")
    assert by_id["PRD01-2"]["properties"]["name"] == "Workshop"
    for li in by_id.values():
        assert hubspot_app.associations("line_items", li["id"], "deals") == [deal["id"]]


def test_a_product_deleted_in_hubspot_fails_only_its_line_items_with_a_clear_message(
        admin_client, sync_event, item, workshop, hubspot_app, hubspot_product):
    hubspot_app.add_property("line_items", "pretix_order_id", "pretix-order-id", "string", "text",
                             has_unique_value=True)
    deals_mapping(sync_event)
    line_items_mapping(sync_event)
    sync_event.settings.set("hubspot_product_links", {str(item.pk): hubspot_product})
    api = HubSpotApi(sync_event.hubspot_connection.connection)
    api.call(api.sdk.crm.products.basic_api.archive, hubspot_product)
    with scopes_disabled():
        order = make_order(sync_event, item, code="PRD02", email="bo@example.org", attendees=[("Bo Ray", None)])
        order.positions.create(item=workshop, price=workshop.default_price, positionid=2)
    enqueue(order)
    run_queue()

    # The deal and the workshop's line item are written; the ticket's line item is not, and the order says why.
    assert len(hubspot_app.records("deals")) == 1
    assert [li["properties"]["pretix_order_id"] for li in hubspot_app.records("line_items")] == ["PRD02-2"]
    [row] = queue_rows(order)
    assert row.need_manual_retry
    errors = [e for a, d in log_actions(order) if a.startswith("pretix.event.order.data_sync.failed")
              for e in d["error"]]
    assert any("HubSpot has no product with this ID (any more); it may have been deleted in HubSpot" in e
               and "Settings → HubSpot → HubSpot products" in e for e in errors), errors
    assert len([r for r in results(order) if r.sync_info.get("object_id")]) == 2

    # The page points the organizer to the link that no longer holds.
    page = text_of(admin_client.get(hubspot_settings_url(sync_event, "products/")))
    assert f"The HubSpot product linked so far (ID {hubspot_product}) no longer exists in HubSpot." in page


def test_the_line_items_starter_set_suggests_the_hubspot_product(sync_event, hubspot_app):
    hubspot_app.add_property("line_items", "pretix_order_id", "pretix-order-id", "string", "text",
                             has_unique_value=True)
    with scopes_disabled():
        identifier, rows = build_initial(sync_event, "OrderPosition", "line_items",
                                         get_schema(sync_event.hubspot_connection.connection, "line_items"))
    assert [(r["pretix_field"], r["external_field"]) for r in rows] == [
        ("product", "name"), ("ticket_price", "price"), ("hubspot_product_id", "hs_product_id")]


def test_copying_an_event_links_the_copied_products(connected_event, organizer, item, hubspot_product):
    from pretix.base.models import Event
    with scopes_disabled():
        variation = item.variations.create(value="Student")
        connected_event.settings.set("hubspot_product_links", {str(item.pk): hubspot_product,
                                                               f"{item.pk}-{variation.pk}": "777"})
        copy = Event.objects.create(organizer=organizer, name="PyConf 2028", slug="pyconf28",
                                    date_from=connected_event.date_from, plugins=connected_event.plugins)
        copy.copy_data_from(connected_event)
        new_item = copy.items.get()
        new_variation = new_item.variations.get()
    assert product_links(copy) == {str(new_item.pk): hubspot_product, f"{new_item.pk}-{new_variation.pk}": "777"}


def test_the_page_lists_every_page_of_the_account_s_products(admin_client, connected_event, item, hubspot_app):
    for i in range(105):
        hubspot_app.add_record("products", {"name": f"Product {i:03d}", "price": "10"})
    page = admin_client.get(hubspot_settings_url(connected_event, "products/")).content.decode()
    assert "Product 000" in page and "Product 104" in page
    assert hubspot_app.request_count("GET", "/crm/objects/2026-09/products") == 2
