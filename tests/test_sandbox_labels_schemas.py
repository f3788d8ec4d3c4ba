"""Association labels, labelled association writes and reads, and custom-object schemas in the sandbox, driven through
the official client's typed APIs on HubSpot's date-versioned paths."""
import json

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    ApiException as AssociationApiException, BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost, BatchInputPublicFetchAssociationsBatchRequest, PublicAssociationMultiArchive,
    PublicAssociationMultiPost, PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.associations.v4.schema import (
    ApiException as LabelApiException, PublicAssociationDefinitionCreateRequest,
    PublicAssociationDefinitionUpdateRequest,
)
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputUpsert, PublicObjectSearchRequest, SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.properties import PropertyCreate
from hubspot.crm.schemas.exceptions import NotFoundException as SchemaNotFound

from tests.test_sandbox_versions import client, request


def body_of(exc):
    return json.loads(exc.value.body)


@pytest.fixture
def sdk(hubspot):
    return client(hubspot, "2026-09")


def spec(type_id, category="HUBSPOT_DEFINED"):
    return {"associationCategory": category, "associationTypeId": type_id}


def labels(sdk, from_type, to_type):
    return [(r.category, r.type_id, r.label)
            for r in sdk.crm.associations.v4.schema.definitions_api.get_all(from_type, to_type).results]


def test_default_association_types_per_pair(sdk, hubspot):
    assert labels(sdk, "deals", "companies") == [("HUBSPOT_DEFINED", 341, None), ("HUBSPOT_DEFINED", 5, "Primary")]
    assert labels(sdk, "contacts", "companies") == [("HUBSPOT_DEFINED", 279, None), ("HUBSPOT_DEFINED", 1, "Primary")]
    assert labels(sdk, "deals", "contacts") == [("HUBSPOT_DEFINED", 3, None)]
    assert labels(sdk, "line_items", "deals") == [("HUBSPOT_DEFINED", 20, None)]
    assert labels(sdk, "tickets", "contacts") == [("HUBSPOT_DEFINED", 16, None)]
    assert labels(sdk, "line_items", "contacts") == []
    assert [e["path"] for e in hubspot.request_log][-1] == "/crm/associations/2026-09/line_items/contacts/labels"


def test_custom_labels_only_on_professional_and_enterprise(sdk, hubspot):
    api = sdk.crm.associations.v4.schema.definitions_api
    hubspot.set_tier("starter")
    with pytest.raises(LabelApiException) as exc:
        api.create("contacts", "deals", PublicAssociationDefinitionCreateRequest(label="Attendee", name="attendee"))
    assert exc.value.status == 403 and body_of(exc)["category"] == "FORBIDDEN"
    assert labels(sdk, "contacts", "deals") == [("HUBSPOT_DEFINED", 4, None)]

    hubspot.set_tier("professional")
    created = api.create("contacts", "deals", PublicAssociationDefinitionCreateRequest(
        label="Attendee", name="attendee", inverse_label="Attended by"))
    forward, backward = created.results
    assert (forward.category, forward.label, backward.label) == ("USER_DEFINED", "Attendee", "Attended by")
    assert labels(sdk, "contacts", "deals")[-1] == ("USER_DEFINED", forward.type_id, "Attendee")
    assert labels(sdk, "deals", "contacts")[-1] == ("USER_DEFINED", backward.type_id, "Attended by")
    with pytest.raises(LabelApiException) as exc:
        api.create("contacts", "deals", PublicAssociationDefinitionCreateRequest(label="Again", name="attendee"))
    assert exc.value.status == 409
    with pytest.raises(LabelApiException) as exc:
        api.create("line_items", "deals", PublicAssociationDefinitionCreateRequest(label="Part", name="part"))
    assert exc.value.status == 400


