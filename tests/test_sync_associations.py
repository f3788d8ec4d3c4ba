"""The association setup in the transfer: labelled and default associations between the records of a mapping and
those of earlier mappings, written once, removed only where the organizer asks for it; and the upgrade keeping the
associations made before the setup existed."""
import importlib

import pytest
from django.apps import apps as django_apps
from django_scopes import scopes_disabled
from pretix.base.models import OrderPosition

from pretix_hubspot.models import ObjectMapping
from testbed.orders import make_order
from testbed.sync import (
    attendee_mapping, contacts_mapping, deals_mapping, enqueue, prop, records_by, results, run_queue,
)

pytestmark = pytest.mark.django_db

migration = importlib.import_module("pretix_hubspot.migrations.0006_associations")


def row(to_mapping, type_id=None, category="", label="", remove_stale=False):
    return {"to_mapping": to_mapping.pk, "category": category, "type_id": type_id, "label": label,
            "remove_stale": remove_stale}


def set_rows(mapping, *rows):
    with scopes_disabled():
        mapping.associations = list(rows)
        mapping.save()


def plain_mapping(event, position, pretix_model, object_type, identifier, properties):
    with scopes_disabled():
        return ObjectMapping.objects.create(
            event=event, position=position, pretix_model=pretix_model, external_object_type=object_type,
            pretix_id_field=identifier[0], external_id_field=identifier[1], property_mappings=properties)


def association_requests(hubspot):
    return [e["path"] for e in hubspot.request_log if e["path"].startswith("/crm/associations/")]


def test_upgrade_writes_todays_associations_as_rows(sync_event, order, hubspot):
    buyer = plain_mapping(sync_event, 0, "Order", "contacts", ("event_order_code", "pretix_order_id"),
                          [prop("email", "email")])
    deals = plain_mapping(sync_event, 1, "Order", "deals", ("event_order_code", "pretix_order_id"),
                          [prop("event_order_code", "dealname")])
    attendees = plain_mapping(sync_event, 2, "OrderPosition", "contacts", ("attendee_email", "email"),
                              [prop("attendee_name_given_name", "firstname")])
    with scopes_disabled():
        migration.write_implicit_associations(django_apps, None)
        buyer.refresh_from_db(), deals.refresh_from_db(), attendees.refresh_from_db()
    assert buyer.associations == []
    assert deals.associations == [row(buyer)]
    assert attendees.associations == [row(deals)]
    with scopes_disabled():
        migration.write_implicit_associations(django_apps, None)  # running it again adds nothing
        deals.refresh_from_db()
    assert deals.associations == [row(buyer)]

    enqueue(order)
    run_queue()
    # As before the setup existed: the deal with the buyer and with both attendees (the buyer is one of them).
    [deal] = hubspot.records("deals")
    contacts = {c["properties"]["email"]: c["id"] for c in hubspot.records("contacts")}
    assert sorted(hubspot.associations("deals", deal["id"], "contacts")) == sorted(contacts.values())
    assert hubspot.labelled_associations("deals", deal["id"], "contacts") == {i: [None] for i in contacts.values()}


def test_primary_company_and_custom_attendee_label(sync_event, order, hubspot):
    hubspot.set_tier("professional")
    attendee_type, attended_by_type = hubspot.add_association_label("contacts", "deals", "Attendee")
    hubspot.add_property("companies", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=True)
    buyer = plain_mapping(sync_event, 0, "Order", "contacts", ("event_order_code", "pretix_order_id"),
                          [prop("email", "email")])
    companies = plain_mapping(sync_event, 1, "Order", "companies", ("invoice_address_company", "pretix_order_id"),
                              [prop("invoice_address_company", "name")])
    deals = plain_mapping(sync_event, 2, "Order", "deals", ("event_order_code", "pretix_order_id"),
                          [prop("event_order_code", "dealname")])
    attendees = plain_mapping(sync_event, 3, "OrderPosition", "contacts", ("attendee_email", "email"),
                              [prop("attendee_name_given_name", "firstname")])
    set_rows(deals, row(companies, 5, "HUBSPOT_DEFINED", "Primary"), row(buyer))
    set_rows(attendees, row(deals, attendee_type, "USER_DEFINED", "Attendee"))
    enqueue(order)
    run_queue()

    [deal] = hubspot.records("deals")
    [company] = hubspot.records("companies")
    assert hubspot.labelled_associations("deals", deal["id"], "companies") == {company["id"]: [None, "Primary"]}
    [jane] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    [john] = records_by(hubspot, "contacts", "email", "john.smith@example.org")
    assert hubspot.labelled_associations("contacts", john["id"], "deals") == {deal["id"]: [None, "Attendee"]}
    # Jane bought and attends: the deal's buyer association (default) and her attendee label.
    assert hubspot.labelled_associations("contacts", jane["id"], "deals") == {deal["id"]: [None, "Attendee"]}
    # One request per pair of mappings and type: deal → company, deal → contact, contact → deal.
    writes = [p for p in association_requests(hubspot) if p.endswith(("/batch/create", "/batch/associate/default"))]
    assert len(writes) == 3
    expected = {f"{companies.pk}:5": [company["id"]], f"{buyer.pk}:default": [jane["id"]]}
    assert results(order)[2].sync_info["associations"] == expected


