"""Mappings onto companies, line items and tickets: HubSpot's rules per type, through the official client."""
import html

import pytest
from django_scopes import scopes_disabled

from pretix_hubspot.hubspot_api import scopes
from pretix_hubspot.hubspot_api.schema import get_schema
from pretix_hubspot.models import ObjectMapping
from pretix_hubspot.organizer.starter_sets import build_initial
from pretix_hubspot.organizer.validation import validate_mapping
from pretix_hubspot.transfer.record_links import label_for_link
from testbed.orders import make_order
from testbed.sync import (
    add_identifier_properties, deals_mapping, enqueue, log_actions, prop, queue_rows, records_by, results, run_queue,
)

pytestmark = pytest.mark.django_db


def unique_identifier_property(hubspot, object_type):
    add_identifier_properties(hubspot, (object_type,))


def companies_mapping(event, position=0):
    return ObjectMapping.objects.create(
        event=event, position=position, pretix_model="Order", external_object_type="companies",
        pretix_id_field="invoice_address_company_key", external_id_field="pretix_company_id",
        property_mappings=[prop("invoice_address_company", "name"), prop("invoice_address_city", "city")],
    )


def line_items_mapping(event, position=5):
    return ObjectMapping.objects.create(
        event=event, position=position, pretix_model="OrderPosition", external_object_type="line_items",
        pretix_id_field="ticket_id", external_id_field="pretix_order_id",
        property_mappings=[prop("product", "name"), prop("ticket_price", "price")],
    )


def company_order(event, item, code, company, city="Berlin"):
    with scopes_disabled():
        return make_order(event, item, code=code, email=f"{code.lower()}@example.org",
                          attendees=[("Ann Lee", f"ann.{code.lower()}@example.org")],
                          invoice={"company": company, "city": city, "country": "DE"})


def test_orders_naming_one_company_make_one_company_record(sync_event, item, hubspot):
    unique_identifier_property(hubspot, "companies")
    companies_mapping(sync_event)
    orders = [company_order(sync_event, item, "CO001", "Doe Industries"),
              company_order(sync_event, item, "CO002", "Acme", city="Hamburg"),
              company_order(sync_event, item, "CO003", "Doe Industries")]
    for order in orders:
        enqueue(order)
    run_queue()

    assert queue_rows() == []
    companies = hubspot.records("companies")
    assert sorted(c["properties"]["name"] for c in companies) == ["Acme", "Doe Industries"]
    [doe] = records_by(hubspot, "companies", "name", "Doe Industries")
    assert results(orders[0])[0].sync_info["object_id"] == results(orders[2])[0].sync_info["object_id"] == doe["id"]
    assert results(orders[0])[0].external_link_href.endswith(f"/record/0-2/{doe['id']}")
    assert label_for_link(results(orders[0])[0].external_link_href,
                          results(orders[0])[0].external_link_display_name) == f"Company #{doe['id']} – Doe Industries"

    assert sorted(c["properties"]["pretix_company_id"] for c in companies) == ["acme|DE", "doe industries|DE"]

    # A later run finds the companies again by their identifier instead of creating them a second time, also when
    # the buyer typed the name a little differently.
    later = company_order(sync_event, item, "CO004", "  ACME. ", city="Hamburg")
    enqueue(later)
    run_queue()
    assert len(hubspot.records("companies")) == 2
    [acme] = records_by(hubspot, "companies", "pretix_company_id", "acme|DE")
    assert results(later)[0].sync_info["object_id"] == acme["id"]


def test_an_order_without_a_company_makes_no_company_record_and_still_syncs(sync_event, item, hubspot):
    companies_mapping(sync_event, position=0)
    deals_mapping(sync_event, position=1)
    without_company = company_order(sync_event, item, "CO010", "")
    with scopes_disabled():
        without_address = make_order(sync_event, item, code="CO011", email="co011@example.org")
    for order in (without_company, without_address):
        enqueue(order)
    run_queue()

    assert queue_rows() == []
    assert hubspot.records("companies") == []
    assert sorted(d["properties"]["pretix_order_id"].split("-")[-1] for d in hubspot.records("deals")) == [
        "CO010", "CO011"]
    for order in (without_company, without_address):
        assert not any(a.startswith("pretix.event.order.data_sync.failed") for a, d in log_actions(order))


