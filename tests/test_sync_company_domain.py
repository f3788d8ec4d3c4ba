"""
Companies identified by their domain: found again (in the plugin's results, then with HubSpot's search), never
duplicated, also while HubSpot's search has not indexed a company written moments ago.
"""
import pytest
from django_scopes import scopes_disabled

from pretix_hubspot.models import ObjectMapping
from pretix_hubspot.transfer import sync as sync_module
from pretix_hubspot.transfer.company_domains import normalize_domain
from testbed.orders import make_order
from testbed.sync import enqueue, prop, queue_rows, records_by, results, run_queue
from tests.helpers.mappings import edit_url, editor_post, make_mapping, messages_of
from tests.test_preview import preview_url, text, writes

pytestmark = pytest.mark.django_db

SEARCH_PATH = "/crm/objects/2026-09/companies/search"


def domain_mapping(event):
    return ObjectMapping.objects.create(
        event=event, position=0, pretix_model="Order", external_object_type="companies",
        pretix_id_field="email_domain", external_id_field="domain",
        property_mappings=[prop("invoice_address_company", "name"), prop("invoice_address_city", "city")],
    )


def order_of(event, item, code, email, company="Acme", city="Berlin"):
    with scopes_disabled():
        return make_order(event, item, code=code, email=email, attendees=[("Ann Lee", email)],
                          invoice={"company": company, "city": city, "country": "DE"})


def company_ids(*orders):
    return {r.sync_info["object_id"] for order in orders for r in results(order)}


def searches(hubspot):
    return hubspot.request_count(method="POST", path_prefix=SEARCH_PATH)


def test_many_orders_naming_one_domain_make_one_company_across_chunks_and_runs(sync_event, item, hubspot,
                                                                               monkeypatch):
    # HubSpot's search shows a new company only after a while; the sync must not wait for it nor duplicate.
    hubspot.search_lag = 60
    monkeypatch.setattr(sync_module, "ORDERS_PER_CHUNK", 2)
    domain_mapping(sync_event)
    acme = [order_of(sync_event, item, "DOM01", "ann@acme.example"),
            order_of(sync_event, item, "DOM02", "bob@ACME.example", city="Hamburg"),
            order_of(sync_event, item, "DOM04", "dan@acme.example")]
    other = order_of(sync_event, item, "DOM03", "cat@other.example", company="Other Ltd")
    for order in [acme[0], acme[1], other, acme[2]]:
        enqueue(order)
    run_queue()  # two chunks of two orders

    assert queue_rows() == []
    companies = hubspot.records("companies")
    assert sorted(c["properties"]["domain"] for c in companies) == ["acme.example", "other.example"]
    [acme_company] = records_by(hubspot, "companies", "domain", "acme.example")
    assert company_ids(*acme) == {acme_company["id"]}
    assert [r.id_value for r in results(acme[1])] == ["acme.example"]
    # The last order of the chunks wins: DOM04's city.
    assert acme_company["properties"]["city"] == "Berlin"
    # Chunk one searched for acme.example, chunk two only for other.example: acme's company came from the results
    # stored by chunk one (the search had not indexed it yet).
    assert searches(hubspot) == 2

    # A second run right after the first: the company is still missing from the search, and still not doubled.
    later = order_of(sync_event, item, "DOM05", "eve@acme.example", company="Acme Corp")
    enqueue(later)
    hubspot.request_log.clear()
    run_queue()
    assert len(hubspot.records("companies")) == 2
    assert company_ids(later) == {acme_company["id"]}
    assert hubspot.get_record("companies", acme_company["id"])["properties"]["name"] == "Acme Corp"
    assert searches(hubspot) == 0
    assert hubspot.request_count(path_prefix="/crm/objects/2026-09/companies/batch/create") == 0


def test_company_hubspot_has_by_domain_is_updated_not_duplicated(sync_event, item, hubspot):
    oldest = hubspot.add_record("companies", {"name": "Acme (HubSpot)", "domain": "acme.example"})
    newer = hubspot.add_record("companies", {"name": "Acme duplicate", "domain": "acme.example"})
    domain_mapping(sync_event)
    orders = [order_of(sync_event, item, f"HSD0{i}", email, company="Acme GmbH")
              for i, email in enumerate(["ann@Acme.example", "bob@acme.example", "cat@new.example"])]
    for order in orders:
        enqueue(order)
    run_queue()

    assert queue_rows() == []
    # Of two companies with one domain, the oldest is written, every time.
    assert company_ids(orders[0], orders[1]) == {str(oldest)}
    assert hubspot.get_record("companies", oldest)["properties"]["name"] == "Acme GmbH"
    assert hubspot.get_record("companies", newer)["properties"]["name"] == "Acme duplicate"
    assert [r.sync_info["action"] for r in results(orders[0])] == ["update"]
    # The unknown domain got one new company, written in the normalised form.
    assert len(hubspot.records("companies")) == 3
    [new] = records_by(hubspot, "companies", "domain", "new.example")
    assert company_ids(orders[2]) == {new["id"]}
    assert searches(hubspot) == 1  # one chunk: one search for all its domains


def test_domains_are_compared_in_one_form():
    assert normalize_domain("https://www.Example.org/about?x=1") == "example.org"
    assert normalize_domain(" WWW.example.org. ") == "example.org"
    assert normalize_domain("http://shop.example.org:8080") == "shop.example.org"
    assert normalize_domain("jane@Example.org") == "example.org"
    assert normalize_domain("") == "" and normalize_domain(None) == ""


def test_preview_shows_the_company_found_by_domain(sync_event, item, hubspot, admin_client):
    company = hubspot.add_record("companies", {"name": "Acme (HubSpot)", "domain": "acme.example"})
    domain_mapping(sync_event)
    order = order_of(sync_event, item, "PRV01", "ann@acme.example", company="Acme GmbH")
    hubspot.request_log.clear()

    response = admin_client.get(preview_url(sync_event, order.code))
    page = text(response)
    assert "Found by the company domain acme.example." in page
    assert f"Company #{company} – Acme (HubSpot)" in page
    assert ("The sync looks the record up by the companies this event's earlier transfers found or created for the "
            "domain, then by HubSpot's search for the domain.") in page
    assert "creates a new record for every order" not in page
    assert writes(hubspot) == []
    assert searches(hubspot) == 1


def save(client, mapping, identifier, rows):
    return client.post(edit_url(mapping), editor_post(identifier, rows, 0), follow=True)


def test_domain_identifies_companies_and_other_non_unique_properties_stay_refused(
        admin_client, connected_event, hubspot):
    rows = [{"pretix_field": "invoice_address_company", "external_field": "name"}]
    mapping = make_mapping(connected_event, "Order", "companies")
    response = save(admin_client, mapping, ("email_domain", "domain"), rows)
    assert "Your changes have been saved." in messages_of(response)
    assert "does not require unique values" not in response.content.decode()
    mapping.refresh_from_db()
    assert (mapping.pretix_id_field, mapping.external_id_field) == ("email_domain", "domain")

    other = make_mapping(connected_event, "Order", "companies", position=1)
    response = save(admin_client, other, ("invoice_address_company", "name"), rows)
    assert "We could not save your changes. See below for details." in messages_of(response)
    assert "does not require unique values. Deals and other records" in response.content.decode()
    other.refresh_from_db()
    assert other.external_id_field == ""
