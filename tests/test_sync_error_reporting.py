"""
pretix reports a transfer's internal errors, and an order that ran out of attempts, to Sentry where the installation
uses it (``OutboundSyncProvider.sync_queued_orders``); the plugin's own queue handling does the same.
"""
import pytest
import sentry_sdk
from django_scopes import scopes_disabled
from sentry_sdk.transport import Transport

from pretix_hubspot.transfer.planner import Planner
from pretix_hubspot.transfer.sync import HubSpotSync
from testbed.sync import contacts_mapping, enqueue, queue_rows, run_queue

pytestmark = pytest.mark.django_db


class RecordingTransport(Transport):
    """Sentry's transport interface, keeping the events instead of sending them to a Sentry server."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def sentry(settings):
    settings.SENTRY_ENABLED = True
    transport = RecordingTransport()
    sentry_sdk.init(dsn="https://public@sentry.invalid/1", transport=transport, default_integrations=False,
                    integrations=[])
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def reported(transport):
    sentry_sdk.flush()
    return [(value["type"], value["value"]) for event in transport.events
            for value in event["exception"]["values"]]


def test_an_unexpected_internal_error_is_reported_to_sentry(sync_event, order, hubspot, sentry, monkeypatch):
    contacts_mapping(sync_event)

    def broken(self, order_ids):
        raise RuntimeError("a bug in the transfer")

    monkeypatch.setattr(Planner, "load_orders", broken)
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "internal"
    assert reported(sentry) == [("RuntimeError", "a bug in the transfer")]


def test_an_order_out_of_attempts_is_reported_to_sentry(sync_event, order, hubspot, sentry):
    contacts_mapping(sync_event)
    hubspot.fail_next(100, 503, path_prefix="/crm/objects/2026-09/contacts/batch")
    row = enqueue(order)
    with scopes_disabled():
        type(row).objects.filter(pk=row.pk).update(failed_attempts=HubSpotSync.max_attempts - 1)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "exceeded"
    [(kind, message)] = reported(sentry)
    assert "ABC12" in message and "Order → Contacts" in message


def test_a_temporary_error_with_attempts_left_is_not_reported(sync_event, order, hubspot, sentry):
    contacts_mapping(sync_event)
    hubspot.fail_next(100, 503, path_prefix="/crm/objects/2026-09/contacts/batch")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.failed_attempts == 1 and row.need_manual_retry is None
    assert reported(sentry) == []
