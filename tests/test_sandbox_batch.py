"""Batch read/create/update/upsert/archive: success codes, multi-status, whole-batch failures, limits."""
import json

import pytest
from hubspot.crm.contacts import (
    ApiException, BatchInputSimplePublicObjectBatchInput, BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert, BatchInputSimplePublicObjectId, BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput, SimplePublicObjectBatchInputForCreate, SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)
from hubspot.crm.deals import (
    ApiException as DealsApiException, BatchInputSimplePublicObjectBatchInputUpsert as DealUpserts,
    SimplePublicObjectBatchInputUpsert as DealUpsert,
)


def creates(*emails, trace=False):
    return BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        SimplePublicObjectBatchInputForCreate(properties={"email": e}, object_write_trace_id=f"t{i}" if trace else None)
        for i, e in enumerate(emails)
    ])


def upserts(*pairs, id_property="email"):
    return BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id=key, id_property=id_property, properties=props) for key, props in pairs
    ])


def test_batch_create_answers_201(hubspot, hubspot_sdk):
    data, status, _ = hubspot_sdk.crm.contacts.batch_api.create_with_http_info(creates("a@x.org", "b@x.org"))
    assert status == 201 and data.status == "COMPLETE"
    assert sorted(r.properties["email"] for r in data.results) == ["a@x.org", "b@x.org"]
    assert len(hubspot.records("contacts")) == 2


def test_batch_create_fails_whole_on_the_first_conflict(hubspot, hubspot_sdk):
    existing = hubspot.add_record("contacts", {"email": "b@x.org"})
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.batch_api.create(creates("a@x.org", "B@x.org", "c@x.org"))
    assert exc.value.status == 409
    assert json.loads(exc.value.body)["message"] == f"Contact already exists. Existing ID: {existing}"
    assert [r["id"] for r in hubspot.records("contacts")] == [existing]


def test_batch_create_with_trace_ids_reports_failures_as_207(hubspot, hubspot_sdk):
    hubspot.add_record("contacts", {"email": "b@x.org"})
    data, status, _ = hubspot_sdk.crm.contacts.batch_api.create_with_http_info(
        creates("a@x.org", "b@x.org", "broken", trace=True))
    assert status == 207
    assert [r.properties["email"] for r in data.results] == ["a@x.org"]
    assert data.num_errors == 2
    by_trace = {e.context["objectWriteTraceId"][0]: e for e in data.errors}
    assert by_trace["t1"].category == "CONFLICT" and by_trace["t2"].category == "VALIDATION_ERROR"
    assert len(hubspot.records("contacts")) == 2


def test_batch_validation_error_fails_whole_batch_and_identifies_the_input(hubspot, hubspot_sdk):
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.batch_api.create(creates("a@x.org", "broken"))
    body = json.loads(exc.value.body)
    assert exc.value.status == 400 and body["context"]["inputIndex"] == ["1"]
    assert body["errors"][0]["code"] == "INVALID_EMAIL"
    assert hubspot.records("contacts") == []


def test_more_than_100_inputs_are_refused(hubspot, hubspot_sdk):
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.batch_api.create(creates(*[f"p{i}@x.org" for i in range(101)]))
    assert exc.value.status == 400
    assert hubspot.records("contacts") == []
    hubspot_sdk.crm.contacts.batch_api.create(creates(*[f"p{i}@x.org" for i in range(100)]))
    assert len(hubspot.records("contacts")) == 100


def test_batch_read_by_id_and_email_with_207_for_missing(hubspot, hubspot_sdk):
    a = hubspot.add_record("contacts", {"email": "a@x.org", "firstname": "A"})
    api = hubspot_sdk.crm.contacts.batch_api
    data, status, _ = api.read_with_http_info(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=a)], properties=["firstname"]))
    assert status == 200 and data.results[0].properties["firstname"] == "A"
    data, status, _ = api.read_with_http_info(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id="A@X.org"), SimplePublicObjectId(id="nobody@x.org")], id_property="email",
        properties=["email"]))
    assert status == 207
    assert [r.id for r in data.results] == [a]
    assert data.errors[0].category == "OBJECT_NOT_FOUND" and data.errors[0].context["ids"] == ["nobody@x.org"]


