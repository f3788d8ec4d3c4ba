"""Contacts and deals, one record at a time: codes, lookups, and HubSpot's validation rules."""
import json

import pytest
from hubspot.crm.contacts import ApiException, SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.contacts.exceptions import NotFoundException
from hubspot.crm.deals import ApiException as DealsApiException, SimplePublicObjectInputForCreate as DealInput
from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectInput


def create_contact(client, **properties):
    return client.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties=properties))


def error_of(exc):
    return json.loads(exc.value.body)


def test_create_answers_201_and_stores_the_record(hubspot, hubspot_sdk):
    data, status, _ = hubspot_sdk.crm.contacts.basic_api.create_with_http_info(
        SimplePublicObjectInputForCreate(properties={"email": "Jane.Doe@Example.org", "firstname": "Jane"}))
    assert status == 201
    assert data.id and data.properties["firstname"] == "Jane"
    assert data.properties["email"] == "jane.doe@example.org"  # HubSpot stores e-mail addresses in lower case
    assert data.properties["hs_object_id"] == data.id and data.created_at
    stored = hubspot.get_record("contacts", data.id)
    assert stored["properties"]["firstname"] == "Jane" and stored["archived"] is False


def test_get_by_id_and_by_email_with_requested_properties(hubspot_sdk):
    created = create_contact(hubspot_sdk, email="jane@example.org", firstname="Jane", company="Doe Industries")
    api = hubspot_sdk.crm.contacts.basic_api
    data, status, _ = api.get_by_id_with_http_info(created.id, properties=["company", "city"])
    assert status == 200
    assert data.properties["company"] == "Doe Industries"
    assert data.properties["city"] is None  # requested but never set
    assert "firstname" not in data.properties
    by_email = api.get_by_id("JANE@example.org", id_property="email")
    assert by_email.id == created.id and by_email.properties["firstname"] == "Jane"


def test_get_missing_record_is_404_object_not_found(hubspot_sdk):
    with pytest.raises(NotFoundException) as exc:
        hubspot_sdk.crm.contacts.basic_api.get_by_id("999999")
    assert error_of(exc)["category"] == "OBJECT_NOT_FOUND"
    with pytest.raises(NotFoundException):
        hubspot_sdk.crm.contacts.basic_api.get_by_id("nobody@example.org", id_property="email")


def test_lookup_by_a_non_unique_property_is_refused(hubspot_sdk):
    create_contact(hubspot_sdk, email="jane@example.org", firstname="Jane")
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.basic_api.get_by_id("Jane", id_property="firstname")
    assert exc.value.status == 400


def test_get_by_unique_property(hubspot, hubspot_sdk):
    hubspot.add_property("deals", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=True)
    deal = hubspot_sdk.crm.deals.basic_api.create(DealInput(properties={"dealname": "ABC12",
                                                                        "pretix_order_id": "ABC12"}))
    found = hubspot_sdk.crm.deals.basic_api.get_by_id("ABC12", id_property="pretix_order_id",
                                                      properties=["dealname"])
    assert found.id == deal.id and found.properties["dealname"] == "ABC12"


def test_update_answers_200_and_clears_with_empty_string(hubspot, hubspot_sdk):
    created = create_contact(hubspot_sdk, email="jane@example.org", firstname="Jane", company="Doe")
    api = hubspot_sdk.crm.contacts.basic_api
    data, status, _ = api.update_with_http_info(created.id, SimplePublicObjectInput(properties={
        "firstname": "Janet", "company": ""}))
    assert status == 200 and data.properties["firstname"] == "Janet"
    props = hubspot.get_record("contacts", created.id)["properties"]
    assert props["firstname"] == "Janet" and props["company"] == ""
    api.update("jane@example.org", SimplePublicObjectInput(properties={"lastname": "Doe"}), id_property="email")
    assert hubspot.get_record("contacts", created.id)["properties"]["lastname"] == "Doe"


def test_update_of_missing_record_is_404(hubspot_sdk):
    with pytest.raises(NotFoundException):
        hubspot_sdk.crm.contacts.basic_api.update("424242", SimplePublicObjectInput(properties={"firstname": "X"}))


