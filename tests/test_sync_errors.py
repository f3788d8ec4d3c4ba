"""Errors an organizer can act on: temporary, permanent, configuration; 429; token refresh; one bad order in a batch."""
import pytest
from django_scopes import scopes_disabled

from testbed.orders import make_order
from testbed.sync import (
    contacts_mapping, deals_mapping, enqueue, log_actions, prop, queue_rows, records_by, results, run_queue,
)

pytestmark = pytest.mark.django_db


def failure(order):
    entries = [(a, d) for a, d in log_actions(order) if a.startswith("pretix.event.order.data_sync.failed")]
    return entries[-1] if entries else (None, None)


def test_temporary_error_is_retried_later_with_backoff(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    hubspot.fail_next(20, 503, path_prefix="/crm/objects/2026-09/contacts/batch")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.failed_attempts == 1
    assert row.need_manual_retry is None
    assert not row.in_flight
    assert row.not_before > row.triggered
    assert hubspot.records("contacts") == []


def test_temporary_5xx_is_retried_within_the_run(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    hubspot.fail_next(1, 502, path_prefix="/crm/objects/2026-09/contacts/batch/upsert")
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("contacts")) == 1


def test_timeout_is_a_temporary_error(sync_event, order, hubspot, settings):
    from pretix.base.settings import GlobalSettingsObject
    GlobalSettingsObject().settings.set("hubspot_timeout", "0.5")
    contacts_mapping(sync_event)
    hubspot.fail_next(20, "timeout", path_prefix="/crm/objects/2026-09/contacts/batch/upsert")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.failed_attempts == 1 and row.need_manual_retry is None


def test_invalid_value_is_a_permanent_error_naming_order_mapping_and_field(sync_event, order, hubspot):
    deals_mapping(sync_event, properties=[prop("event_order_code", "dealname"), prop("order_code", "dealstage")])
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "permanent"
    action, data = failure(order)
    assert action == "pretix.event.order.data_sync.failed.permanent"
    message = " ".join(data["error"])
    assert "ABC12" in message
    assert "Order → Deals" in message
    assert "dealstage" in message
    assert "ABC12 was not one of the allowed options" in message
    assert "Bearer" not in data["full_message"] and "access_token" not in data["full_message"]


def test_one_invalid_email_in_a_batch_fails_only_that_order(sync_event, event, item, hubspot):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    with scopes_disabled():
        orders = [make_order(event, item, code=f"GOOD{i}", email=f"buyer{i}@example.org") for i in range(5)]
        bad = make_order(event, item, code="BAD11", email="not-an-email@")
        orders.insert(2, bad)
    for o in orders:
        enqueue(o)
    run_queue()
    [row] = queue_rows()
    assert row.order_id == bad.pk
    assert row.need_manual_retry == "permanent"
    for o in orders:
        if o != bad:
            assert len(records_by(hubspot, "contacts", "email", o.email)) == 1
    action, data = failure(bad)
    message = " ".join(data["error"])
    assert "BAD11" in message and "email" in message.lower()
    # the bad order's deal was still written; only its contact was rejected
    assert len(hubspot.records("deals")) == 6


def test_deleted_property_is_a_configuration_error(sync_event, order, hubspot):
    contacts_mapping(sync_event, properties=[prop("email", "email"), prop("invoice_address_company", "company")])
    hubspot.delete_property("contacts", "company")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    message = " ".join(failure(order)[1]["error"])
    assert "company" in message and "Settings → HubSpot" in message


def test_mapping_without_identifier_is_a_configuration_error_naming_the_mapping(sync_event, order, hubspot):
    # Saved on the settings page ("Order → Contacts", Save) but never edited: no identifier line yet.
    from pretix_hubspot.models import ObjectMapping
    with scopes_disabled():
        ObjectMapping.objects.create(event=sync_event, pretix_model="Order", external_object_type="contacts")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    message = " ".join(failure(order)[1]["error"])
    assert "Order → Contacts" in message and "no identifier" in message and "Settings → HubSpot" in message
    assert hubspot.records("contacts") == []


def test_missing_scope_is_a_configuration_error(sync_event, order, hubspot):
    deals_mapping(sync_event)
    hubspot.remove_scope(hubspot.default_portal_id, "crm.objects.deals.write")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    assert "reconnect" in " ".join(failure(order)[1]["error"]).lower()


def test_revoked_connection_makes_orders_wait_for_a_reconnect(sync_event, order, hubspot, connection):
    contacts_mapping(sync_event)
    hubspot.revoke_refresh_token(connection.refresh_token)
    hubspot.expire_access_tokens()
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry is None and row.failed_attempts == 0
    [(action, data)] = [(a, d) for a, d in log_actions(order) if a.startswith("pretix_hubspot.sync.")]
    assert action == "pretix_hubspot.sync.waiting_for_reconnect"
    assert connection.refresh_token not in str(data) and connection.access_token not in str(data)


def test_token_refresh_in_the_middle_of_a_run(sync_event, order, hubspot, connection):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    # HubSpot no longer accepts the access token we hold (401 EXPIRED_AUTHENTICATION) although it looks valid to us.
    enqueue(order)
    old_token = connection.access_token
    hubspot.expire_access_tokens()
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("contacts")) == 1 and len(hubspot.records("deals")) == 1
    connection.refresh_from_db()
    assert connection.access_token != old_token