def test_labelled_writes_reads_and_label_archive(sdk, hubspot):
    deal = hubspot.add_record("deals", {"dealname": "ABC12"})
    acme = hubspot.add_record("companies", {"name": "ACME"})
    jane = hubspot.add_record("contacts", {"email": "jane@example.org"})
    attendee, attended_by = hubspot.add_association_label("contacts", "deals", "Attendee")
    batch = sdk.crm.associations.v4.batch_api
    data, status, _ = batch.create_with_http_info("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        PublicAssociationMultiPost(_from={"id": deal}, to={"id": acme}, types=[spec(5)])]))
    assert status == 201 and data.results[0].labels == ["Primary"]
    batch.create("contacts", "deals", BatchInputPublicAssociationMultiPost(inputs=[
        PublicAssociationMultiPost(_from={"id": jane}, to={"id": deal}, types=[spec(attendee, "USER_DEFINED")])]))

    assert hubspot.labelled_associations("deals", deal, "companies") == {acme: [None, "Primary"]}
    assert hubspot.labelled_associations("companies", acme, "deals") == {deal: [None, "Primary"]}
    assert {t["typeId"] for t in hubspot.association_types("deals", deal, "contacts", jane)} == {3, attended_by}
    read = batch.get_page("contacts", "deals", BatchInputPublicFetchAssociationsBatchRequest(inputs=[
        PublicFetchAssociationsBatchRequest(id=jane)]))
    types = read.results[0].to[0].association_types
    assert {(t.category, t.type_id, t.label) for t in types} == {("HUBSPOT_DEFINED", 4, None),
                                                                 ("USER_DEFINED", attendee, "Attendee")}

    batch.archive_labels("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        PublicAssociationMultiPost(_from={"id": deal}, to={"id": acme}, types=[spec(5)])]))
    assert hubspot.labelled_associations("deals", deal, "companies") == {acme: [None]}
    batch.archive("contacts", "deals", BatchInputPublicAssociationMultiArchive(inputs=[
        PublicAssociationMultiArchive(_from={"id": jane}, to=[{"id": deal}])]))
    assert hubspot.associations("deals", deal, "contacts") == []


def test_unknown_type_ids_and_missing_records(sdk, hubspot):
    deal = hubspot.add_record("deals", {"dealname": "ABC12"})
    acme = hubspot.add_record("companies", {"name": "ACME"})
    batch = sdk.crm.associations.v4.batch_api
    with pytest.raises(AssociationApiException) as exc:  # 1 is contact→company, not deal→company
        batch.create("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
            PublicAssociationMultiPost(_from={"id": deal}, to={"id": acme}, types=[spec(1)])]))
    assert exc.value.status == 400 and body_of(exc)["category"] == "VALIDATION_ERROR"
    assert hubspot.associations("deals", deal, "companies") == []
    data, status, _ = batch.create_with_http_info("deals", "companies", BatchInputPublicAssociationMultiPost(inputs=[
        PublicAssociationMultiPost(_from={"id": deal}, to={"id": acme}, types=[spec(341)]),
        PublicAssociationMultiPost(_from={"id": deal}, to={"id": "999999"}, types=[spec(341)]),
    ]))
    assert status == 207 and data.errors[0].category == "OBJECT_NOT_FOUND"
    assert hubspot.associations("deals", deal, "companies") == [acme]


def test_a_line_item_belongs_to_one_deal(sdk, hubspot):
    first = hubspot.add_record("deals", {"dealname": "A"})
    second = hubspot.add_record("deals", {"dealname": "B"})
    item = hubspot.add_record("line_items", {"name": "Ticket"})
    batch = sdk.crm.associations.v4.batch_api
    batch.create("line_items", "deals", BatchInputPublicAssociationMultiPost(inputs=[
        PublicAssociationMultiPost(_from={"id": item}, to={"id": first}, types=[spec(20)])]))
    data, status, _ = batch.create_with_http_info("deals", "line_items", BatchInputPublicAssociationMultiPost(inputs=[
        PublicAssociationMultiPost(_from={"id": second}, to={"id": item}, types=[spec(19)])]))
    assert status == 207 and "one deal" in data.errors[0].message
    assert hubspot.associations("line_items", item, "deals") == [first]