def test_archive_answers_204_and_hides_the_record(hubspot, hubspot_sdk):
    created = create_contact(hubspot_sdk, email="jane@example.org")
    _, status, _ = hubspot_sdk.crm.contacts.basic_api.archive_with_http_info(created.id)
    assert status == 204
    with pytest.raises(NotFoundException):
        hubspot_sdk.crm.contacts.basic_api.get_by_id(created.id)
    assert hubspot.get_record("contacts", created.id)["archived"] is True
    assert hubspot_sdk.crm.contacts.basic_api.get_by_id(created.id, archived=True).archived is True
    # The address is free again.
    create_contact(hubspot_sdk, email="jane@example.org")


def test_duplicate_email_is_409_conflict_naming_the_existing_id(hubspot_sdk):
    first = create_contact(hubspot_sdk, email="jane@example.org")
    with pytest.raises(ApiException) as exc:
        create_contact(hubspot_sdk, email="JANE@EXAMPLE.ORG")
    assert exc.value.status == 409
    body = error_of(exc)
    assert body["category"] == "CONFLICT" and body["message"] == f"Contact already exists. Existing ID: {first.id}"
    assert body["status"] == "error" and body["correlationId"]

    second = create_contact(hubspot_sdk, email="john@example.org")
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.basic_api.update(second.id, SimplePublicObjectInput(properties={
            "email": "jane@example.org"}))
    assert exc.value.status == 409


def test_unique_value_property_is_enforced(hubspot, hubspot_sdk):
    hubspot.add_property("deals", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=True)
    first = hubspot_sdk.crm.deals.basic_api.create(DealInput(properties={"dealname": "A", "pretix_order_id": "X1"}))
    with pytest.raises(DealsApiException) as exc:
        hubspot_sdk.crm.deals.basic_api.create(DealInput(properties={"dealname": "B", "pretix_order_id": "X1"}))
    assert exc.value.status == 409
    assert error_of(exc)["message"].endswith(f"Existing ID: {first.id}")
    assert len(hubspot.records("deals")) == 1


@pytest.mark.parametrize("properties,name,code", [
    ({"email": "not-an-address"}, "email", "INVALID_EMAIL"),
    ({"email": "a@example.org", "shoe_size": "42"}, "shoe_size", "PROPERTY_DOESNT_EXIST"),
    ({"email": "a@example.org", "lifecyclestage": "Customer"}, "lifecyclestage", "INVALID_OPTION"),
    ({"email": "a@example.org", "hs_object_id": "5"}, "hs_object_id", "READ_ONLY_VALUE"),
    ({"email": "a@example.org", "createdate": "2027-01-01"}, "createdate", "READ_ONLY_VALUE"),
    ({"email": "a@example.org", "lifecyclestage": "customer "}, "lifecyclestage", "LEADING_TRAILING_WHITESPACE"),
    ({"email": "a@example.org", "hs_email_optout": "yes"}, "hs_email_optout", "INVALID_BOOLEAN"),
    ({"email": "a@example.org", "message": "x" * 65537}, "message", "MAX_LENGTH_EXCEEDED"),
])
def test_contact_validation_errors_name_the_property(hubspot, hubspot_sdk, properties, name, code):
    with pytest.raises(ApiException) as exc:
        create_contact(hubspot_sdk, **properties)
    assert exc.value.status == 400
    body = error_of(exc)
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR" and body["correlationId"]
    assert body["message"].startswith("Property values were not valid: ")
    assert json.loads(body["message"][len("Property values were not valid: "):])[0]["error"] == code
    assert [(e["code"], e["context"]["propertyName"]) for e in body["errors"]] == [(code, [name])]
    assert hubspot.records("contacts") == []


@pytest.mark.parametrize("properties,code", [
    ({"amount": "12,50"}, "INVALID_DECIMAL"),
    ({"amount": "twelve"}, "INVALID_INTEGER"),
    ({"amount": " 12"}, "LEADING_TRAILING_WHITESPACE"),
    ({"closedate": "next week"}, "INVALID_DATE"),
    ({"event_day": "2027-05-01T10:00:00Z"}, "INVALID_DATE"),
    ({"dealstage": "won"}, "INVALID_OPTION"),
])
def test_deal_validation_errors(hubspot, hubspot_sdk, properties, code):
    hubspot.add_property("deals", "event_day", "Event day", "date", "date")
    with pytest.raises(DealsApiException) as exc:
        hubspot_sdk.crm.deals.basic_api.create(DealInput(properties={"dealname": "D", **properties}))
    assert exc.value.status == 400
    assert error_of(exc)["errors"][0]["code"] == code


