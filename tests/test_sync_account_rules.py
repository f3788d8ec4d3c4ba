"""
HubSpot 2026-09 enforces an account's own rules on API writes: a property required under a condition, a required
field of the create-record form, the user's "Edit associations" permission. Each is a configuration problem that
names the rule and the mapping, concerns only the records that break it, and is never retried as temporary.
"""
import json

import pytest
from django_scopes import scopes_disabled
from pretix.base.settings import GlobalSettingsObject

from testbed.orders import make_order
from testbed.sync import contacts_mapping, deals_mapping, enqueue, log_actions, prop, queue_rows, records_by, run_queue

pytestmark = pytest.mark.django_db

STAGE_BY_STATUS = json.dumps({"p": "closedwon", "n": "appointmentscheduled", "c": "closedlost", "e": "closedlost"})


def failure(order):
    entries = [(a, d) for a, d in log_actions(order) if a.startswith("pretix.event.order.data_sync.failed")]
    return entries[-1] if entries else (None, None)


def deals_with_stage(event):
    return deals_mapping(event, properties=[
        prop("event_order_code", "dealname"), prop("order_total", "amount"),
        prop("order_status", "dealstage", value_map=STAGE_BY_STATUS),
    ])


def test_conditionally_required_property_is_a_configuration_error_naming_rule_and_mapping(sync_event, order,
                                                                                          hubspot):
    hubspot.require_property("deals", "closedate", when_property="dealstage", when_value="closedwon")
    contacts_mapping(sync_event)
    deals_with_stage(sync_event)
    enqueue(order)
    run_queue()

    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    action, data = failure(order)
    assert action == "pretix.event.order.data_sync.failed.config"
    message = " ".join(data["error"])
    assert "HubSpot requires 'Close Date' when 'Deal Stage' is 'Closed Won' in this account: map a pretix field " \
           "onto it" in message
    assert "ABC12" in message and "Order → Deals" in message
    assert hubspot.records("deals") == []
    # the contact of the same order is not concerned by the deal's rule
    assert len(records_by(hubspot, "contacts", "email", "jane.doe@example.org")) == 1


def test_mapping_the_required_property_fixes_it(sync_event, order, hubspot):
    hubspot.require_property("deals", "closedate", when_property="dealstage", when_value="closedwon")
    mapping = deals_with_stage(sync_event)
    enqueue(order)
    run_queue()
    assert queue_rows(order)[0].need_manual_retry == "config"

    with scopes_disabled():
        mapping.property_mappings = mapping.property_mappings + [prop("order_date", "closedate")]
        mapping.save()
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    [deal] = hubspot.records("deals")
    assert deal["properties"]["dealstage"] == "closedwon" and deal["properties"]["closedate"]


def test_only_the_orders_that_break_the_rule_fail(sync_event, event, item, hubspot):
    hubspot.require_property("deals", "closedate", when_property="dealstage", when_value="closedwon")
    deals_with_stage(sync_event)
    with scopes_disabled():
        paid = make_order(event, item, code="PAID1", email="paid@example.org")
        pending = [make_order(event, item, code=f"PEND{i}", email=f"p{i}@example.org", status="n") for i in range(3)]
    for o in [paid] + pending:
        enqueue(o)
    run_queue()

    [row] = queue_rows()
    assert row.order_id == paid.pk and row.need_manual_retry == "config"
    assert sorted(d["properties"]["dealname"] for d in hubspot.records("deals")) == ["PYCONF-PEND0", "PYCONF-PEND1", "PYCONF-PEND2"]


def test_required_field_of_the_create_form(sync_event, order, hubspot):
    hubspot.require_property("contacts", "phone")
    contacts_mapping(sync_event)
    enqueue(order)
    run_queue()

    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    message = " ".join(failure(order)[1]["error"])
    assert "HubSpot requires 'Phone Number' for new records in this account" in message
    assert "Order → Contacts" in message


def test_rules_are_not_enforced_on_2026_03(sync_event, order, hubspot):
    GlobalSettingsObject().settings.set("hubspot_api_version", "2026-03")
    hubspot.require_property("deals", "closedate", when_property="dealstage", when_value="closedwon")
    deals_with_stage(sync_event)
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("deals")) == 1


def test_missing_edit_associations_permission_is_a_configuration_error(sync_event, order, hubspot):
    hubspot.deny_association_edits()
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()

    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    message = " ".join(failure(order)[1]["error"])
    assert '"Edit associations" permission' in message and "Order → Deals" in message
    [deal] = hubspot.records("deals")
    assert hubspot.associations("deals", deal["id"], "contacts") == []
    # one request for the association, not one per halved batch
    assert hubspot.request_count("POST", "/crm/associations/2026-09/deals/contacts/batch/associate/default") == 1


def test_the_rule_is_named_in_the_events_language(sync_event, order, hubspot):
    sync_event.settings.locale = "de"
    hubspot.require_property("deals", "closedate", when_property="dealstage", when_value="closedwon")
    deals_with_stage(sync_event)
    enqueue(order)
    run_queue()
    message = " ".join(failure(order)[1]["error"])
    assert "HubSpot verlangt in diesem Account 'Close Date', wenn 'Deal Stage' den Wert 'Closed Won' hat" in message