def test_rate_limit_429_waits_and_is_not_a_failed_attempt(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    hubspot.fail_next(2, 429, path_prefix="/crm/objects/2026-09/contacts/batch/upsert")
    enqueue(order)
    run_queue()
    assert queue_rows(order) == []
    assert len(hubspot.records("contacts")) == 1


def test_rate_limit_longer_than_a_run_reschedules_without_counting(sync_event, order, hubspot, monkeypatch):
    from pretix_hubspot.hubspot_api.client import HubSpotApi
    monkeypatch.setattr(HubSpotApi, "max_rate_limit_wait", 0)
    contacts_mapping(sync_event)
    hubspot.fail_next(5, 429, path_prefix="/crm/objects/2026-09/contacts/batch/upsert")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.failed_attempts == 0
    assert row.need_manual_retry is None
    assert row.not_before > row.triggered


def test_not_connected_event_is_a_configuration_error(event, order, hubspot_app):
    contacts_mapping(event)
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    assert "not connected" in " ".join(failure(order)[1]["error"])
    assert hubspot_app.request_count(path_prefix="/crm") == 0


def test_plugin_disabled_drops_the_queue_without_requests(sync_event, order, hubspot):
    contacts_mapping(sync_event)
    enqueue(order)
    sync_event.disable_plugin("pretix_hubspot")
    sync_event.save()
    run_queue()
    assert queue_rows(order) == []
    assert hubspot.request_count(path_prefix="/crm") == 0
    assert results(order) == []


def _due_again(order):
    from django.utils.timezone import now
    from pretix.base.models.datasync import OrderSyncQueue
    with scopes_disabled():
        OrderSyncQueue.objects.filter(order=order).update(not_before=now())


@pytest.mark.parametrize("identifier_unique", [True, False])
def test_record_id_is_remembered_when_the_association_fails(sync_event, order, hubspot, identifier_unique):
    contacts_mapping(sync_event)
    deals = deals_mapping(sync_event)
    if not identifier_unique:
        # A deal mapping saved before identifiers had to be unique: its deals are plain creates.
        with scopes_disabled():
            deals.external_id_field = "dealname"
            deals.property_mappings = [prop("order_total", "amount")]
            deals.save()
    hubspot.error_rate(503, 1.0, path_prefix="/crm/associations/2026-09")
    enqueue(order)
    run_queue()

    [row] = queue_rows(order)
    assert row.failed_attempts == 1 and row.need_manual_retry is None
    [deal] = hubspot.records("deals")
    contact_result, deal_result = results(order)
    assert deal_result.sync_info["object_id"] == deal["id"]  # remembered although the order failed
    assert not any(deal_result.sync_info["associations"].values())  # the association is not remembered as made

    hubspot.error_rate(503, 0, path_prefix="/crm/associations/2026-09")  # HubSpot works again
    _due_again(order)
    run_queue()

    assert queue_rows(order) == []
    [deal_again] = hubspot.records("deals")  # no second deal
    assert deal_again["id"] == deal["id"]
    [contact] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    assert hubspot.associations("deals", deal["id"], "contacts") == [contact["id"]]


def test_reason_of_a_temporary_failure_is_shown_on_the_order_page(sync_event, order, hubspot, admin_client):
    contacts_mapping(sync_event)
    hubspot.error_rate(503, 1.0, path_prefix="/crm/objects/2026-09/contacts/batch")
    enqueue(order)
    run_queue()

    [row] = queue_rows(order)
    assert row.failed_attempts == 1 and row.need_manual_retry is None
    [(action, data)] = [(a, d) for a, d in log_actions(order) if a == "pretix_hubspot.sync.failed.temporary"]
    assert data["attempt"] == 1
    assert any("HTTP 503" in m for m in data["error"])
    page = admin_client.get(f"/control/event/{sync_event.organizer.slug}/{sync_event.slug}/orders/{order.code}/")
    html = page.content.decode()
    # In the order's history and in the box next to pretix's "Error. Retry 1 of 5."
    assert "Transferring data to HubSpot failed temporarily (attempt 1 of 5)" in html
    assert "HubSpot: why the transfer is being retried" in html
    assert html.count("HubSpot is temporarily unavailable (HTTP 503)") >= 2

    hubspot.error_rate(503, 0, path_prefix="/crm/objects/2026-09/contacts/batch")
    _due_again(order)
    run_queue()
    assert queue_rows(order) == []
    page = admin_client.get(f"/control/event/{sync_event.organizer.slug}/{sync_event.slug}/orders/{order.code}/")
    assert "HubSpot: why the transfer is being retried" not in page.content.decode()  # nothing pending any more


def test_records_written_before_the_connection_fails_are_remembered(sync_event, order, hubspot, connection):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    # The contacts are written, then HubSpot refuses the deals: the connection lacks a permission.
    hubspot.remove_scope(connection.portal_id, "crm.objects.deals.write")
    enqueue(order)
    run_queue()

    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    [contact] = records_by(hubspot, "contacts", "email", "jane.doe@example.org")
    [contact_result] = results(order)
    assert contact_result.sync_info["object_id"] == contact["id"]
    assert hubspot.records("deals") == []
