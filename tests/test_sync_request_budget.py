"""
The planner reads from HubSpot only what a decision needs: where every row of a mapping overwrites and a new record
is upserted on a key HubSpot keeps unique, records are upserted without a lookup, and that never duplicates a record.
"""
import pytest
from django_scopes import scopes_disabled

from pretix_hubspot.models import ObjectMapping
from testbed.orders import make_order
from testbed.sync import (
    attendee_mapping, contacts_mapping, deals_mapping, enqueue, prop, queue_rows, records_by, results, run_queue,
)

pytestmark = pytest.mark.django_db

OBJECTS = "/crm/objects/2026-09/"
ASSOCIATIONS = "/crm/associations/2026-09/"


def requests_of(hubspot, run):
    before = len(hubspot.request_log)
    run()
    return ["{} {}".format(e["method"], e["path"]) for e in hubspot.request_log[before:]]


def sync_all_queued():
    run_queue()
    assert queue_rows() == []


def line_items_mapping(event, position):
    return ObjectMapping.objects.create(
        event=event, position=position, pretix_model="OrderPosition", external_object_type="line_items",
        pretix_id_field="ticket_id", external_id_field="pretix_order_id",
        property_mappings=[prop("product", "name"), prop("ticket_price", "price")],
    )


def test_a_first_export_of_overwriting_mappings_takes_three_requests_per_chunk(sync_event, item, hubspot):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    with scopes_disabled():
        orders = [make_order(sync_event, item, code=f"R{i:04d}", email=f"buyer{i}@example.org") for i in range(20)]
    for o in orders:
        enqueue(o)
    sent = requests_of(hubspot, sync_all_queued)
    assert [r for r in sent if not r.startswith("GET /crm/properties/")] == [
        "POST " + OBJECTS + "contacts/batch/upsert",
        "POST " + OBJECTS + "deals/batch/upsert",
        "POST " + ASSOCIATIONS + "deals/contacts/batch/associate/default",
    ]
    assert len(hubspot.records("contacts")) == 20 and len(hubspot.records("deals")) == 20
    [deal] = records_by(hubspot, "deals", "dealname", "PYCONF-R0007")
    [contact] = records_by(hubspot, "contacts", "email", "buyer7@example.org")
    assert hubspot.associations("deals", deal["id"], "contacts") == [contact["id"]]

    # a re-sync reads the remembered records, and writes nothing where nothing changed
    for o in orders:
        enqueue(o)
    sent = requests_of(hubspot, sync_all_queued)
    assert sorted(r for r in sent if not r.startswith("GET /crm/properties/")) == [
        "POST " + OBJECTS + "contacts/batch/read", "POST " + OBJECTS + "deals/batch/read"]


def test_a_mode_that_depends_on_hubspots_value_still_reads_first(sync_event, order, hubspot):
    hubspot.add_record("contacts", {"email": "jane.doe@example.org", "firstname": "Janet"})
    contacts_mapping(sync_event, properties=[prop("email", "email"),
                                             prop("invoice_address_name_given_name", "firstname", "if_empty")])
    enqueue(order)
    sent = requests_of(hubspot, sync_all_queued)
    assert "POST " + OBJECTS + "contacts/batch/read" in sent
    [contact] = hubspot.records("contacts")
    assert contact["properties"]["firstname"] == "Janet"


def test_an_upsert_by_email_that_meets_the_identifier_of_another_contact_writes_into_that_contact(
        sync_event, order, hubspot):
    # The contact of this order is in HubSpot already, under an e-mail address the order no longer has.
    existing = hubspot.add_record("contacts", {"email": "old.address@example.org", "pretix_order_id": "PYCONF-ABC12"})
    contacts_mapping(sync_event)
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    [contact] = hubspot.records("contacts")
    assert contact["id"] == str(existing)
    assert contact["properties"]["email"] == "jane.doe@example.org"
    assert results(order)[0].sync_info["object_id"] == str(existing)


def test_an_overwrite_without_a_value_clears_a_contact_the_upsert_meets(sync_event, item, hubspot):
    # As it would after a lookup: "Overwrite" with no value in pretix empties the property.
    hubspot.add_record("contacts", {"email": "jane.doe@example.org", "company": "Old Company"})
    contacts_mapping(sync_event)
    with scopes_disabled():
        order = make_order(sync_event, item, code="NOCO1", email="jane.doe@example.org",
                           invoice={"city": "Berlin", "country": "DE"})
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    [contact] = hubspot.records("contacts")
    assert not contact["properties"].get("company")


def test_new_line_items_are_created_with_their_deal(sync_event, order, hubspot):
    hubspot.add_property("line_items", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=True)
    deals_mapping(sync_event, position=0)
    line_items_mapping(sync_event, position=1)
    enqueue(order)
    sent = requests_of(hubspot, run_queue)
    assert queue_rows(order) == []
    assert "POST " + OBJECTS + "line_items/batch/create" in sent
    assert not [r for r in sent if r.startswith("POST " + ASSOCIATIONS + "line_items")]
    [deal] = hubspot.records("deals")
    line_items = hubspot.records("line_items")
    assert len(line_items) == 2
    assert sorted(hubspot.associations("deals", deal["id"], "line_items")) == sorted(li["id"] for li in line_items)
    assert all(r.sync_info["associated_deal"] == deal["id"] for r in results(order) if r.external_object_type
               == "line_items")


def test_a_line_item_hubspot_has_already_is_written_into_and_associated_not_doubled(sync_event, order, hubspot):
    hubspot.add_property("line_items", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=True)
    # e.g. written by an attempt whose answer got lost and whose result was never stored
    existing = hubspot.add_record("line_items", {"name": "Old", "pretix_order_id": "ABC12-1", "quantity": "3"})
    deals_mapping(sync_event, position=0)
    line_items_mapping(sync_event, position=1)
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    [deal] = hubspot.records("deals")
    line_items = hubspot.records("line_items")
    assert len(line_items) == 2
    assert str(existing) in [li["id"] for li in line_items]
    assert hubspot.get_record("line_items", existing)["properties"]["quantity"] == "3"  # "one" fills new ones only
    assert hubspot.associations("line_items", str(existing), "deals") == [deal["id"]]


def test_buyer_and_attendees_are_associated_with_the_deal_in_one_request(sync_event, order, hubspot):
    contacts_mapping(sync_event, position=0)
    deals_mapping(sync_event, position=1)
    attendee_mapping(sync_event, position=2)  # attendee → deal, the other way round than deal → buyer
    enqueue(order)
    sent = requests_of(hubspot, run_queue)
    assert queue_rows(order) == []
    assert [r for r in sent if r.startswith("POST " + ASSOCIATIONS)] == [
        "POST " + ASSOCIATIONS + "deals/contacts/batch/associate/default"]
    [deal] = hubspot.records("deals")
    [jane] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    [john] = records_by(hubspot, "contacts", "email", "john.smith@example.org")
    # Jane bought and attends: one association, asked for once
    assert sorted(hubspot.associations("deals", deal["id"], "contacts")) == sorted([jane["id"], john["id"]])
    assert hubspot.associations("contacts", john["id"], "deals") == [deal["id"]]
