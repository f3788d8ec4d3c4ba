"""Properties and groups, deal pipelines, associations v4, and the standalone process with its control API."""
import json
import os
import subprocess
import sys
import time

import pytest
import requests
from hubspot.crm.associations.v4 import (
    ApiException as AssociationsApiException, AssociationSpec, BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost, BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiPost, PublicDefaultAssociationMultiPost, PublicFetchAssociationsBatchRequest, PublicObjectId,
)
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.properties import (
    ApiException as PropertiesApiException, BatchReadInputPropertyName, OptionInput, PropertyCreate,
    PropertyGroupCreate, PropertyName, PropertyUpdate,
)


@pytest.fixture(autouse=True)
def legacy_paths_served(hubspot):
    """These tests drive the sandbox through the official client's typed APIs, which speak the numbered paths."""
    hubspot.refuse_legacy_paths = False


ORDER_ID = PropertyCreate(name="pretix_order_id", label="pretix-order-id", type="string", field_type="text",
                          group_name="contactinformation", has_unique_value=True)


def test_property_list_has_hubspot_defaults_but_no_pretix_order_id(hubspot_sdk):
    data, status, _ = hubspot_sdk.crm.properties.core_api.get_all_with_http_info("contacts")
    assert status == 200
    by_name = {p.name: p for p in data.results}
    assert {"email", "firstname", "lastname", "company", "lifecyclestage", "hs_object_id"} <= set(by_name)
    assert "pretix_order_id" not in by_name
    assert by_name["hs_object_id"].modification_metadata.read_only_value is True
    assert by_name["email"].modification_metadata.read_only_value is False
    assert [o.value for o in by_name["lifecyclestage"].options][:2] == ["subscriber", "lead"]
    deals = {p.name: p for p in hubspot_sdk.crm.properties.core_api.get_all("deals").results}
    assert deals["amount"].type == "number" and deals["closedate"].type == "datetime"
    assert "closedwon" in [o.value for o in deals["dealstage"].options]


def test_get_property_by_name_and_404(hubspot_sdk):
    assert hubspot_sdk.crm.properties.core_api.get_by_name("deals", "dealname").label == "Deal Name"
    with pytest.raises(PropertiesApiException) as exc:
        hubspot_sdk.crm.properties.core_api.get_by_name("deals", "pretix_order_id")
    assert exc.value.status == 404


def test_create_unique_property_201_then_409(hubspot, hubspot_sdk):
    data, status, _ = hubspot_sdk.crm.properties.core_api.create_with_http_info("contacts", ORDER_ID)
    assert status == 201 and data.has_unique_value is True and data.name == "pretix_order_id"
    assert [p for p in hubspot.properties("contacts") if p["name"] == "pretix_order_id"][0]["hasUniqueValue"]
    with pytest.raises(PropertiesApiException) as exc:
        hubspot_sdk.crm.properties.core_api.create("contacts", ORDER_ID)
    assert exc.value.status == 409
    with pytest.raises(PropertiesApiException) as exc:
        hubspot_sdk.crm.properties.core_api.update("contacts", "pretix_order_id",
                                                   {"label": "Order", "hasUniqueValue": False})
    assert exc.value.status == 400
    assert hubspot_sdk.crm.properties.core_api.update("contacts", "pretix_order_id",
                                                      PropertyUpdate(label="Order")).label == "Order"


@pytest.mark.parametrize("changes", [
    {"name": "Pretix-Order-Id"}, {"name": "1order"}, {"group_name": "nosuchgroup"},
    {"type": "string", "field_type": "select"}, {"type": "enumeration", "field_type": "select"},
])
def test_create_property_validates_its_definition(hubspot_sdk, changes):
    fields = dict(name="pretix_order_id", label="pretix-order-id", type="string", field_type="text",
                  group_name="contactinformation")
    fields.update(changes)
    with pytest.raises(PropertiesApiException) as exc:
        hubspot_sdk.crm.properties.core_api.create("contacts", PropertyCreate(**fields))
    assert exc.value.status == 400