def test_one_line_item_per_position_on_the_orders_deal(sync_event, order, hubspot):
    unique_identifier_property(hubspot, "line_items")
    deals_mapping(sync_event)
    line_items_mapping(sync_event)
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    [deal] = hubspot.records("deals")
    line_items = hubspot.records("line_items")
    assert sorted(li["properties"]["pretix_order_id"] for li in line_items) == ["ABC12-1", "ABC12-2"]
    for li in line_items:
        assert li["properties"]["name"] == "Conference ticket"
        assert li["properties"]["quantity"] == "1"
        assert li["properties"]["price"] == "120"
        assert hubspot.associations("line_items", li["id"], "deals") == [deal["id"]]
    assert sorted(hubspot.associations("deals", deal["id"], "line_items")) == sorted(li["id"] for li in line_items)

    # Sending the order again writes nothing: neither the line items nor their deal association.
    associations_before = hubspot.request_count("POST", "/crm/associations/2026-09/line_items")
    enqueue(order)
    run_queue()
    assert len(hubspot.records("line_items")) == 2
    assert hubspot.request_count("POST", "/crm/associations/2026-09/line_items") == associations_before
    assert all(r.sync_info["action"] == "nothing_to_do" for r in results(order))


def test_line_items_without_a_deal_mapping_are_not_written(sync_event, order, hubspot):
    unique_identifier_property(hubspot, "line_items")
    line_items_mapping(sync_event)
    enqueue(order)
    run_queue()

    assert hubspot.records("line_items") == []
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    [(action, data)] = [(a, d) for a, d in log_actions(order) if a.startswith("pretix.event.order.data_sync.failed")]
    assert action == "pretix.event.order.data_sync.failed.config"
    assert "no mapping above this one transfers the order (or the ticket) to HubSpot's deals" in data["error"][0]


def test_tickets_need_pipeline_and_status_before_saving(sync_event, hubspot):
    unique_identifier_property(hubspot, "tickets")
    with scopes_disabled():
        schema = get_schema(sync_event.hubspot_connection.connection, "tickets", fresh=True)
    identifier = {"pretix_id_field": "event_order_code", "external_id_field": "pretix_order_id"}
    with scopes_disabled():
        issues = validate_mapping(sync_event, "Order", "tickets", identifier, [prop("event_order_code", "subject")],
                                  schema)
    assert [i.message for i in issues if i.is_error] == [
        "HubSpot needs a pipeline and a status for every ticket. Please add rows that fill “Pipeline” (hs_pipeline) "
        "and “Ticket status” (hs_pipeline_stage), e.g. from “Order status”, and map each status onto a pipeline and "
        "a stage with the value mapping button."]
    # The ticket pipeline's stages are the options of "Ticket status", as HubSpot's pipelines API names them.
    assert schema.get("hs_pipeline_stage").option_values == ["1", "2", "3", "4"]
    rows = [prop("event_order_code", "subject"),
            prop("order_status", "hs_pipeline", value_map='{"n": "0", "p": "0", "e": "0", "c": "0"}'),
            prop("order_status", "hs_pipeline_stage", value_map='{"n": "1", "p": "4", "e": "4", "c": "4"}')]
    with scopes_disabled():
        issues = validate_mapping(sync_event, "Order", "tickets", identifier, rows, schema)
    assert [i.message for i in issues if i.is_error] == []


def test_tickets_are_written_in_their_pipeline(sync_event, order, hubspot):
    unique_identifier_property(hubspot, "tickets")
    ObjectMapping.objects.create(
        event=sync_event, pretix_model="Order", external_object_type="tickets",
        pretix_id_field="event_order_code", external_id_field="pretix_order_id",
        property_mappings=[prop("event_order_code", "subject"),
                           prop("order_status", "hs_pipeline", value_map='{"n": "0", "p": "0", "e": "0", "c": "0"}'),
                           prop("order_status", "hs_pipeline_stage",
                                value_map='{"n": "1", "p": "4", "e": "4", "c": "4"}')],
    )
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    [ticket] = hubspot.records("tickets")
    assert ticket["properties"]["subject"] == "PYCONF-ABC12"
    assert ticket["properties"]["hs_pipeline_stage"] == "4"
    assert results(order)[0].external_link_href.endswith(f"/record/0-5/{ticket['id']}")


