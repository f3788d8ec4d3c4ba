"""
The data-sync provider: pretix's queue hands us orders, we write them to HubSpot.

pretix's ``OutboundSyncProvider`` syncs one order and one object at a time. HubSpot allows an OAuth app 110 requests
per 10 seconds per account, so this provider takes the queue in chunks of up to 100 orders and has each chunk planned
(``planner``: what to find, create, update or associate, reading only what a decision needs) and carried out with
HubSpot's batch endpoints (``executor``). This module only handles pretix's queue: claiming a chunk, waiting for a
reconnect, and finishing or failing each order's queue row exactly as pretix's base class does (results, order log
entries, error reporting), so the order page's "Data transfer to external systems" box and the sync-problem pages
work unchanged.
"""
import logging
import time
from collections import OrderedDict
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.timezone import now
from django.utils.translation import gettext as _, gettext_lazy
from pretix.base.models import LogEntry, Order
from pretix.helpers import OF_SELF

from .. import log_actions
from ..datasync_api import (
    BaseSyncError, OrderSyncQueue, OutboundSyncProvider, SyncConfigError, UnrecoverableSyncError, datasync_providers,
)
from ..hubspot_api.client import HubSpotApi
from ..hubspot_api.errors import HubSpotConfigError, HubSpotRateLimited, reconnect_message
from ..hubspot_api.properties import PropertyCatalog
from ..models import HUBSPOT_LINE_ITEMS
from . import marketing_events
from .batches import chunks
from .data_fields import get_data_fields
from .event_options import include_test_orders
from .executor import Executor
from .messages import TransferMessages, combine_errors, is_reconnect_error  # noqa: F401
from .planner import OrderOutcome, Planner, result_portal_id  # noqa: F401 (result_portal_id: for callers of 0.1)
from .record_links import label_for_link
from .values import MULTI_VALUE_SEPARATOR

logger = logging.getLogger(__name__)

ORDERS_PER_CHUNK = 100
# While the connection needs a reconnect, queued orders wait instead of failing. A reconnect releases them at once
# (connections.release_waiting_orders); this is only how often a run looks again without one.
RECONNECT_WAIT = timedelta(hours=6)
# pretix's periodic task hands an order that has been in flight for 20 minutes to the next worker, as if this one had
# died (pretix.base.services.datasync.periodic_reset_in_flight). Waits for HubSpot's request budget end well before:
# what would wait longer goes back into the queue (HubSpotRateLimited), so no order is sent by two workers at once.
PRETIX_IN_FLIGHT_TIMEOUT = timedelta(minutes=20)
CHUNK_MAX_WAIT = PRETIX_IN_FLIGHT_TIMEOUT / 4


class AbortRun(Exception):
    """The connection itself is unusable (revoked, missing permission): no order of this run can be written."""

    def __init__(self, error):
        self.error = error