def test_enumeration_property_with_options_and_archive(hubspot, hubspot_sdk):
    hubspot_sdk.crm.properties.core_api.create("deals", PropertyCreate(
        name="ticket_type", label="Ticket type", type="enumeration", field_type="select",
        group_name="dealinformation", options=[OptionInput(label="Regular", value="regular", display_order=0)]))
    prop = hubspot_sdk.crm.properties.core_api.get_by_name("deals", "ticket_type")
    assert [o.value for o in prop.options] == ["regular"]
    _, status, _ = hubspot_sdk.crm.properties.core_api.archive_with_http_info("deals", "ticket_type")
    assert status == 204
    with pytest.raises(PropertiesApiException):
        hubspot_sdk.crm.properties.core_api.get_by_name("deals", "ticket_type")


def test_property_batch_read_and_groups(hubspot_sdk):
    data, status, _ = hubspot_sdk.crm.properties.batch_api.read_with_http_info("contacts", BatchReadInputPropertyName(
        inputs=[PropertyName(name="email"), PropertyName(name="nope")], archived=False))
    assert status == 207 and [p.name for p in data.results] == ["email"]
    groups = hubspot_sdk.crm.properties.groups_api.get_all("contacts").results
    assert "contactinformation" in [g.name for g in groups]
    group, status, _ = hubspot_sdk.crm.properties.groups_api.create_with_http_info(
        "contacts", PropertyGroupCreate(name="order_information", label="Order information"))
    assert status == 201 and group.name == "order_information"
    created = hubspot_sdk.crm.properties.core_api.create("contacts", PropertyCreate(
        name="pretix_order_id", label="pretix-order-id", type="string", field_type="text",
        group_name="order_information"))
    assert created.group_name == "order_information"


def test_schema_calls_need_schema_scopes(hubspot):
    from hubspot import HubSpot

    tokens = hubspot.issue_tokens(hubspot.default_portal_id, scopes=["oauth", "crm.schemas.contacts.read"])
    client = HubSpot(access_token=tokens["access_token"], host=hubspot.url)
    client.crm.properties.core_api.get_all("contacts")
    with pytest.raises(PropertiesApiException) as exc:
        client.crm.properties.core_api.create("contacts", ORDER_ID)
    assert exc.value.status == 403
    with pytest.raises(PropertiesApiException) as exc:
        client.crm.properties.core_api.get_all("deals")
    assert exc.value.status == 403


def test_default_deal_pipeline_and_stages(hubspot, hubspot_sdk):
    data, status, _ = hubspot_sdk.crm.pipelines.pipelines_api.get_all_with_http_info("deals")
    assert status == 200
    [pipeline] = data.results
    assert pipeline.id == "default" and pipeline.label == "Sales Pipeline"
    assert [s.id for s in pipeline.stages] == ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
                                               "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]
    stages = hubspot_sdk.crm.pipelines.pipeline_stages_api.get_all("deals", "default").results
    assert stages[5].metadata == {"isClosed": "true", "probability": "1.0"}
    assert hubspot.pipelines()[0]["id"] == "default"
    with pytest.raises(PipelinesApiException) as exc:
        hubspot_sdk.crm.pipelines.pipelines_api.get_by_id("deals", "nope")
    assert exc.value.status == 404


def test_default_association_single_and_batch(hubspot, hubspot_sdk):
    contact = hubspot.add_record("contacts", {"email": "a@x.org"})
    deals = [hubspot.add_record("deals", {"dealname": n}) for n in ("one", "two")]
    api = hubspot_sdk.crm.associations.v4
    _, status, _ = api.basic_api.create_default_with_http_info("deals", deals[0], "contacts", contact)
    assert status == 200
    data, status, _ = api.batch_api.create_default_with_http_info("deals", "contacts",
                                                                  BatchInputPublicDefaultAssociationMultiPost(inputs=[
                                                                      PublicDefaultAssociationMultiPost(
                                                                          _from=PublicObjectId(id=deals[1]),
                                                                          to=PublicObjectId(id=contact))]))
    assert status == 200 and data.results[0].association_spec.association_type_id == 3
    assert hubspot.associations("contacts", contact, "deals") == deals
    page = api.basic_api.get_page("contacts", contact, "deals")
    assert [r.to_object_id for r in page.results] == deals
    assert page.results[0].association_types[0].type_id == 4


