"""Companies, products, line items, tickets and deal currencies in the sandbox, driven through the official client's
typed APIs on HubSpot's date-versioned paths."""
import json

import pytest
from hubspot import HubSpot
from hubspot.crm.companies import (
    ApiException as CompanyApiException, BatchInputSimplePublicObjectBatchInputUpsert as CompanyUpserts,
    PublicObjectSearchRequest, SimplePublicObjectBatchInputUpsert as CompanyUpsert,
)
from hubspot.crm.deals import ApiException as DealApiException, SimplePublicObjectInputForCreate as DealInput
from hubspot.crm.line_items import (
    ApiException as LineItemApiException, BatchInputSimplePublicObjectBatchInputForCreate as LineItemCreates,
    BatchReadInputSimplePublicObjectId as LineItemReads, SimplePublicObjectBatchInputForCreate as LineItemBatchInput,
    SimplePublicObjectId as LineItemId, SimplePublicObjectInputForCreate as LineItemInput,
)
from hubspot.crm.products import SimplePublicObjectInputForCreate as ProductInput
from hubspot.crm.properties import PropertyCreate
from hubspot.crm.tickets import ApiException as TicketApiException, SimplePublicObjectInputForCreate as TicketInput

from tests.test_sandbox_versions import client, request


def body_of(exc):
    return json.loads(exc.value.body)


@pytest.fixture
def sdk(hubspot):
    return client(hubspot, "2026-09")


def test_default_properties_of_each_new_type(sdk):
    expected = {
        "companies": {"name", "domain", "city", "country", "industry"},
        "line_items": {"name", "hs_product_id", "quantity", "price", "amount", "hs_line_item_currency_code"},
        "products": {"name", "price", "hs_sku", "description"},
        "tickets": {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority"},
    }
    for object_type, names in expected.items():
        found = {p.name: p for p in sdk.crm.properties.core_api.get_all(object_type).results}
        assert names <= set(found), object_type
    company = {p.name: p for p in sdk.crm.properties.core_api.get_all("companies").results}
    assert company["domain"].has_unique_value is False  # HubSpot does not keep company domains unique
    assert company["industry"].type == "enumeration" and company["industry"].options


def test_companies_upsert_by_a_unique_property_and_allow_shared_domains(hubspot, sdk):
    sdk.crm.properties.core_api.create("companies", PropertyCreate(
        name="pretix_company_id", label="pretix-company-id", type="string", field_type="text",
        group_name="companyinformation", has_unique_value=True))
    first = sdk.crm.companies.batch_api.upsert(CompanyUpserts(inputs=[
        CompanyUpsert(id="acme-berlin", id_property="pretix_company_id",
                      properties={"name": "ACME GmbH", "domain": "acme.example"}),
        CompanyUpsert(id="acme-munich", id_property="pretix_company_id",
                      properties={"name": "ACME Süd GmbH", "domain": "acme.example"}),
    ]))
    assert [r.new for r in first.results] == [True, True]
    again = sdk.crm.companies.batch_api.upsert(CompanyUpserts(inputs=[
        CompanyUpsert(id="acme-berlin", id_property="pretix_company_id", properties={"city": "Berlin"}),
    ]))
    assert again.results[0].new is False and again.results[0].id == first.results[0].id
    stored = hubspot.records("companies")
    assert len(stored) == 2 and stored[0]["properties"]["city"] == "Berlin"
    munich = sdk.crm.companies.basic_api.get_by_id("acme-munich", id_property="pretix_company_id",
                                                   properties=["name"])
    assert munich.properties["name"] == "ACME Süd GmbH"
    with pytest.raises(CompanyApiException) as exc:
        sdk.crm.companies.basic_api.get_by_id("acme.example", id_property="domain")
    assert exc.value.status == 400  # domain is not a unique-value property


def test_line_item_takes_the_product_and_works_out_its_amount(hubspot, sdk):
    product = sdk.crm.products.basic_api.create(ProductInput(properties={
        "name": "Conference ticket", "price": "120.00", "hs_sku": "TICKET-1"}))
    data, status, _ = sdk.crm.line_items.basic_api.create_with_http_info(LineItemInput(properties={
        "hs_product_id": product.id, "quantity": "2", "hs_line_item_currency_code": "EUR"}))
    assert status == 201
    stored = hubspot.get_record("line_items", data.id)["properties"]
    assert stored["name"] == "Conference ticket" and stored["price"] == "120.00" and stored["amount"] == "240"
    read = sdk.crm.line_items.batch_api.read(LineItemReads(inputs=[LineItemId(id=data.id)],
                                                           properties=["amount", "hs_sku"]))
    assert read.results[0].properties["hs_sku"] == "TICKET-1"
    with pytest.raises(LineItemApiException) as exc:
        sdk.crm.line_items.basic_api.create(LineItemInput(properties={"hs_product_id": "999999", "quantity": "1"}))
    assert exc.value.status == 400 and body_of(exc)["errors"][0]["code"] == "INVALID_PRODUCT_ID"
    with pytest.raises(LineItemApiException) as exc:
        sdk.crm.line_items.basic_api.create(LineItemInput(properties={"name": "X", "quantity": "one"}))
    assert body_of(exc)["errors"][0]["code"] == "INVALID_INTEGER"


def test_line_items_created_on_a_deal_in_one_batch(hubspot, sdk):
    deal = hubspot.add_record("deals", {"dealname": "ABC12"})
    created = sdk.crm.line_items.batch_api.create(LineItemCreates(inputs=[
        LineItemBatchInput(properties={"name": f"Ticket {i}", "quantity": "1", "price": "10"}, associations=[
            {"to": {"id": deal}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}]}])
        for i in range(3)
    ]))
    ids = sorted(r.id for r in created.results)
    assert sorted(hubspot.associations("deals", deal, "line_items")) == ids
    assert hubspot.associations("line_items", ids[0], "deals") == [deal]