def test_starter_sets_for_companies_and_line_items(sync_event, hubspot):
    unique_identifier_property(hubspot, "line_items")
    connection = sync_event.hubspot_connection.connection
    with scopes_disabled():
        identifier, rows = build_initial(sync_event, "Order", "companies", get_schema(connection, "companies"))
    assert identifier == {"pretix_id_field": "invoice_address_company_key", "external_id_field": "pretix_company_id"}
    assert [(r["pretix_field"], r["external_field"]) for r in rows] == [
        ("invoice_address_company", "name"), ("invoice_address_street", "address"),
        ("invoice_address_zipcode", "zip"), ("invoice_address_city", "city"), ("invoice_address_country", "country")]
    with scopes_disabled():
        identifier, rows = build_initial(sync_event, "OrderPosition", "line_items",
                                         get_schema(connection, "line_items"))
    assert identifier == {"pretix_id_field": "ticket_id", "external_id_field": "pretix_order_id"}
    assert [(r["pretix_field"], r["external_field"]) for r in rows] == [
        ("product", "name"), ("ticket_price", "price"), ("hubspot_product_id", "hs_product_id")]


def test_settings_page_names_the_types_a_connection_lacks_permissions_for(admin_client, event, hubspot_app,
                                                                          connect_via_hubspot):
    old_scopes = scopes.REQUIRED_SCOPES + ("crm.schemas.contacts.write", "crm.schemas.deals.write")
    page = connect_via_hubspot(admin_client, event, grant_scopes=old_scopes).content.decode()
    text = " ".join(html.unescape(page).split())
    assert ("Mappings onto Companies, Line items, Tickets need permissions this connection was not granted" in text)
    assert "The optional permission to create properties in HubSpot was not granted." not in text


def test_settings_page_offers_the_identifier_property_for_the_types_the_mappings_use(
        admin_client, connected_event, hubspot_app):
    from testbed.urls import hubspot_settings_url
    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert 'name="object_type" value="contacts"' in page and 'name="object_type" value="deals"' in page
    assert 'name="object_type" value="companies"' not in page
    assert "need permissions this connection was not granted" not in page
    companies_mapping(connected_event)
    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert 'name="object_type" value="companies"' in page
    text = " ".join(html.unescape(page).split())
    assert 'Create "pretix-company-id" for Companies' in text
    assert 'Create "pretix-order-id" for Contacts' in text and 'Create "pretix-order-id" for Companies' not in text

    response = admin_client.post(hubspot_settings_url(connected_event, "identifier-property/"),
                                 {"object_type": "companies"}, follow=True)
    text = " ".join(html.unescape(response.content.decode()).split())
    assert 'The property "pretix-company-id" has been created in HubSpot for Companies.' in text
    assert '"pretix-company-id" exists for Companies, with unique values.' in text
    [created] = [p for p in hubspot_app.properties("companies") if p["name"] == "pretix_company_id"]
    assert created["hasUniqueValue"] is True and created["label"] == "pretix-company-id"
    assert "company name of the invoice address" in created["description"]
    assert not [p for p in hubspot_app.properties("companies") if p["name"] == "pretix_order_id"]
    # Contacts still get pretix-order-id.
    admin_client.post(hubspot_settings_url(connected_event, "identifier-property/"), {"object_type": "contacts"})
    assert [p["label"] for p in hubspot_app.properties("contacts") if p["name"] == "pretix_order_id"] == [
        "pretix-order-id"]