def test_labelled_association_and_batch_read(hubspot, hubspot_sdk):
    contact = hubspot.add_record("contacts", {"email": "a@x.org"})
    lonely = hubspot.add_record("contacts", {"email": "b@x.org"})
    deal = hubspot.add_record("deals", {"dealname": "one"})
    api = hubspot_sdk.crm.associations.v4
    _, status, _ = api.basic_api.create_with_http_info(
        "deals", deal, "contacts", contact,
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)])
    assert status == 201
    with pytest.raises(AssociationsApiException) as exc:
        api.basic_api.create("deals", deal, "contacts", contact,
                             [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=4)])
    assert exc.value.status == 400
    data, status, _ = api.batch_api.create_with_http_info("contacts", "deals", BatchInputPublicAssociationMultiPost(
        inputs=[PublicAssociationMultiPost(_from=PublicObjectId(id=lonely), to=PublicObjectId(id="404404"),
                                           types=[AssociationSpec(association_category="HUBSPOT_DEFINED",
                                                                  association_type_id=4)])]))
    assert status == 207
    data, status, _ = api.batch_api.get_page_with_http_info("contacts", "deals", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=contact), PublicFetchAssociationsBatchRequest(id=lonely)]))
    assert status == 207
    assert [(r._from.id, [t.to_object_id for t in r.to]) for r in data.results] == [(contact, [deal])]


def test_association_to_a_missing_record_is_refused(hubspot, hubspot_sdk):
    contact = hubspot.add_record("contacts", {"email": "a@x.org"})
    with pytest.raises(AssociationsApiException) as exc:
        hubspot_sdk.crm.associations.v4.basic_api.create_default("deals", "404404", "contacts", contact)
    assert exc.value.status == 404
    with pytest.raises(AssociationsApiException) as exc:
        hubspot_sdk.crm.associations.v4.batch_api.create_default(
            "deals", "contacts", BatchInputPublicDefaultAssociationMultiPost(inputs=[PublicDefaultAssociationMultiPost(
                _from=PublicObjectId(id="404404"), to=PublicObjectId(id=contact))]))
    assert exc.value.status == 400
    assert hubspot.associations("contacts", contact, "deals") == []


def test_control_api(hubspot, hubspot_sdk):
    hubspot.add_record("contacts", {"email": "a@x.org"})
    hubspot_sdk.crm.contacts.basic_api.get_page()
    state = requests.get(hubspot.url + "/_sandbox/state").json()
    assert state["portals"][str(hubspot.default_portal_id)]["records"]["contacts"] == 1
    records = requests.get(hubspot.url + "/_sandbox/records/contacts").json()["results"]
    assert records[0]["properties"]["email"] == "a@x.org"
    assert requests.get(hubspot.url + "/_sandbox/requests").json()["by_endpoint"] == {"GET /crm/v3/objects/contacts": 1}
    assert requests.post(hubspot.url + "/_sandbox/reset").json() == {"reset": True}
    assert hubspot.records("contacts") == []


def test_standalone_process_prints_its_url_and_credentials():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    process = subprocess.Popen([sys.executable, "-m", "hubspot_sandbox", "--port", "0"], cwd=root,
                               stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        url = lines[0].split(" at ")[1].strip()
        client_id = lines[1].split(":", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:")
        deadline = time.monotonic() + 5
        while True:
            try:
                state = requests.get(url + "/_sandbox/state", timeout=1).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert state["client_id"] == client_id
        tokens = requests.post(url + "/_sandbox/tokens", json={}).json()
        response = requests.get(url + "/crm/v3/objects/contacts",
                                headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert response.status_code == 200 and json.loads(response.text) == {"results": []}
    finally:
        process.terminate()
        process.wait(5)