def test_tickets_need_a_pipeline_and_a_stage(hubspot, sdk):
    [pipeline] = sdk.crm.pipelines.pipelines_api.get_all("tickets").results
    stages = [s.id for s in pipeline.stages]
    assert pipeline.id == "0" and stages == ["1", "2", "3", "4"]
    with pytest.raises(TicketApiException) as exc:
        sdk.crm.tickets.basic_api.create(TicketInput(properties={"subject": "Badge misprinted"}))
    body = body_of(exc)
    assert exc.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert {e["in"] for e in body["errors"]} == {"hs_pipeline", "hs_pipeline_stage"}
    assert hubspot.records("tickets") == []
    with pytest.raises(TicketApiException) as exc:
        sdk.crm.tickets.basic_api.create(TicketInput(properties={
            "subject": "Badge misprinted", "hs_pipeline": "0", "hs_pipeline_stage": "99"}))
    assert body_of(exc)["errors"][0]["code"] == "INVALID_OPTION"
    ticket = sdk.crm.tickets.basic_api.create(TicketInput(properties={
        "subject": "Badge misprinted", "hs_pipeline": "0", "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH"}))
    assert hubspot.get_record("tickets", ticket.id)["properties"]["hs_ticket_priority"] == "HIGH"


def test_deal_currency_must_be_one_of_the_accounts_currencies(hubspot, sdk):
    hubspot.set_currencies("EUR", ["USD"])
    details = request(sdk, "GET", "/account-info/2026-09/details").json()
    assert details["companyCurrency"] == "EUR" and details["additionalCurrencies"] == ["USD"]
    options = [o.value for o in sdk.crm.properties.core_api.get_by_name("deals", "deal_currency_code").options]
    assert options == ["EUR", "USD"]
    usd = sdk.crm.deals.basic_api.create(DealInput(properties={"dealname": "A", "amount": "100",
                                                               "deal_currency_code": "USD"}))
    assert hubspot.get_record("deals", usd.id)["properties"]["deal_currency_code"] == "USD"
    with pytest.raises(DealApiException) as exc:
        sdk.crm.deals.basic_api.create(DealInput(properties={"dealname": "B", "deal_currency_code": "CHF"}))
    body = body_of(exc)
    assert exc.value.status == 400 and body["errors"][0]["code"] == "INVALID_OPTION"
    assert body["errors"][0]["in"] == "deal_currency_code"
    with pytest.raises(LineItemApiException) as exc:
        sdk.crm.line_items.basic_api.create(LineItemInput(properties={"name": "X", "hs_line_item_currency_code": "CHF"}))
    assert body_of(exc)["errors"][0]["code"] == "INVALID_OPTION"