def test_batch_update_200_and_207_for_missing_ids(hubspot, hubspot_sdk):
    a = hubspot.add_record("contacts", {"email": "a@x.org"})
    api = hubspot_sdk.crm.contacts.batch_api
    _, status, _ = api.update_with_http_info(BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=a, properties={"firstname": "A"})]))
    assert status == 200 and hubspot.get_record("contacts", a)["properties"]["firstname"] == "A"
    data, status, _ = api.update_with_http_info(BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=a, properties={"firstname": "B"}),
        SimplePublicObjectBatchInput(id="999999", properties={"firstname": "C"})]))
    assert status == 207 and data.errors[0].context["ids"] == ["999999"]
    assert hubspot.get_record("contacts", a)["properties"]["firstname"] == "B"


def test_batch_update_by_email_is_refused(hubspot, hubspot_sdk):
    hubspot.add_record("contacts", {"email": "a@x.org"})
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=[
            SimplePublicObjectBatchInput(id="a@x.org", id_property="email", properties={"firstname": "A"})]))
    assert exc.value.status == 400 and "non-unique" in json.loads(exc.value.body)["message"]


def test_upsert_by_email_reports_new_and_existing(hubspot, hubspot_sdk):
    existing = hubspot.add_record("contacts", {"email": "a@x.org", "firstname": "Old"})
    data, status, _ = hubspot_sdk.crm.contacts.batch_api.upsert_with_http_info(upserts(
        ("A@x.org", {"firstname": "New"}), ("b@x.org", {"firstname": "Bee"})))
    assert status == 200
    result = {r.properties["email"]: r for r in data.results}
    assert result["a@x.org"].id == existing and result["a@x.org"].new is False
    assert result["b@x.org"].new is True
    assert hubspot.get_record("contacts", existing)["properties"]["firstname"] == "New"
    assert len(hubspot.records("contacts")) == 2


def test_upsert_by_unique_property(hubspot, hubspot_sdk):
    hubspot.add_property("deals", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=True)
    batch = DealUpserts(inputs=[DealUpsert(id="ABC12", id_property="pretix_order_id", properties={"dealname": "1"})])
    first = hubspot_sdk.crm.deals.batch_api.upsert(batch)
    assert first.results[0].new is True and first.results[0].properties["pretix_order_id"] == "ABC12"
    second = hubspot_sdk.crm.deals.batch_api.upsert(batch)
    assert second.results[0].new is False and second.results[0].id == first.results[0].id
    assert len(hubspot.records("deals")) == 1


def test_upsert_needs_a_unique_property(hubspot, hubspot_sdk):
    hubspot.add_property("deals", "pretix_order_id", "pretix-order-id", "string", "text")
    batch = DealUpserts(inputs=[DealUpsert(id="ABC12", id_property="pretix_order_id", properties={"dealname": "1"})])
    with pytest.raises(DealsApiException) as exc:
        hubspot_sdk.crm.deals.batch_api.upsert(batch)
    assert exc.value.status == 400
    hubspot.delete_property("deals", "pretix_order_id")
    with pytest.raises(DealsApiException) as exc:
        hubspot_sdk.crm.deals.batch_api.upsert(batch)
    assert exc.value.status == 400
    assert hubspot.records("deals") == []


def test_upsert_with_two_inputs_for_one_record_fails_the_batch(hubspot, hubspot_sdk):
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.batch_api.upsert(upserts(("a@x.org", {"firstname": "1"}),
                                                          ("A@X.org", {"firstname": "2"})))
    assert exc.value.status == 400 and "Duplicate" in json.loads(exc.value.body)["message"]
    assert hubspot.records("contacts") == []


def test_batch_archive_answers_204(hubspot, hubspot_sdk):
    a = hubspot.add_record("contacts", {"email": "a@x.org"})
    _, status, _ = hubspot_sdk.crm.contacts.batch_api.archive_with_http_info(
        BatchInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=a)]))
    assert status == 204 and hubspot.records("contacts", include_archived=False) == []