def test_deals_and_line_items_carry_the_events_currency(sync_event, order, hubspot):
    unique_identifier_property(hubspot, "line_items")
    sync_event.currency = "USD"
    sync_event.save()
    deals_mapping(sync_event)
    line_items_mapping(sync_event)
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    [deal] = hubspot.records("deals")
    assert deal["properties"]["deal_currency_code"] == "USD"
    assert {li["properties"]["hs_line_item_currency_code"] for li in hubspot.records("line_items")} == {"USD"}
    # A re-sync finds the currency in place and writes nothing.
    enqueue(order)
    run_queue()
    assert all(r.sync_info["action"] == "nothing_to_do" for r in results(order))


CURRENCY_MESSAGE = ("Your HubSpot account has no currency “JPY”, the currency of this event, so the amounts would be "
                    "recorded in a wrong currency. Add JPY to the account's currencies in HubSpot (Settings → Account "
                    "management → Currencies); until then, this mapping transfers no orders.")


def test_a_currency_the_account_lacks_fails_the_transfer_instead_of_a_wrong_amount(sync_event, order, hubspot):
    sync_event.currency = "JPY"
    sync_event.save()
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()

    assert hubspot.records("deals") == []
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    [data] = [d for a, d in log_actions(order) if a == "pretix.event.order.data_sync.failed.config"]
    assert data["error"] == [f'Order ABC12, mapping "Order → Deals": {CURRENCY_MESSAGE}']

    # Once the account has the currency, the retried order goes through with it.
    hubspot.set_currencies("EUR", ["USD", "JPY"])
    enqueue(order)
    run_queue()
    [deal] = hubspot.records("deals")
    assert deal["properties"]["deal_currency_code"] == "JPY"


def test_the_editor_says_at_save_time_that_the_account_lacks_the_currency(sync_event, hubspot):
    sync_event.currency = "JPY"
    sync_event.save()
    identifier = {"pretix_id_field": "event_order_code", "external_id_field": "pretix_order_id"}
    rows = [prop("event_order_code", "dealname"), prop("order_total", "amount"), prop("order_status", "dealstage",
            value_map='{"n": "appointmentscheduled", "p": "closedwon", "e": "closedlost", "c": "closedlost"}')]
    with scopes_disabled():
        schema = get_schema(sync_event.hubspot_connection.connection, "deals", fresh=True)
        issues = validate_mapping(sync_event, "Order", "deals", identifier, rows, schema)
    assert [i.message for i in issues if i.is_error] == [CURRENCY_MESSAGE]
    # A deal mapping without an amount carries no money, and needs no currency.
    with scopes_disabled():
        issues = validate_mapping(sync_event, "Order", "deals", identifier, rows[::2], schema)
    assert [i.message for i in issues if i.is_error] == []


def test_preview_shows_line_items_with_their_quantity_and_currency(sync_event, order, admin_client, hubspot):
    from tests.test_preview import preview_url, row, text, writes
    unique_identifier_property(hubspot, "line_items")
    deals_mapping(sync_event)
    line_items_mapping(sync_event)
    hubspot.request_log.clear()

    response = admin_client.get(preview_url(sync_event, order.code))
    page = text(response)
    assert "Order position → Line items" in page
    assert "it associates each line item with the deal of the same ticket, or else of the order" in page
    assert row(response, 0, "deal_currency_code")[1:6] == ["Event currency", "Overwrite", "(new record)", "EUR",
                                                           "EUR"]
    assert row(response, 1, "quantity")[1:6] == ["One per ticket", "Fill if new", "(new record)", "1", "1"]
    assert row(response, 1, "hs_line_item_currency_code")[4:6] == ["EUR", "EUR"]
    assert writes(hubspot) == []
    assert hubspot.records("line_items") == []


def add_workshops(hubspot):
    return hubspot.add_custom_object("workshop", "Workshop", "Workshops", "workshop_name", properties=[
        {"name": "workshop_name", "label": "Workshop name", "type": "string", "fieldType": "text"},
        {"name": "pretix_order_id", "label": "pretix-order-id", "type": "string", "fieldType": "text",
         "hasUniqueValue": True},
    ])