@datasync_providers.register
class HubSpotSync(OutboundSyncProvider):
    identifier = log_actions.PROVIDER
    display_name = gettext_lazy("HubSpot")
    # Multi-select values and "Add to list" texts are ";"-separated in HubSpot.
    list_field_joiner = MULTI_VALUE_SEPARATOR
    # Batching can be switched off (one order per chunk) to compare, e.g. in tools/benchmark.py.
    batching = True

    def __init__(self, event):
        super().__init__(event)
        self._api = None
        self.processed = 0
        # time.time() after which no wait for HubSpot's request budget may end (set per chunk, and by the preview)
        self.wait_until = None

    @cached_property
    def data_fields(self):
        # pretix's fields and the plugin's own (the HubSpot product of a ticket, see product_links.py)
        return {f.key: f for f in get_data_fields(self.event)}

    @property
    def mappings(self):
        if not hasattr(self, "_mappings"):
            self._mappings = list(self.event.hubspot_object_mappings.all())
        return self._mappings

    def should_sync_order(self, order):
        # Also for orders queued before the option was changed, and for "Sync now" on a test-mode order.
        return not order.testmode or include_test_orders(self.event)

    def next_retry_date(self, sq):
        # 5, 15, 45, 135 minutes …: a short outage heals quickly, a long one does not cost a request per minute.
        return now() + timedelta(minutes=5 * 3 ** max(sq.failed_attempts - 1, 0))

    def close(self):
        if self.processed:
            from ..tasks import schedule_continuation
            schedule_continuation()

    @classmethod
    def get_external_link_info(cls, event, external_link_href, external_link_display_name):
        # Called whenever the order page or the order history shows a link, in the reader's language.
        return {"href": external_link_href, "val": label_for_link(external_link_href, external_link_display_name)}

    def sync_object_with_properties(self, external_id_field, id_value, properties, inputs, mapping, mapped_objects,
                                    **kwargs):
        # Objects are never written one at a time: sync_order() and sync_queued_orders() go through the batch engine.
        raise NotImplementedError

    # connection ---------------------------------------------------------------------------------------------------

    def connection(self):
        from ..models import EventConnection

        connection = EventConnection.objects.connection_for(self.event)
        if connection is None:
            raise SyncConfigError([_("This event is not connected to HubSpot. Please connect it in Settings → "
                                     "HubSpot.")])
        if connection.needs_reconnect:
            raise HubSpotConfigError(reconnect_message())
        return connection

    @property
    def api(self):
        if self._api is None:
            self._api = HubSpotApi(self.connection())
        self._api.wait_until = self.wait_until
        return self._api

    @cached_property
    def catalog(self):
        """HubSpot's property definitions, read once per run and object type."""
        return PropertyCatalog(lambda: self.api)

    @cached_property
    def messages(self):
        return TransferMessages(self.event, self.catalog)

    def planner(self, look_up_always=False):
        return Planner(self.event, self.mappings, lambda: self.api, self.catalog, self.messages,
                       self.get_field_value, self.data_fields, look_up_always=look_up_always)

    # the queue ----------------------------------------------------------------------------------------------------

    def sync_queued_orders(self, queued_orders):
        """Never raises: every problem ends up on the queue row of the order it concerns, as in pretix's base class."""
        if self._connection_needs_reconnect():
            # Nothing can be written until someone reconnects: the orders wait, and no request goes to HubSpot.
            self._wait_for_reconnect([sq for sq in queued_orders if not sq.in_flight])
            return
        size = ORDERS_PER_CHUNK if self.batching else 1
        for chunk in chunks(queued_orders, size):
            claimed = self._claim(chunk)
            if not claimed:
                continue
            self.wait_until = time.time() + CHUNK_MAX_WAIT.total_seconds()
            self.processed += len(claimed)
            try:
                outcomes = self.sync_orders([sq.order for sq in claimed],
                                            retried={sq.order_id for sq in claimed if sq.failed_attempts})
            except Exception as e:
                logger.exception("Failed to sync orders to HubSpot (unhandled exception)")
                report_to_sentry(e)
                for sq in claimed:
                    sq.set_sync_error("internal", [], str(e))
                continue
            self._finish(claimed, outcomes)

    def _claim(self, chunk):
        """Marks the chunk's queue rows as in flight; rows another worker holds are left alone."""
        with transaction.atomic():
            try:
                rows = list(
                    OrderSyncQueue.objects
                    .select_for_update(of=OF_SELF, skip_locked=True)
                    .select_related("order", "event")
                    .filter(pk__in=[q.pk for q in chunk], in_flight=False)
                )
            except DatabaseError:
                return []
            busy = set(
                OrderSyncQueue.objects
                .filter(order_id__in=[r.order_id for r in rows], sync_provider=self.identifier, in_flight=True)
                .values_list("order_id", flat=True)
            )
            rows = [r for r in rows if r.order_id not in busy]
            since = now()
            try:
                with transaction.atomic():
                    OrderSyncQueue.objects.filter(pk__in=[r.pk for r in rows]).update(in_flight=True,
                                                                                      in_flight_since=since)
            except IntegrityError:
                return []
            for r in rows:
                r.in_flight = True
                r.in_flight_since = since
                r.order.event = self.event
        return rows

    def _connection_needs_reconnect(self):
        from ..models import EventConnection

        # Read afresh: HubSpot may have rejected the refresh token during this very run.
        connection = EventConnection.objects.connection_for(self.event)
        return connection is not None and connection.needs_reconnect

    def _wait_for_reconnect(self, rows):
        """
        The orders wait for a reconnect: no failed attempt is counted and they are not parked for a manual retry
        (which nobody would know to click). Their history says why they wait; a reconnect releases them.
        """
        if not rows:
            return
        until = now() + RECONNECT_WAIT
        claimed = [sq for sq in rows if sq.in_flight]
        OrderSyncQueue.objects.filter(pk__in=[sq.pk for sq in rows if not sq.in_flight], in_flight=False).update(
            not_before=until)
        for sq in claimed:
            sq.not_before = until
            # One by one: if the order was queued again meanwhile, pretix's clear_in_flight() keeps the newer row.
            sq.clear_in_flight()
        orders = Order.objects.in_bulk([sq.order_id for sq in rows])
        entries = []
        for order in orders.values():
            order.event = self.event
            entries.append(order.log_action(log_actions.SYNC_WAITING_FOR_RECONNECT,
                                            {"provider": self.identifier}, save=False))
        LogEntry.bulk_create_and_postprocess(entries)

    def _finish(self, claimed, outcomes):
        log_entries = []
        done = []
        waiting = []
        reconnect = None
        for sq in claimed:
            outcome = outcomes.get(sq.order_id)
            if outcome is None:  # should_sync_order() said no
                done.append(sq.pk)
                continue
            if outcome.errors and any(is_reconnect_error(e) for e in outcome.errors):
                if reconnect is None:
                    reconnect = self._connection_needs_reconnect()
                if reconnect:
                    waiting.append(sq)
                    continue
            if outcome.errors:
                self._fail(sq, outcome)
                continue
            actions = [osr and osr.sync_info.get("action", "") for results in outcome.mapped_objects.values()
                       for osr in results]
            logger.info("Synced order %s to %s, actions: %r", sq.order.code, self.identifier, actions)
            if any(a not in (None, "nothing_to_do") for a in actions):
                log_entries.append(sq.order.log_action("pretix.event.order.data_sync.success", {
                    "provider": self.identifier,
                    "objects": {
                        mapping_id: [osr and osr.to_result_dict() for osr in results]
                        for mapping_id, results in outcome.mapped_objects.items()
                    },
                }, save=False))
            done.append(sq.pk)
        if log_entries:
            LogEntry.bulk_create_and_postprocess(log_entries)
        OrderSyncQueue.objects.filter(pk__in=done).delete()
        self._wait_for_reconnect(waiting)

    def _fail(self, sq, outcome):
        error = combine_errors(outcome.errors)
        if isinstance(error, UnrecoverableSyncError):
            sq.set_sync_error(error.failure_mode, error.messages, error.full_message)
        elif isinstance(error, HubSpotRateLimited):
            # Waiting for HubSpot's budget is no failed attempt.
            sq.not_before = now() + timedelta(seconds=error.retry_after)
            sq.clear_in_flight()
        else:
            sq.failed_attempts += 1
            sq.not_before = self.next_retry_date(sq)
            if sq.failed_attempts >= self.max_attempts:
                logger.error("Failed to sync order %s to %s (max attempts exceeded): %s", sq.order.code,
                             self.identifier, error.full_message)
                report_to_sentry(error)
                sq.set_sync_error("exceeded", error.messages, error.full_message)
            else:
                logger.info("Could not sync order %s to %s (transient error, attempt #%d, next %s): %s",
                            sq.order.code, self.identifier, sq.failed_attempts, sq.not_before, error.full_message)
                # The reason goes into the order's history too: pretix's order box and sync-problems page only say
                # "Error. Retry n of m" / "Temporary error", which leaves the organizer guessing.
                sq.order.log_action(log_actions.SYNC_FAILED_TEMPORARY, {
                    "provider": self.identifier, "error": [str(m) for m in error.messages],
                    "attempt": sq.failed_attempts, "max_attempts": self.max_attempts,
                    "next_attempt": sq.not_before.isoformat(),
                })
                sq.clear_in_flight()

    # the engine ---------------------------------------------------------------------------------------------------

    def sync_order(self, order):
        """pretix's single-order entry point, through the batch engine. Raises the order's error, if any."""
        # One order alone: its records are looked up as for a retry (the few requests do not matter here).
        outcome = self.sync_orders([order], retried={order.pk}).get(order.pk)
        if outcome is None:
            return {}
        if outcome.errors:
            raise combine_errors(outcome.errors)
        return outcome.mapped_objects

    def sync_orders(self, orders, retried=()):
        """
        Writes the orders to HubSpot. Returns ``{order id: OrderOutcome}`` (orders to skip are left out). ``retried``
        are the ids of orders whose previous attempt failed.
        """
        planner = self.planner()
        planner.retried = set(retried)
        orders = planner.load_orders([o.pk for o in orders])
        outcomes = OrderedDict((o.pk, OrderOutcome(o)) for o in orders if self.should_sync_order(o))
        if not outcomes or not (self.mappings or marketing_events.enabled(self.event)):
            return outcomes
        executor = Executor(lambda: self.api, self.mappings)
        connection = None
        try:
            connection = self.connection()
            previous = planner.previous_results(outcomes, connection.portal_id, self.identifier)
            all_objects = []
            for mapping in self.mappings:
                objects = planner.build_objects(mapping, outcomes, previous)
                if mapping.external_object_type == HUBSPOT_LINE_ITEMS:
                    planner.find_parent_deals(mapping, objects, outcomes)
                all_objects += objects
                if objects:
                    # Each mapping is planned once the earlier ones are written: a line item needs its deal's id.
                    plan = planner.plan_mapping(mapping, objects)
                    executor.write(plan)
                    executor.finish(plan)
                self._raise_if_connection_broken(objects)
            executor.associate(outcomes)
            self._raise_if_connection_broken(all_objects)
        except (AbortRun, BaseSyncError) as e:
            # The connection, or reading HubSpot's properties, failed: the rest of this chunk cannot be written.
            error = e.error if isinstance(e, AbortRun) else e
            for outcome in outcomes.values():
                outcome.add_error(error)
            if connection is not None:
                # What was written before stays remembered, so the next attempt updates it instead of creating it again.
                executor.save_results(outcomes, connection, self.messages, self.identifier, add_errors=False)
            return outcomes
        executor.save_results(outcomes, connection, self.messages, self.identifier)
        if marketing_events.enabled(self.event):
            # After the mappings, so that participants are recorded on the contacts the mappings found or created.
            marketing_events.OrderStep(self).run(outcomes)
        return outcomes

    def _raise_if_connection_broken(self, objects):
        for obj in objects:
            for error in (obj.error, obj.association_error):
                if isinstance(error, HubSpotConfigError) and error.status in (None, 401, 403):
                    raise AbortRun(error)


def report_to_sentry(error):
    """
    Reports an error the way pretix's base class does for an internal error and for an order that ran out of
    attempts (``OutboundSyncProvider.sync_queued_orders``): to Sentry, where the installation uses it.
    """
    if settings.SENTRY_ENABLED:
        import sentry_sdk
        sentry_sdk.capture_exception(error)