def test_resync_writes_no_association_twice(sync_event, order, hubspot):
    contacts_mapping(sync_event, position=0)
    attendee_mapping(sync_event, position=1)
    deals_mapping(sync_event, position=2)
    enqueue(order)
    run_queue()
    assert association_requests(hubspot)
    hubspot.request_log.clear()

    enqueue(order)
    run_queue()
    assert association_requests(hubspot) == []


def split_off_last_position(order, item):
    """pretix's "split order": the last position (John's) moves into an order of its own."""
    with scopes_disabled():
        other = make_order(order.event, item, code="SPL17", email="john.smith@example.org", attendees=[])
        position = order.all_positions.order_by("positionid").last()
        OrderPosition.all.filter(pk=position.pk).update(order=other)


@pytest.mark.parametrize("remove_stale", [False, True])
def test_stale_default_association_is_removed_only_when_ticked(sync_event, order, item, hubspot, remove_stale):
    attendees = attendee_mapping(sync_event, position=0)
    deals = deals_mapping(sync_event, position=1)
    set_rows(deals, row(attendees, remove_stale=remove_stale))
    enqueue(order)
    run_queue()
    [deal] = records_by(hubspot, "deals", "dealname", "PYCONF-ABC12")
    [jane] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    [john] = records_by(hubspot, "contacts", "email", "john.smith@example.org")
    assert sorted(hubspot.associations("deals", deal["id"], "contacts")) == sorted([jane["id"], john["id"]])

    split_off_last_position(order, item)
    enqueue(order)
    run_queue()
    expected = [jane["id"]] if remove_stale else [jane["id"], john["id"]]
    assert sorted(hubspot.associations("deals", deal["id"], "contacts")) == sorted(expected)
    assert sorted(results(order)[-1].sync_info["associations"][f"{attendees.pk}:default"]) == sorted(expected)
    archives = [p for p in association_requests(hubspot) if p.endswith("/batch/archive")]
    assert archives == (["/crm/associations/2026-09/deals/contacts/batch/archive"] if remove_stale else [])


def test_stale_label_is_removed_when_ticked(sync_event, order, item, hubspot):
    __, attended_by = hubspot.add_association_label("contacts", "deals", "Attendee", inverse_label="Attended by")
    attendees = attendee_mapping(sync_event, position=0)
    deals = deals_mapping(sync_event, position=1)
    set_rows(deals, row(attendees, attended_by, "USER_DEFINED", "Attended by", remove_stale=True))
    enqueue(order)
    run_queue()
    [deal] = records_by(hubspot, "deals", "dealname", "PYCONF-ABC12")
    [john] = records_by(hubspot, "contacts", "email", "john.smith@example.org")
    assert hubspot.labelled_associations("deals", deal["id"], "contacts")[john["id"]] == [None, "Attended by"]

    split_off_last_position(order, item)
    enqueue(order)
    run_queue()
    # Only the label goes: HubSpot keeps the records associated by the unlabelled type.
    assert hubspot.labelled_associations("deals", deal["id"], "contacts")[john["id"]] == [None]
    assert [p for p in association_requests(hubspot) if "archive" in p] == [
        "/crm/associations/2026-09/deals/contacts/batch/labels/archive"]