def test_custom_objects_of_an_enterprise_account_can_be_mapped(admin_client, sync_event, order, hubspot):
    from tests.helpers.mappings import base_url, list_post
    workshops = add_workshops(hubspot)
    type_id = workshops["objectTypeId"]
    page = admin_client.get(base_url(sync_event)).content.decode()
    assert f'<option value="{type_id}">Workshops</option>' in page

    response = admin_client.post(base_url(sync_event) + "mappings/",
                                 list_post([{"pretix_model": "Order", "external_object_type": type_id}]), follow=True)
    assert response.status_code == 200
    with scopes_disabled():
        [mapping] = ObjectMapping.objects.filter(event=sync_event)
    assert mapping.external_object_type == type_id
    mapping.pretix_id_field, mapping.external_id_field = "event_order_code", "pretix_order_id"
    mapping.property_mappings = [prop("event_order_code", "workshop_name")]
    mapping.save()

    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    [record] = hubspot.records(type_id)
    assert record["properties"]["workshop_name"] == "PYCONF-ABC12"
    assert results(order)[0].external_link_href.endswith(f"/record/{type_id}/{record['id']}")


def test_accounts_below_enterprise_list_no_custom_objects(admin_client, connected_event, hubspot):
    from tests.helpers.mappings import base_url
    add_workshops(hubspot)
    hubspot.set_tier("professional")
    page = admin_client.get(base_url(connected_event)).content.decode()
    assert ">Workshops</option>" not in page
    assert '<option value="companies">Companies</option>' in page


def test_settings_page_names_custom_objects_when_a_mapping_uses_one_without_the_permission(
        admin_client, sync_event, hubspot):
    from testbed.urls import hubspot_settings_url
    type_id = add_workshops(hubspot)["objectTypeId"]
    ObjectMapping.objects.create(event=sync_event, position=0, pretix_model="OrderPosition",
                                 external_object_type=type_id)
    page = " ".join(html.unescape(admin_client.get(hubspot_settings_url(sync_event)).content.decode()).split())
    assert "need permissions this connection was not granted" not in page
    connection = sync_event.hubspot_connection.connection
    connection.scopes = [s for s in connection.scopes if not s.startswith("crm.objects.custom.")]
    connection.save()
    page = " ".join(html.unescape(admin_client.get(hubspot_settings_url(sync_event)).content.decode()).split())
    assert "Mappings onto Custom objects need permissions this connection was not granted" in page


def test_tickets_starter_set_puts_each_orders_ticket_in_the_stage_of_its_status(sync_event, item, hubspot):
    unique_identifier_property(hubspot, "tickets")
    connection = sync_event.hubspot_connection.connection
    with scopes_disabled():
        identifier, rows = build_initial(sync_event, "Order", "tickets", get_schema(connection, "tickets", fresh=True))
        assert validate_mapping(sync_event, "Order", "tickets", identifier, rows,
                                get_schema(connection, "tickets")) == []
        ObjectMapping.objects.create(
            event=sync_event, pretix_model="Order", external_object_type="tickets",
            pretix_id_field=identifier["pretix_id_field"], external_id_field=identifier["external_id_field"],
            property_mappings=rows)
        pending = make_order(sync_event, item, code="TK001", email="tk001@example.org", status="n")
        paid = make_order(sync_event, item, code="TK002", email="tk002@example.org", status="p")
    for order in (pending, paid):
        enqueue(order)
    run_queue()

    assert queue_rows() == []
    tickets = {t["properties"]["pretix_order_id"]: t["properties"] for t in hubspot.records("tickets")}
    assert set(tickets) == {"TK001", "TK002"}
    assert tickets["TK001"]["subject"] == "PYCONF-TK001"
    assert (tickets["TK001"]["hs_pipeline"], tickets["TK001"]["hs_pipeline_stage"]) == ("0", "1")  # New
    assert (tickets["TK002"]["hs_pipeline"], tickets["TK002"]["hs_pipeline_stage"]) == ("0", "4")  # Closed

    # The order is paid later: its ticket moves on to "Closed".
    with scopes_disabled():
        pending.status = "p"
        pending.save()
    enqueue(pending)
    run_queue()
    [ticket] = records_by(hubspot, "tickets", "pretix_order_id", "TK001")
    assert ticket["properties"]["hs_pipeline_stage"] == "4"
    assert len(hubspot.records("tickets")) == 2
