"""The sandbox's date-versioned paths (/crm/objects/2026-09/…), driven through the official client, and its knob
that refuses HubSpot's numbered paths the way HubSpot will once it has retired them."""
import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputUpsert, BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInputUpsert, SimplePublicObjectId,
)
from hubspot.crm.contacts.exceptions import NotFoundException

from pretix_hubspot.hubspot_api.api_paths import versioned_api_client


def client(hubspot, version=None):
    """The official client; with ``version`` its typed APIs send to that version's dated paths."""
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)

    def factory(package, api_name, config):
        configuration = package.Configuration()
        configuration.host = config["host"]
        configuration.access_token = config["access_token"]
        api_client = package.ApiClient(configuration=configuration)
        if version:
            versioned_api_client(api_client, version)
        return getattr(package, api_name)(api_client=api_client)

    return HubSpot(access_token=tokens["access_token"], host=hubspot.url, base_url=hubspot.url, api_factory=factory)


def request(sdk, method, path, body=None):
    options = {"method": method, "path": path}
    if body is not None:
        options["body"] = body
    return sdk.api_request(options)


@pytest.mark.parametrize("version", ["2026-03", "2026-09"])
def test_typed_batch_apis_work_on_dated_paths(hubspot, version):
    sdk = client(hubspot, version)
    upserted = sdk.crm.contacts.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id="jane@example.org", id_property="email",
                                           properties={"firstname": "Jane"}),
    ]))
    assert upserted.results[0].new is True
    read = sdk.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id="JANE@example.org")], id_property="email", properties=["firstname"]))
    assert read.results[0].properties["firstname"] == "Jane"
    paths = [e["path"] for e in hubspot.request_log]
    assert paths == [f"/crm/objects/{version}/contacts/batch/upsert", f"/crm/objects/{version}/contacts/batch/read"]


def test_one_record_behind_every_version(hubspot):
    sdk = client(hubspot)
    created = request(sdk, "POST", "/crm/objects/2026-09/contacts", {"properties": {"email": "a@example.org"}})
    assert created.status_code == 201
    record_id = created.json()["id"]
    got = request(sdk, "GET", f"/crm/objects/2026-03/contacts/{record_id}")
    assert got.status_code == 200 and got.json()["properties"]["email"] == "a@example.org"


def test_schema_pipelines_associations_and_account_on_dated_paths(hubspot):
    sdk = client(hubspot)
    assert request(sdk, "POST", "/crm/properties/2026-09/deals/groups", {"name": "pretix", "label": "pretix"}) \
        .status_code == 201
    assert request(sdk, "GET", "/crm/properties/2026-09/deals/groups/pretix").json()["label"] == "pretix"
    created = request(sdk, "POST", "/crm/properties/2026-09/deals", {
        "name": "pretix_order_id", "label": "pretix-order-id", "type": "string", "fieldType": "text",
        "groupName": "pretix", "hasUniqueValue": True})
    assert created.status_code == 201
    assert request(sdk, "GET", "/crm/properties/2026-09/deals/pretix_order_id").json()["hasUniqueValue"] is True
    names = [p["name"] for p in request(sdk, "GET", "/crm/properties/2026-09/deals").json()["results"]]
    assert "pretix_order_id" in names and "dealstage" in names

    [pipeline] = request(sdk, "GET", "/crm/pipelines/2026-09/deals").json()["results"]
    stages = request(sdk, "GET", f"/crm/pipelines/2026-09/deals/{pipeline['id']}/stages").json()["results"]
    assert "closedwon" in [s["id"] for s in stages]

    contact = hubspot.add_record("contacts", {"email": "b@example.org"})
    deal = hubspot.add_record("deals", {"dealname": "ABC12"})
    associated = request(sdk, "POST", "/crm/associations/2026-09/deals/contacts/batch/associate/default",
                         {"inputs": [{"from": {"id": deal}, "to": {"id": contact}}]})
    assert associated.status_code == 200
    assert hubspot.associations("deals", deal, "contacts") == [contact]

    details = request(sdk, "GET", "/account-info/2026-09/details")
    assert details.status_code == 200 and details.json()["portalId"] == hubspot.default_portal_id


def test_numbered_paths_are_refused_while_the_knob_is_on(hubspot):
    sdk = client(hubspot)
    assert hubspot.refuse_legacy_paths is True  # the fixture's default for the whole suite
    with pytest.raises(NotFoundException) as exc:
        sdk.crm.contacts.basic_api.get_page()
    assert "no longer supported" in exc.value.body
    assert request(sdk, "GET", "/account-info/v3/details").status_code == 404
    assert request(sdk, "GET", "/crm/objects/2026-09/contacts").status_code == 200

    hubspot.refuse_legacy_paths = False
    assert sdk.crm.contacts.basic_api.get_page().results == []


def test_unknown_date_version_is_not_found(hubspot):
    sdk = client(hubspot)
    response = request(sdk, "GET", "/crm/objects/2025-01/contacts")
    assert response.status_code == 404 and "2025-01" in response.json()["message"]
    hubspot.api_versions = ("2026-03", "2026-09", "2027-03")
    assert request(sdk, "GET", "/crm/objects/2027-03/contacts").status_code == 200


def test_account_rules_are_enforced_from_2026_09_on(hubspot):
    sdk = client(hubspot)
    hubspot.require_property("deals", "closedate", when_property="dealstage", when_value="closedwon")
    deal = {"properties": {"dealname": "A", "dealstage": "closedwon"}}
    refused = request(sdk, "POST", "/crm/objects/2026-09/deals", deal)
    assert refused.status_code == 400
    body = refused.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["context"]["propertyName"] == ["closedate"]
    assert hubspot.records("deals") == []
    assert request(sdk, "POST", "/crm/objects/2026-03/deals", deal).status_code == 201
    with_date = {"properties": dict(deal["properties"], closedate="2027-05-01T10:00:00Z")}
    assert request(sdk, "POST", "/crm/objects/2026-09/deals", with_date).status_code == 201


def test_association_edits_need_the_users_permission_from_2026_09_on(hubspot):
    sdk = client(hubspot)
    contact = hubspot.add_record("contacts", {"email": "b@example.org"})
    deal = hubspot.add_record("deals", {"dealname": "ABC12"})
    hubspot.deny_association_edits()
    body = {"inputs": [{"from": {"id": deal}, "to": {"id": contact}}]}
    refused = request(sdk, "POST", "/crm/associations/2026-09/deals/contacts/batch/associate/default", body)
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    assert hubspot.associations("deals", deal, "contacts") == []
    assert request(sdk, "POST", "/crm/associations/2026-03/deals/contacts/batch/associate/default", body) \
        .status_code == 200