def test_custom_objects_only_on_enterprise(sdk, hubspot):
    badge = hubspot.add_custom_object(
        "badge", "Badge", "Badges", "badge_code", required_properties=["badge_code"],
        properties=[{"name": "badge_code", "label": "Badge code", "type": "string", "fieldType": "text",
                     "hasUniqueValue": True},
                    {"name": "tier", "label": "Tier", "type": "enumeration", "fieldType": "select",
                     "options": [{"label": "Speaker", "value": "speaker"}, {"label": "Guest", "value": "guest"}]}],
        associated_objects=["contacts", "deals"])
    schemas = sdk.crm.schemas.core_api
    [listed] = schemas.get_all().results
    assert (listed.object_type_id, listed.fully_qualified_name) == (badge["objectTypeId"], "p12345678_badge")
    assert "tier" in {p.name for p in schemas.get_by_id(badge["objectTypeId"]).properties}
    assert [e["path"] for e in hubspot.request_log][0] == "/crm-object-schemas/2026-09/schemas"

    objects = sdk.crm.objects
    created = objects.basic_api.create(badge["objectTypeId"], SimplePublicObjectInputForCreate(
        properties={"badge_code": "B-1", "tier": "speaker"}))
    upserted = objects.batch_api.upsert(badge["fullyQualifiedName"], BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[SimplePublicObjectBatchInputUpsert(id="B-1", id_property="badge_code", properties={"tier": "guest"})]))
    assert upserted.results[0].id == created.id and upserted.results[0].new is False
    assert hubspot.records("p12345678_badge")[0]["properties"]["tier"] == "guest"
    with pytest.raises(Exception) as exc:
        objects.basic_api.create(badge["objectTypeId"], SimplePublicObjectInputForCreate(properties={"tier": "guest"}))
    assert exc.value.status == 400  # badge_code is required

    [unlabelled] = labels(sdk, badge["objectTypeId"], "contacts")
    assert unlabelled[0] == "USER_DEFINED" and unlabelled[2] is None
    jane = hubspot.add_record("contacts", {"email": "jane@example.org"})
    sdk.crm.associations.v4.batch_api.create(badge["objectTypeId"], "contacts", BatchInputPublicAssociationMultiPost(
        inputs=[PublicAssociationMultiPost(_from={"id": created.id}, to={"id": jane},
                                           types=[spec(unlabelled[1], "USER_DEFINED")])]))
    assert hubspot.associations("contacts", jane, "p12345678_badge") == [created.id]

    hubspot.set_tier("professional")
    assert schemas.get_all().results == []
    with pytest.raises(SchemaNotFound):
        schemas.get_by_id(badge["objectTypeId"])


def test_custom_object_properties_and_search(sdk, hubspot):
    badge = hubspot.add_custom_object("badge", "Badge", "Badges", "badge_code", properties=[
        {"name": "badge_code", "label": "Badge code", "type": "string", "fieldType": "text"}])
    created = sdk.crm.properties.core_api.create(badge["objectTypeId"], PropertyCreate(
        name="pretix_position_id", label="pretix position", type="string", field_type="text",
        group_name="badge_information", has_unique_value=True))
    assert created.has_unique_value is True
    assert "pretix_position_id" in {p.name for p in sdk.crm.schemas.core_api.get_by_id("p_badge").properties}
    hubspot.add_record(badge["fullyQualifiedName"], {"badge_code": "SPEAKER-1"})
    found = sdk.crm.objects.search_api.do_search(badge["objectTypeId"], PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "badge_code", "operator": "EQ", "value": "speaker-1"}]}]))
    assert found.total == 1 and found.results[0].properties["badge_code"] == "SPEAKER-1"


def test_custom_objects_need_the_custom_scopes(hubspot):
    badge = hubspot.add_custom_object("badge", "Badge", "Badges", "badge_code", properties=[
        {"name": "badge_code", "label": "Badge code", "type": "string", "fieldType": "text"}])
    tokens = hubspot.issue_tokens(hubspot.default_portal_id, scopes=["oauth", "crm.objects.contacts.read"])
    sdk = HubSpot(access_token=tokens["access_token"], host=hubspot.url, base_url=hubspot.url)
    refused = request(sdk, "GET", f"/crm/objects/2026-09/{badge['objectTypeId']}")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.custom.read"]
    assert request(sdk, "GET", "/crm-object-schemas/2026-09/schemas").status_code == 403


def test_custom_labels_can_be_renamed_and_deleted(sdk, hubspot):
    api = sdk.crm.associations.v4.schema.definitions_api
    deal = hubspot.add_record("deals", {"dealname": "ABC12"})
    jane = hubspot.add_record("contacts", {"email": "jane@example.org"})
    attendee, _ = hubspot.add_association_label("contacts", "deals", "Attendee")
    sdk.crm.associations.v4.batch_api.create("contacts", "deals", BatchInputPublicAssociationMultiPost(inputs=[
        PublicAssociationMultiPost(_from={"id": jane}, to={"id": deal}, types=[spec(attendee, "USER_DEFINED")])]))
    api.update("contacts", "deals", PublicAssociationDefinitionUpdateRequest(association_type_id=attendee, label="Guest"))
    assert hubspot.labelled_associations("contacts", jane, "deals") == {deal: [None, "Guest"]}
    with pytest.raises(LabelApiException) as exc:
        api.remove("contacts", "deals", 4)  # HubSpot's own type
    assert exc.value.status == 404
    api.remove("contacts", "deals", attendee)
    assert labels(sdk, "contacts", "deals") == [("HUBSPOT_DEFINED", 4, None)]
    assert hubspot.labelled_associations("contacts", jane, "deals") == {deal: [None]}
    assert hubspot.labelled_associations("deals", deal, "contacts") == {jane: [None]}