def test_deal_values_are_stored_as_hubspot_normalises_them(hubspot, hubspot_sdk):
    hubspot.add_property("deals", "event_day", "Event day", "date", "date")
    hubspot.add_property("deals", "ticket_types", "Ticket types", "enumeration", "checkbox",
                         options=["regular", "student", "vip"])
    deal = hubspot_sdk.crm.deals.basic_api.create(DealInput(properties={
        "dealname": "ABC12", "amount": "120.50", "closedate": "2027-05-01T12:30:00+02:00",
        "event_day": "1809129600000", "dealstage": "closedwon", "ticket_types": "regular;vip",
    }))
    props = hubspot.get_record("deals", deal.id)["properties"]
    assert props["amount"] == "120.50"
    assert props["closedate"] == "2027-05-01T10:30:00.000Z"
    assert props["event_day"] == "2027-05-01"
    assert props["pipeline"] == "default"  # HubSpot puts deals in the default pipeline unless told otherwise
    assert props["ticket_types"] == "regular;vip"
    with pytest.raises(DealsApiException):
        hubspot_sdk.crm.deals.basic_api.create(DealInput(properties={"dealname": "X", "ticket_types": "regular;vip2"}))


def test_deal_with_inline_association_to_a_contact(hubspot, hubspot_sdk):
    contact = create_contact(hubspot_sdk, email="jane@example.org")
    deal = hubspot_sdk.crm.deals.basic_api.create(DealInput(
        properties={"dealname": "ABC12"},
        associations=[{"to": {"id": contact.id},
                       "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}],
    ))
    assert hubspot.associations("deals", deal.id, "contacts") == [contact.id]
    assert hubspot.associations("contacts", contact.id, "deals") == [deal.id]
    read = hubspot_sdk.crm.contacts.basic_api.get_by_id(contact.id, associations=["deals"])
    assert [a.id for a in read.associations["deals"].results] == [deal.id]
    assert read.associations["deals"].results[0].type == "contact_to_deal"


def test_inline_association_to_a_missing_record_fails(hubspot, hubspot_sdk):
    with pytest.raises(DealsApiException) as exc:
        hubspot_sdk.crm.deals.basic_api.create(DealInput(
            properties={"dealname": "ABC12"},
            associations=[{"to": {"id": "1"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                         "associationTypeId": 3}]}]))
    assert exc.value.status == 400
    assert hubspot.records("deals") == []


def test_get_page_pages_through_records(hubspot, hubspot_sdk):
    ids = [hubspot.add_record("contacts", {"email": f"p{i}@example.org"}) for i in range(5)]
    api = hubspot_sdk.crm.contacts.basic_api
    first = api.get_page(limit=3, properties=["email"])
    assert [r.id for r in first.results] == ids[:3]
    second = api.get_page(limit=3, after=first.paging.next.after)
    assert [r.id for r in second.results] == ids[3:] and second.paging is None
    assert [r.id for r in hubspot_sdk.crm.contacts.get_all()] == ids


def test_generic_objects_api_accepts_type_ids(hubspot, hubspot_sdk):
    data, status, _ = hubspot_sdk.crm.objects.basic_api.create_with_http_info(
        "0-1", ObjectInput(properties={"email": "jane@example.org"}))
    assert status == 201
    assert hubspot_sdk.crm.objects.basic_api.get_by_id("contacts", data.id).properties["email"] == "jane@example.org"
    assert hubspot.get_record("contacts", data.id) is not None


def test_add_record_seeds_an_existing_record(hubspot, hubspot_sdk):
    record_id = hubspot.add_record("contacts", {"email": "seeded@example.org", "firstname": "Seed"})
    assert hubspot_sdk.crm.contacts.basic_api.get_by_id(record_id, properties=["firstname"]).properties[
        "firstname"] == "Seed"
    with pytest.raises(ApiException) as exc:
        create_contact(hubspot_sdk, email="seeded@example.org")
    assert exc.value.status == 409