def test_new_types_need_their_scopes(hubspot):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id, scopes=["oauth", "crm.objects.contacts.read"])
    sdk = HubSpot(access_token=tokens["access_token"], host=hubspot.url, base_url=hubspot.url)
    response = request(sdk, "GET", "/crm/objects/2026-09/companies")
    assert response.status_code == 403
    assert response.json()["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.companies.read"]
    # The older "tickets" scope still opens tickets.
    tickets = hubspot.issue_tokens(hubspot.default_portal_id, scopes=["oauth", "tickets"])
    sdk = HubSpot(access_token=tickets["access_token"], host=hubspot.url, base_url=hubspot.url)
    assert request(sdk, "GET", "/crm/objects/2026-09/tickets").status_code == 200


def test_multi_currency_settings_api(hubspot, sdk):
    hubspot.set_currencies("USD", ["EUR", "GBP"])
    company = request(sdk, "GET", "/settings/currencies/2026-03/company-currency")
    assert company.status_code == 200 and company.json()["id"] == "USD"
    rates = request(sdk, "GET", "/settings/currencies/2026-03/exchange-rates/current").json()["results"]
    assert [(r["fromCurrencyCode"], r["toCurrencyCode"]) for r in rates] == [("EUR", "USD"), ("GBP", "USD")]
    options = [o.value for o in sdk.crm.properties.core_api.get_by_name("line_items",
                                                                        "hs_line_item_currency_code").options]
    assert options == ["USD", "EUR", "GBP"]


def test_company_search_and_associations_on_a_single_read(hubspot, sdk):
    acme = hubspot.add_record("companies", {"name": "ACME GmbH", "domain": "acme.example"})
    hubspot.add_record("companies", {"name": "Other AG", "domain": "other.example"})
    deal = hubspot.add_record("deals", {"dealname": "ABC12"})
    request(sdk, "PUT", f"/crm/objects/2026-09/deals/{deal}/associations/default/companies/{acme}")
    found = sdk.crm.companies.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "domain", "operator": "EQ", "value": "acme.example"}]}]))
    assert [r.id for r in found.results] == [acme]
    read = sdk.crm.deals.basic_api.get_by_id(deal, associations=["companies"])
    assert [(a.id, a.type) for a in read.associations["companies"].results] == [(acme, "deal_to_company")]
    assert hubspot.labelled_associations("companies", acme, "deals") == {deal: [None]}


def test_products_are_listed_page_by_page_without_archived_ones_and_need_their_scope(hubspot, sdk):
    import requests
    from hubspot.crm.products import (
        BatchInputSimplePublicObjectBatchInputForCreate as ProductCreates,
        SimplePublicObjectBatchInputForCreate as ProductBatchInput,
    )
    created = sdk.crm.products.batch_api.create(ProductCreates(inputs=[
        ProductBatchInput(properties={"name": f"Ticket {i}", "price": "10"}) for i in range(3)]))
    sdk.crm.products.basic_api.archive(created.results[0].id)
    first = sdk.crm.products.basic_api.get_page(limit=1, properties=["name", "price"])
    assert len(first.results) == 1 and first.paging.next.after
    second = sdk.crm.products.basic_api.get_page(limit=1, after=first.paging.next.after, properties=["name"])
    assert second.paging is None
    listed = {r.id for r in first.results + second.results}
    assert listed == {r.id for r in created.results[1:]}

    token = hubspot.issue_tokens(hubspot.default_portal_id, scopes=["oauth", "crm.objects.contacts.read"])
    answer = requests.get(f"{hubspot.url}/crm/objects/2026-09/products",
                          headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert answer.status_code == 403 and answer.json()["category"] == "MISSING_SCOPES"
