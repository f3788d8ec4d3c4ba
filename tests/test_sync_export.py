"""Orders into HubSpot: finding records, modes, de-duplication, associations, idempotency."""
import pytest
from django_scopes import scopes_disabled
from pretix.base.models import Order

from testbed.orders import make_order
from testbed.sync import (
    attendee_mapping, contacts_mapping, deals_mapping, enqueue, log_actions, prop, queue_rows, records_by, results,
    run_queue,
)

pytestmark = pytest.mark.django_db


def test_first_export_creates_contact_deal_and_association(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    [contact] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    assert contact["properties"]["pretix_order_id"] == "PYCONF-ABC12"
    assert contact["properties"]["firstname"] == "Jane"
    assert contact["properties"]["lastname"] == "Doe"
    assert contact["properties"]["company"] == "Doe Industries"
    [deal] = records_by(hubspot, "deals", "pretix_order_id", "PYCONF-ABC12")
    assert deal["properties"]["dealname"] == "PYCONF-ABC12"
    assert deal["properties"]["amount"] == "240"
    assert deal["properties"]["closedate"].endswith("Z")
    assert hubspot.associations("deals", deal["id"], "contacts") == [contact["id"]]

    contact_result, deal_result = results(order)
    assert contact_result.sync_info["object_id"] == contact["id"]
    assert contact_result.external_link_href == (
        f"https://app.hubspot.com/contacts/{hubspot.default_portal_id}/record/0-1/{contact['id']}")
    # Only the names are stored; the labels are built in the reader's language (tests/test_record_links.py).
    assert contact_result.external_link_display_name == "Jane Doe"
    assert deal_result.external_link_display_name == "PYCONF-ABC12"
    assert deal_result.external_link_href.endswith(f"/record/0-3/{deal['id']}")
    assert [a for a, d in log_actions(order)] == ["pretix.event.order.data_sync.success"]


def test_repeat_sync_writes_nothing_and_creates_no_duplicates(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()
    writes_before = hubspot.request_count("POST") - hubspot.request_count("POST", "/crm/objects/2026-09/contacts/batch/read") \
        - hubspot.request_count("POST", "/crm/objects/2026-09/deals/batch/read")

    enqueue(order)
    run_queue()

    assert len(hubspot.records("contacts")) == 1
    assert len(hubspot.records("deals")) == 1
    writes_after = hubspot.request_count("POST") - hubspot.request_count("POST", "/crm/objects/2026-09/contacts/batch/read") \
        - hubspot.request_count("POST", "/crm/objects/2026-09/deals/batch/read")
    assert writes_after == writes_before, "a repeat sync of unchanged data must not write"
    assert all(r.sync_info["action"] == "nothing_to_do" for r in results(order))
    # "nothing to do" does not add a second success entry to the order log
    assert [a for a, d in log_actions(order)] == ["pretix.event.order.data_sync.success"]


def test_finds_record_by_remembered_id_when_identifier_and_email_no_longer_match(sync_event, order, hubspot):
    mapping = contacts_mapping(sync_event)
    enqueue(order)
    run_queue()
    [contact] = hubspot.records("contacts")
    # Neither the identifier value nor the e-mail lead to the contact any more: only the remembered ID does.
    mapping.pretix_id_field = "order_code"
    mapping.save()
    with scopes_disabled():
        Order.objects.filter(pk=order.pk).update(email="jane@new-domain.example")
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("contacts")) == 1
    props = hubspot.get_record("contacts", contact["id"])["properties"]
    assert props["email"] == "jane@new-domain.example"
    assert props["pretix_order_id"] == "ABC12"


def test_finds_existing_record_by_identifier_property(sync_event, order, hubspot):
    existing = hubspot.add_record("deals", {"dealname": "Imported earlier", "pretix_order_id": "PYCONF-ABC12"})
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()
    assert [r["id"] for r in hubspot.records("deals")] == [existing]
    assert hubspot.get_record("deals", existing)["properties"]["dealname"] == "PYCONF-ABC12"
    assert results(order)[0].sync_info["action"] == "update"


def test_finds_existing_contact_by_email(sync_event, order, hubspot):
    existing = hubspot.add_record("contacts", {"email": "Jane.Doe@example.org", "firstname": "J."})
    contacts_mapping(sync_event)
    enqueue(order)
    run_queue()
    assert [r["id"] for r in hubspot.records("contacts")] == [existing]
    props = hubspot.get_record("contacts", existing)["properties"]
    assert props["firstname"] == "Jane"
    assert props["pretix_order_id"] == "PYCONF-ABC12"


def test_two_orders_with_one_email_in_one_run_make_one_contact(sync_event, event, item, hubspot):
    contacts_mapping(sync_event)
    with scopes_disabled():
        first = make_order(event, item, code="AAA11", email="same@example.org", attendees=[("Ann First", None)])
        second = make_order(event, item, code="BBB22", email="same@example.org", attendees=[("Ann First", None)])
    enqueue(first)
    enqueue(second)
    run_queue()
    assert queue_rows() == []
    [contact] = hubspot.records("contacts")
    assert contact["properties"]["email"] == "same@example.org"
    assert results(first)[0].sync_info["object_id"] == results(second)[0].sync_info["object_id"] == contact["id"]


def test_second_order_from_same_email_later_updates_the_contact(sync_event, event, item, hubspot):
    contacts_mapping(sync_event, properties=[prop("email", "email"), prop("event_order_code", "message", "append")])
    with scopes_disabled():
        first = make_order(event, item, code="AAA11", email="same@example.org")
    enqueue(first)
    run_queue()
    with scopes_disabled():
        second = make_order(event, item, code="BBB22", email="same@example.org")
    enqueue(second)
    run_queue()
    [contact] = hubspot.records("contacts")
    assert contact["properties"]["message"] == "PYCONF-AAA11;PYCONF-BBB22"


def test_attendees_become_contacts_associated_with_the_deal(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    attendee_mapping(sync_event)
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()
    jane = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    john = records_by(hubspot, "contacts", "email", "john.smith@example.org")
    assert len(jane) == 1 and len(john) == 1, "the buyer who is also an attendee is one contact"
    assert john[0]["properties"]["firstname"] == "John"
    [deal] = hubspot.records("deals")
    assert sorted(hubspot.associations("deals", deal["id"], "contacts")) == sorted([jane[0]["id"], john[0]["id"]])
    # a re-sync does not associate again
    associate_calls = hubspot.request_count("POST", "/crm/associations/2026-09")
    enqueue(order)
    run_queue()
    assert hubspot.request_count("POST", "/crm/associations/2026-09") == associate_calls


@pytest.mark.parametrize("mode,existing,expected", [
    ("overwrite", "Old Corp", "Doe Industries"),
    ("overwrite", None, "Doe Industries"),
    ("if_new", "Old Corp", "Old Corp"),
    ("if_new", None, None),  # an existing record without the value: "Fill if new" does not touch it
    ("if_empty", "Old Corp", "Old Corp"),
    ("if_empty", None, "Doe Industries"),
    ("append", "Old Corp", "Old Corp;Doe Industries"),
    ("append", None, "Doe Industries"),
])
def test_modes_on_existing_records(sync_event, order, hubspot, mode, existing, expected):
    props = {"email": "jane.doe@example.org"}
    if existing:
        props["company"] = existing
    record_id = hubspot.add_record("contacts", props)
    contacts_mapping(sync_event, properties=[prop("email", "email"), prop("invoice_address_company", "company", mode)])
    enqueue(order)
    run_queue()
    assert hubspot.get_record("contacts", record_id)["properties"].get("company") == expected
    assert len(hubspot.records("contacts")) == 1


@pytest.mark.parametrize("mode", ["overwrite", "if_new", "if_empty", "append"])
def test_modes_on_new_records(sync_event, order, hubspot, mode):
    contacts_mapping(sync_event, properties=[prop("email", "email"), prop("invoice_address_company", "company", mode)])
    enqueue(order)
    run_queue()
    [contact] = hubspot.records("contacts")
    assert contact["properties"]["company"] == "Doe Industries"


def test_append_does_not_repeat_a_value(sync_event, order, hubspot):
    record_id = hubspot.add_record("contacts", {"email": "jane.doe@example.org", "company": "Doe Industries;X"})
    contacts_mapping(sync_event, properties=[prop("email", "email"), prop("invoice_address_company", "company", "append")])
    enqueue(order)
    run_queue()
    assert hubspot.get_record("contacts", record_id)["properties"]["company"] == "Doe Industries;X"
    enqueue(order)
    run_queue()
    assert hubspot.get_record("contacts", record_id)["properties"]["company"] == "Doe Industries;X"
    assert results(order)[0].sync_info["action"] == "nothing_to_do"


def test_lost_response_on_upsert_creates_no_duplicate(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    hubspot.fail_next(1, "lost_response", path_prefix="/crm/objects/2026-09/deals/batch/upsert")
    enqueue(order)
    run_queue()
    assert len(hubspot.records("deals")) == 1
    assert len(hubspot.records("contacts")) == 1
    assert queue_rows(order) == []


def test_lost_response_failing_the_run_is_recovered_by_the_next_attempt(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    hubspot.fail_next(10, "lost_response", path_prefix="/crm/objects/2026-09/contacts/batch/upsert")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.failed_attempts == 1 and row.need_manual_retry is None
    with scopes_disabled():
        type(row).objects.filter(pk=row.pk).update(not_before=row.triggered)
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("contacts")) == 1


def test_values_are_converted_for_hubspot(sync_event, event, item, hubspot):
    hubspot.add_property("deals", "event_start", "Event start", "date", "date")
    hubspot.add_property("deals", "is_admission", "Admission", "bool", "booleancheckbox")
    hubspot.add_property("deals", "status_text", "Status", "enumeration", "checkbox",
                         options=["n", "p", "e", "c"])
    hubspot.add_property("deals", "long_text", "Long", "string", "textarea")
    from pretix_hubspot.models import ObjectMapping
    ObjectMapping.objects.create(
        event=event, position=0, pretix_model="OrderPosition", external_object_type="deals",
        pretix_id_field="ticket_id", external_id_field="pretix_order_id",
        property_mappings=[prop("event_date_from", "event_start"), prop("product_is_admission", "is_admission"),
                           prop("ticket_status", "status_text"), prop("ticket_price", "amount"),
                           prop("question_JOBTITLE", "long_text")],
    )
    from pretix.base.models import Question
    with scopes_disabled():
        q = Question.objects.create(event=event, question="Job", type=Question.TYPE_TEXT, identifier="JOBTITLE")
        q.items.add(item)
        order = make_order(event, item, code="VAL11", email="v@example.org", attendees=[("Val Ue", None)],
                           question=q, answer="  " + "x" * 70000 + "  ")
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    [deal] = hubspot.records("deals")
    p = deal["properties"]
    assert p["event_start"] == event.date_from.astimezone(event.timezone).date().isoformat()
    assert p["is_admission"] == "true"
    assert p["status_text"] == "p"
    assert p["amount"] == "120"
    assert len(p["long_text"]) == 65536
    assert results(order)[0].sync_info["truncated"] == ["long_text"]
