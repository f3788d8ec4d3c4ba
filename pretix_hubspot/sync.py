"""
The data-sync provider: pretix's queue hands us orders, we write them to HubSpot.

pretix's ``OutboundSyncProvider`` syncs one order and one object at a time. HubSpot allows an OAuth app 110 requests
per 10 seconds per account, so this provider takes the queue in chunks of up to 100 orders and writes each chunk
with HubSpot's batch endpoints: per mapping one batch read per way of finding records, one batch update, one batch
upsert (or create), and at the end one batch per pair of mappings for the associations the organizer set up (see
``associations``) and one for the line items and their deals.
Results, order log entries and errors per order are written exactly as pretix's base class writes them, so the
order page's "Data transfer to external systems" box and the sync-problem pages work unchanged.
"""
import logging
import re
import time
from collections import OrderedDict
from datetime import timedelta
from functools import cached_property

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.timezone import now
from django.utils.translation import gettext as _, gettext_lazy
from pretix.base.i18n import language
from pretix.base.models import LogEntry, Order, OrderPosition
from pretix.helpers import OF_SELF

from . import marketing_events
from .associations import AssociationStep
from .batches import WriteItem, associate_default, chunks, read_records, write_records
from .client import (
    HubSpotAccountRuleError, HubSpotApi, HubSpotConfigError, HubSpotConflict, HubSpotError, HubSpotRateLimited,
    reconnect_message, required_rule_message,
)
from .currency import currency_missing, currency_property, missing_currency_message
from .datasync_api import (
    EVENT, EVENT_OR_SUBEVENT, MODE_OVERWRITE, MODE_SET_IF_NEW, ORDER, ORDER_POSITION, BaseSyncError, OrderSyncQueue,
    OrderSyncResult, OutboundSyncProvider, RecoverableSyncError, SyncConfigError, UnrecoverableSyncError,
    assign_properties, datasync_providers,
)
from .event_options import include_test_orders
from .matching import find_records, group_objects
from .models import HUBSPOT_COMPANIES, HUBSPOT_CONTACTS, HUBSPOT_DEALS, HUBSPOT_LINE_ITEMS, HUBSPOT_TICKETS
from .provider import PROVIDER
from .record_links import label_for_link, stored_name
from .values import MULTI_VALUE_SEPARATOR, same_value, to_hubspot

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
LABEL_PROPERTIES = {HUBSPOT_CONTACTS: ("email", "firstname", "lastname"), HUBSPOT_DEALS: ("dealname",),
                    HUBSPOT_COMPANIES: ("name",), HUBSPOT_LINE_ITEMS: ("name",), HUBSPOT_TICKETS: ("subject",)}
# A line item stands for one ticket (order position): its quantity is 1 unless a row of the mapping says otherwise.
LINE_ITEM_QUANTITY = "1"


class AbortRun(Exception):
    """The connection itself is unusable (revoked, missing permission): no order of this run can be written."""

    def __init__(self, error):
        self.error = error


class SyncObject:
    """One pretix object (an order or a position) under one mapping, on its way to one HubSpot record."""

    def __init__(self, mapping, order, position, id_value, values, email, previous):
        self.mapping = mapping
        self.order = order
        self.position = position
        self.id_value = id_value
        self.values = values  # [(HubSpot property, HubSpot text, mode)]
        self.email = email
        self.previous = previous  # OrderSyncResult of the previous sync, if any
        self.record_id = None
        self.matched_by = None
        self.current = {}
        self.group = None
        self.error = None
        self.truncated = []
        self.associated = []
        # {association row key: [record ids]}: what this record is associated with through the association setup
        self.associations = {}
        # line items: the id of the deal the line item belongs to (HubSpot allows exactly one)
        self.parent_deal = None
        # A failure after the record was written (its associations): the record id is remembered all the same.
        self.association_error = None

    @property
    def remembered_id(self):
        # Set by HubSpotSync._previous_results(): None unless the id belongs to the current account and object type.
        return getattr(self.previous, "trusted_object_id", None)

    def fail(self, error):
        if self.error is None:
            self.error = error


class OrderOutcome:
    def __init__(self, order):
        self.order = order
        self.objects = OrderedDict()  # mapping id → [SyncObject or None]
        self.errors = []
        self.mapped_objects = {}

    def add_error(self, error):
        self.errors.append(error)


@datasync_providers.register
class HubSpotSync(OutboundSyncProvider):
    identifier = PROVIDER
    display_name = gettext_lazy("HubSpot")
    # Multi-select values and "Add to list" texts are ";"-separated in HubSpot.
    list_field_joiner = MULTI_VALUE_SEPARATOR
    # Batching can be switched off (one order per chunk) to compare, e.g. in tools/benchmark.py.
    batching = True

    def __init__(self, event):
        super().__init__(event)
        self._api = None
        self._property_definitions = {}
        self.processed = 0
        # time.time() after which no wait for HubSpot's request budget may end (set per chunk, and by the preview)
        self.wait_until = None

    @cached_property
    def timezone(self):
        return self.event.timezone

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
            from .tasks import schedule_continuation
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
        from .models import EventConnection

        # Not through event.hubspot_connection: a cached relation would outlive a disconnect.
        event_connection = EventConnection.objects.filter(event_id=self.event.pk).select_related("connection").first()
        if event_connection is None:
            raise SyncConfigError([_("This event is not connected to HubSpot. Please connect it in Settings → "
                                     "HubSpot.")])
        connection = event_connection.connection
        if connection.needs_reconnect:
            raise HubSpotConfigError(reconnect_message())
        return connection

    @property
    def api(self):
        if self._api is None:
            self._api = HubSpotApi(self.connection())
        self._api.wait_until = self.wait_until
        return self._api

    def property_definitions(self, object_type):
        """HubSpot's properties of one object type (type, field type, unique values), read once per run."""
        if object_type not in self._property_definitions:
            response = self.api.call(self.api.sdk.crm.properties.core_api.get_all, object_type)
            self._property_definitions[object_type] = {
                p.name: {"type": p.type, "fieldType": p.field_type, "hasUniqueValue": bool(p.has_unique_value),
                         "label": p.label,
                         # for the preview, which checks values the way HubSpot will before anything is sent
                         "options": [o.value for o in (p.options or [])],
                         # for messages that name an option the way HubSpot's screens do
                         "optionLabels": {o.value: o.label for o in (p.options or [])},
                         "readOnly": bool(getattr(p.modification_metadata, "read_only_value", False))}
                for p in (response.results or [])
            }
        return self._property_definitions[object_type]

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
                outcomes = self.sync_orders([sq.order for sq in claimed])
            except Exception as e:
                logger.exception("Failed to sync orders to HubSpot (unhandled exception)")
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
        from .models import EventConnection

        # Read afresh: HubSpot may have rejected the refresh token during this very run.
        return EventConnection.objects.filter(event_id=self.event.pk, connection__needs_reconnect=True).exists()

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
            entries.append(order.log_action("pretix_hubspot.sync.waiting_for_reconnect",
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
                sq.set_sync_error("exceeded", error.messages, error.full_message)
            else:
                logger.info("Could not sync order %s to %s (transient error, attempt #%d, next %s): %s",
                            sq.order.code, self.identifier, sq.failed_attempts, sq.not_before, error.full_message)
                # The reason goes into the order's history too: pretix's order box and sync-problems page only say
                # "Error. Retry n of m" / "Temporary error", which leaves the organizer guessing.
                sq.order.log_action("pretix_hubspot.sync.failed.temporary", {
                    "provider": self.identifier, "error": [str(m) for m in error.messages],
                    "attempt": sq.failed_attempts, "max_attempts": self.max_attempts,
                    "next_attempt": sq.not_before.isoformat(),
                })
                sq.clear_in_flight()

    # the engine ---------------------------------------------------------------------------------------------------

    def sync_order(self, order):
        """pretix's single-order entry point, through the batch engine. Raises the order's error, if any."""
        outcome = self.sync_orders([order]).get(order.pk)
        if outcome is None:
            return {}
        if outcome.errors:
            raise combine_errors(outcome.errors)
        return outcome.mapped_objects

    def sync_orders(self, orders):
        """Writes the orders to HubSpot. Returns ``{order id: OrderOutcome}`` (orders to skip are left out)."""
        orders = self._load_orders([o.pk for o in orders])
        outcomes = OrderedDict((o.pk, OrderOutcome(o)) for o in orders if self.should_sync_order(o))
        if not outcomes or not (self.mappings or marketing_events.enabled(self.event)):
            return outcomes
        connection = None
        try:
            connection = self.connection()
            previous = self._previous_results(outcomes)
            all_objects = []
            for mapping in self.mappings:
                objects = self._build_objects(mapping, outcomes, previous)
                if mapping.external_object_type == HUBSPOT_LINE_ITEMS:
                    self._find_parent_deals(mapping, objects, outcomes)
                all_objects += objects
                self._sync_mapping(mapping, objects)
                self._raise_if_connection_broken(objects)
            self._associate(outcomes)
            self._raise_if_connection_broken(all_objects)
        except (AbortRun, BaseSyncError) as e:
            # The connection, or reading HubSpot's properties, failed: the rest of this chunk cannot be written.
            error = e.error if isinstance(e, AbortRun) else e
            for outcome in outcomes.values():
                outcome.add_error(error)
            if connection is not None:
                # What was written before stays remembered, so the next attempt updates it instead of creating it again.
                self._save_results(outcomes, connection, add_errors=False)
            return outcomes
        self._save_results(outcomes, connection)
        if marketing_events.enabled(self.event):
            # After the mappings, so that participants are recorded on the contacts the mappings found or created.
            marketing_events.OrderStep(self).run(outcomes)
        return outcomes

    def _raise_if_connection_broken(self, objects):
        for obj in objects:
            for error in (obj.error, obj.association_error):
                if isinstance(error, HubSpotConfigError) and error.status in (None, 401, 403):
                    raise AbortRun(error)

    def _load_orders(self, order_ids):
        positions = (
            OrderPosition.all
            .select_related("item", "variation", "voucher", "subevent", "addon_to")
            .prefetch_related("answers", "answers__question", "answers__options")
            .order_by("positionid")
        )
        orders = list(
            Order.objects.filter(pk__in=order_ids)
            .select_related("event", "invoice_address")
            .prefetch_related(Prefetch("all_positions", queryset=positions))
        )
        for o in orders:
            # One event object for all orders, so its settings are read once per run, not once per order.
            o.event = self.event
        orders.sort(key=lambda o: order_ids.index(o.pk))
        return orders

    def _previous_results(self, outcomes):
        """
        The results of earlier transfers, by ``(order, position, mapping)``. Each carries ``trusted_object_id``: the
        HubSpot record id to look up first, or None when the record was written into another HubSpot account or
        object type. HubSpot numbers records per account, so an id from the account the event used before names an
        unrelated record (or none) in the current one: such objects are found by identifier or e-mail instead.
        """
        portal_id = self.connection().portal_id
        object_types = {m.id: m.external_object_type for m in self.mappings}
        results = {}
        for r in OrderSyncResult.objects.filter(order_id__in=list(outcomes), sync_provider=self.identifier):
            same_place = (result_portal_id(r) == portal_id
                          and r.external_object_type == object_types.get(r.mapping_id))
            r.trusted_object_id = (r.sync_info or {}).get("object_id") if same_place else None
            results[(r.order_id, r.order_position_id, r.mapping_id)] = r
        return results

    def _build_objects(self, mapping, outcomes, previous):
        objects = []
        definitions = self.property_definitions(mapping.external_object_type)
        missing = [p for p in [mapping.external_id_field] + [m["external_field"] for m in mapping.property_mappings]
                   if p not in definitions]
        currency_error = self._currency_error(mapping, definitions)
        for outcome in outcomes.values():
            order = outcome.order
            order_inputs = {ORDER: order, EVENT: self.event}
            if mapping.pretix_model == "Order":
                targets = [(None, order_inputs)]
            elif mapping.pretix_model == "OrderPosition":
                targets = [(op, {**order_inputs, EVENT_OR_SUBEVENT: op.subevent or self.event, ORDER_POSITION: op})
                           for op in order.all_positions.all()]
            else:
                outcome.add_error(SyncConfigError([_("Invalid pretix object type in a HubSpot mapping.")]))
                continue
            entries = outcome.objects.setdefault(mapping.id, [])
            for position, inputs in targets:
                if not (mapping.pretix_id_field and mapping.external_id_field):
                    # A mapping saved on the settings page but never edited: it cannot find or name a record yet.
                    outcome.add_error(SyncConfigError([self._message(
                        order, mapping, None,
                        _("The mapping has no identifier yet. Please edit it in Settings → HubSpot and choose the "
                          "pretix field and the HubSpot property that identify a record."))]))
                    entries.append(None)
                    continue
                if missing:
                    outcome.add_error(SyncConfigError([self._message(
                        order, mapping, missing[0],
                        _("HubSpot has no such property (any more). Please check the mapping in Settings → HubSpot."))]))
                    entries.append(None)
                    continue
                if currency_error:
                    outcome.add_error(SyncConfigError([self._message(order, mapping, None, currency_error)]))
                    entries.append(None)
                    continue
                try:
                    obj = self._build_object(mapping, order, position, inputs, definitions, previous)
                except BaseSyncError as e:
                    outcome.add_error(e)
                    entries.append(None)
                    continue
                entries.append(obj)
                if obj is not None:
                    objects.append(obj)
        return objects

    def _currency(self, mapping, definitions):
        """The property that carries the event's currency for this mapping's records, if any (see currency.py)."""
        name = currency_property(mapping.external_object_type, [m["external_field"] for m in mapping.property_mappings])
        return name if name in definitions else None

    def _currency_error(self, mapping, definitions):
        name = self._currency(mapping, definitions)
        if name and currency_missing(self.event.currency, definitions[name]["options"]):
            with language(self.event.settings.locale):
                return str(missing_currency_message(self.event.currency))
        return None

    def _find_parent_deals(self, mapping, objects, outcomes):
        """
        A line item belongs to exactly one deal: the deal of the same position where a mapping makes one deal per
        position, else the order's deal, both written by an earlier mapping of this run. Without one, the line item is
        not written at all (HubSpot would keep it unattached to any deal).
        """
        earlier_deal_mappings = [m for m in self.mappings[:self.mappings.index(mapping)]
                                 if m.external_object_type == HUBSPOT_DEALS]
        for obj in objects:
            deals = [o for m in earlier_deal_mappings for o in outcomes[obj.order.pk].objects.get(m.id, [])
                     if o is not None]
            deal = next((d for d in deals if d.position is not None and obj.position is not None
                         and d.position.pk == obj.position.pk), None) or next(
                (d for d in deals if d.position is None), None)
            if not earlier_deal_mappings:
                with language(self.event.settings.locale):
                    obj.fail(SyncConfigError([_("A line item belongs to a deal in HubSpot, but no mapping above this "
                                                "one transfers the order (or the ticket) to HubSpot's deals. Please "
                                                "add a mapping “Order → Deals” above it in Settings → HubSpot.")]))
            elif deal is None or deal.error or not deal.record_id:
                with language(self.event.settings.locale):
                    obj.fail(RecoverableSyncError([_("The line item was not transferred because the order's deal "
                                                     "could not be written; it follows once the deal is in HubSpot.")]))
            else:
                obj.parent_deal = deal.record_id

    def _build_object(self, mapping, order, position, inputs, definitions, previous):
        id_row = {"pretix_field": mapping.pretix_id_field, "external_field": mapping.external_id_field}
        id_value, _cut = self._hubspot_value(mapping, order, inputs, id_row, definitions)
        if not id_value:
            return None
        values = [(mapping.external_id_field, id_value, MODE_OVERWRITE)]
        truncated = []
        for row in mapping.property_mappings:
            field, mode = row["external_field"], row["overwrite"]
            text, cut = self._hubspot_value(mapping, order, inputs, row, definitions)
            if cut:
                truncated.append(field)
                logger.info("Order %s: value for HubSpot property %s cut to HubSpot's limit", order.code, field)
            values.append((field, text, mode))
        if mapping.external_object_type == HUBSPOT_LINE_ITEMS and all(field != "quantity" for field, t, m in values):
            values.append(("quantity", LINE_ITEM_QUANTITY, MODE_SET_IF_NEW))
        currency = self._currency(mapping, definitions)
        if currency:
            values.append((currency, self.event.currency, MODE_OVERWRITE))
        email = None
        if mapping.external_object_type == HUBSPOT_CONTACTS:
            email = next((text for field, text, mode in values if field == "email" and text), None)
        obj = SyncObject(mapping, order, position, id_value, values, email,
                         previous.get((order.pk, position.pk if position else None, mapping.id)))
        obj.truncated = truncated
        return obj

    def _hubspot_value(self, mapping, order, inputs, row, definitions):
        """
        The text HubSpot gets for one row, as ``(text, truncated)``. Whatever goes wrong while pretix computes the
        value or it is converted (odd data, e.g. a number answer with more digits than arithmetic handles, or a
        stored value mapping that is no longer valid) becomes this order's error, naming the mapping and field:
        the other orders of the chunk are not held up by it.
        """
        field = row["external_field"]
        try:
            raw = self.get_field_value(inputs, row)
            return to_hubspot(raw, definitions.get(field), self.timezone)
        except BaseSyncError:
            raise
        except Exception as e:
            logger.exception("Order %s: could not prepare the value of %s for HubSpot property %s", order.code,
                             row["pretix_field"], field)
            data_field = self.data_fields.get(row["pretix_field"])
            label = definitions.get(field, {}).get("label")
            with language(self.event.settings.locale):
                reason = _("pretix could not work out the value of “{field}” ({error}). Please check this order's "
                           "data and the mapping, then retry the order.").format(
                    field=data_field.label if data_field else row["pretix_field"], error=type(e).__name__)
            message = self._message(order, mapping, "{} ({})".format(label, field) if label and label != field
                                    else field, reason)
            raise UnrecoverableSyncError([message], "{}: {!r}".format(message, e))

    def plan_mapping(self, mapping, objects):
        """
        Finds the objects' records in HubSpot and works out what to write into each: ``(groups, unique,
        read_properties)``. Only reads from HubSpot, so the preview shows exactly what the sync would do.
        """
        object_type = mapping.external_object_type
        definitions = self.property_definitions(object_type)
        id_property = mapping.external_id_field
        unique = bool(definitions[id_property]["hasUniqueValue"]) or (
            object_type == HUBSPOT_CONTACTS and id_property == "email")
        read_properties = ({id_property} | {m["external_field"] for m in mapping.property_mappings}
                           | set(LABEL_PROPERTIES.get(object_type, ())))
        currency = self._currency(mapping, definitions)
        if currency:
            # read back, so that a re-sync finds the currency in place and writes nothing
            read_properties.add(currency)
        find_records(self.api, object_type, objects, id_property, unique, read_properties)
        groups = group_objects(objects, object_type)
        for group in groups:
            compute_changes(group, id_property)
        return groups, unique, read_properties

    def _sync_mapping(self, mapping, objects):
        if not objects:
            return
        object_type = mapping.external_object_type
        id_property = mapping.external_id_field
        groups, unique, read_properties = self.plan_mapping(mapping, objects)
        self._write_groups(object_type, groups, id_property, unique, read_properties)
        for group in groups:
            for obj in group.objects:
                if group.error:
                    obj.fail(group.error)
                else:
                    obj.record_id = group.record_id
                    obj.group = group

    def _write_groups(self, object_type, groups, id_property, unique, read_properties):
        updates, upserts, creates = plan_writes(object_type, groups, id_property, unique)
        conflicts = []
        outcome = write_records(self.api, "update", object_type, updates)
        for prop, items in upserts.items():
            outcome.update(write_records(self.api, "upsert", object_type, items, id_property=prop))
        outcome.update(write_records(self.api, "create", object_type, creates, match_property=id_property))
        for group, result in outcome.items():
            if isinstance(result, HubSpotConflict) and result.existing_id and group.is_new:
                conflicts.append((group, result.existing_id))
            elif isinstance(result, Exception):
                group.error = result
            else:
                if group.is_new and result.get("new") is False:
                    # An upsert found the record after all (e.g. the answer to an earlier attempt was lost).
                    group.action = "update"
                group.record_id = group.record_id or result["id"]

        if conflicts:
            # "Contact already exists. Existing ID: N": HubSpot knows the e-mail after all (written by someone else
            # after our lookup). Read that contact and write into it instead.
            try:
                found = read_records(self.api, object_type, [cid for g, cid in conflicts], properties=read_properties)
            except Exception as e:
                found = {}
                for g, cid in conflicts:
                    g.error = e
            retry = []
            for group, existing_id in conflicts:
                if existing_id in found:
                    group.record_id = existing_id
                    group.current = found[existing_id]["properties"]
                    compute_changes(group, id_property)
                    group.action = "update"
                    if group.changes:
                        retry.append(WriteItem(group, group.changes, record_id=existing_id))
                elif not group.error:
                    group.error = HubSpotConflict(_("HubSpot reported a record that it then could not find."))
            for group, result in write_records(self.api, "update", object_type, retry).items():
                if isinstance(result, Exception):
                    group.error = result

    def _associate(self, outcomes):
        """Line items with their deals, then the associations of each mapping's "Association setup"."""
        self._associate_line_items(outcomes)
        AssociationStep(self.api, self.mappings).run(outcomes)

    def _associate_line_items(self, outcomes):
        """Associates each new line item (or one whose deal changed) with its deal, in one batch per chunk."""
        wanted = {}
        for outcome in outcomes.values():
            for obj in (o for objs in outcome.objects.values() for o in objs if o and o.record_id and not o.error):
                if obj.mapping.external_object_type != HUBSPOT_LINE_ITEMS or not obj.parent_deal:
                    continue
                done = None
                if obj.previous and obj.remembered_id == obj.record_id:
                    done = (obj.previous.sync_info or {}).get("associated_deal")
                obj.associated = [obj.parent_deal] if done == obj.parent_deal else []
                if done != obj.parent_deal:
                    wanted.setdefault((obj.record_id, obj.parent_deal), []).append(obj)
        if not wanted:
            return
        for pair, result in associate_default(self.api, HUBSPOT_LINE_ITEMS, HUBSPOT_DEALS, list(wanted)).items():
            for obj in wanted[pair]:
                if isinstance(result, Exception):
                    obj.association_error = obj.association_error or result
                else:
                    obj.associated = [pair[1]]

    def _save_results(self, outcomes, connection, add_errors=True):
        """
        Stores the record of every object that was written, also when the order failed otherwise (a later mapping,
        an association, a broken connection): a record id is remembered as soon as HubSpot has the record.
        """
        to_create, to_update = [], []
        transmitted = now()
        for outcome in outcomes.values():
            for mapping in self.mappings:
                results = []
                for obj in outcome.objects.get(mapping.id, []):
                    if obj is None:
                        results.append(None)
                        continue
                    if obj.error or obj.group is None or not obj.record_id:
                        # Failed, or not written yet because the run ended before this mapping's writes.
                        if obj.error and add_errors:
                            outcome.add_error(self._object_error(obj))
                        results.append(None)
                        continue
                    if obj.association_error and add_errors:
                        outcome.add_error(self._object_error(obj, obj.association_error))
                    result = obj.previous or OrderSyncResult(
                        order=outcome.order, order_position=obj.position, sync_provider=self.identifier,
                        mapping_id=mapping.id,
                    )
                    group = obj.group
                    # The account goes with the id: only there does the id name this record (see _previous_results).
                    info = {"action": group.action, "object_id": obj.record_id, "portal_id": connection.portal_id}
                    if obj.associations:
                        info["associations"] = obj.associations
                    if mapping.external_object_type == HUBSPOT_LINE_ITEMS and obj.associated:
                        info["associated_deal"] = obj.associated[0]
                    if obj.truncated:
                        info["truncated"] = obj.truncated
                    result.external_object_type = mapping.external_object_type
                    result.external_id_field = mapping.external_id_field
                    result.id_value = str(obj.id_value)[:128]
                    result.external_link_href = connection.record_url(mapping.external_object_type, obj.record_id)
                    # Only the record's name: the label around it is built in the reader's language (record_links).
                    result.external_link_display_name = stored_name(mapping.external_object_type, obj.record_id,
                                                                    group.values)
                    result.sync_info = info
                    result.transmitted = transmitted
                    (to_update if result.pk else to_create).append(result)
                    results.append(result)
                outcome.mapped_objects[mapping.id] = results
        if to_update:
            OrderSyncResult.objects.bulk_update(to_update, ["external_object_type", "external_id_field", "id_value",
                                                            "external_link_href", "external_link_display_name",
                                                            "sync_info", "transmitted"])
        if to_create:
            OrderSyncResult.objects.bulk_create(to_create)

    # messages -----------------------------------------------------------------------------------------------------

    def _message(self, order, mapping, field, reason):
        with language(self.event.settings.locale):
            if field:
                return _('Order {order}, mapping "{mapping}", HubSpot field "{field}": {reason}').format(
                    order=order.code, mapping=str(mapping), field=field, reason=reason)
            return _('Order {order}, mapping "{mapping}": {reason}').format(
                order=order.code, mapping=str(mapping), reason=reason)

    def _required_rule_text(self, mapping, error):
        """The message for a required property, with HubSpot's labels: HubSpot requires 'Close Date' when …"""
        definitions = self._property_definitions.get(mapping.external_object_type, {})

        def label(name):
            return definitions.get(name, {}).get("label") or name

        condition = None
        if error.condition:
            name, value = error.condition
            condition = (label(name), definitions.get(name, {}).get("optionLabels", {}).get(value) or value)
        with language(self.event.settings.locale):
            return required_rule_message(label(error.required_property), condition)

    def _object_error(self, obj, error=None):
        """The object's error (or ``error``), reworded to name the order, the mapping and (if HubSpot says) the field."""
        error = obj.error if error is None else error
        if isinstance(error, HubSpotAccountRuleError) and error.required_property:
            message = self._message(obj.order, obj.mapping, None, self._required_rule_text(obj.mapping, error))
            new = HubSpotAccountRuleError(
                message, required_property=error.required_property, condition=error.condition, status=error.status,
                category=error.category, hubspot_message=error.hubspot_message, correlation_id=error.correlation_id,
                errors=error.errors, context=error.context)
            return new
        if isinstance(error, HubSpotError):
            problems = error.invalid_properties
            if problems and not isinstance(error, HubSpotConfigError):
                definitions = self._property_definitions.get(obj.mapping.external_object_type, {})
                messages = []
                for name, reason in problems:
                    label = definitions.get(name, {}).get("label")
                    field = "{} ({})".format(label, name) if label and label != name else name
                    messages.append(self._message(obj.order, obj.mapping, field, _(
                        "HubSpot rejected the value: {reason}").format(reason=reason or error.hubspot_message)))
            else:
                messages = [self._message(obj.order, obj.mapping, None, m) for m in error.messages]
            new = type(error)(messages[0], status=error.status, category=error.category,
                              hubspot_message=error.hubspot_message, correlation_id=error.correlation_id,
                              errors=error.errors, context=error.context) \
                if not isinstance(error, HubSpotRateLimited) else error
            new.messages = messages
            return new
        if isinstance(error, BaseSyncError):
            return type(error)([self._message(obj.order, obj.mapping, None, str(m)) for m in error.messages],
                               error.full_message)
        return RecoverableSyncError([self._message(obj.order, obj.mapping, None, str(error))], str(error))


def plan_writes(object_type, groups, id_property, unique):
    """
    Sets each group's ``action`` and sorts the writes by endpoint: ``(updates, {upsert property: items}, creates)``.
    New contacts with an e-mail are upserted by e-mail, other new records by a unique identifier, else created.
    """
    updates = [WriteItem(g, g.changes, record_id=g.record_id) for g in groups if not g.is_new and g.changes]
    upserts, creates = {}, []
    for g in groups:
        if not g.is_new:
            g.action = "update" if g.changes else "nothing_to_do"
            continue
        g.action = "create"
        email = next((o.email for o in g.objects if o.email), None)
        id_value = g.values.get(id_property)
        if object_type == HUBSPOT_CONTACTS and email:
            upserts.setdefault("email", []).append(WriteItem(g, g.changes, id_value=g.values.get("email")))
        elif unique:
            upserts.setdefault(id_property, []).append(WriteItem(g, g.changes, id_value=id_value))
        else:
            creates.append(WriteItem(g, g.changes, id_value=id_value))
    return updates, upserts, creates


def compute_changes(group, id_property):
    """Applies the objects' values with their modes (Overwrite, Fill if new, Fill if empty, Add to list)."""
    view = dict(group.current)
    changes = {}
    for obj in group.objects:
        computed = assign_properties(obj.values, view, group.is_new, MULTI_VALUE_SEPARATOR)
        view.update(computed)
        changes.update(computed)
    group.values = view
    group.changes = {k: v for k, v in changes.items()
                     if not same_value(group.current.get(k), v) and not (group.is_new and v in ("", None))}


def is_reconnect_error(error):
    """HubSpot no longer accepts the connection's tokens (only a reconnect helps), as opposed to a missing scope."""
    return isinstance(error, HubSpotConfigError) and error.status in (None, 401)


RECORD_URL_PORTAL = re.compile(r"/contacts/(\d+)/record/")


def result_portal_id(result):
    """
    The HubSpot account a stored result's record lives in. Results written before the account was stored with them
    (version 0.1.0) still name it in their link to the record (``HubSpotConnection.record_url``), which was built
    from the very connection that wrote the record, so that is as good as the stored id. A result that names no
    account in either way is not trusted: its record is found again by identifier or e-mail, at the cost of one
    lookup, rather than risking a write into an unrelated record.
    """
    portal_id = (result.sync_info or {}).get("portal_id")
    if portal_id is not None:
        return int(portal_id)
    match = RECORD_URL_PORTAL.search(result.external_link_href or "")
    return int(match.group(1)) if match else None


def combine_errors(errors):
    """One error for the order's queue row: configuration beats permanent beats temporary; all messages are kept."""
    def rank(e):
        if isinstance(e, SyncConfigError):
            return 0
        if isinstance(e, UnrecoverableSyncError):
            return 1
        if isinstance(e, HubSpotRateLimited):
            return 3
        return 2
    errors = sorted(errors, key=rank)
    first = errors[0]
    messages = []
    for e in errors:
        for m in getattr(e, "messages", None) or [str(e)]:
            if str(m) not in messages:
                messages.append(str(m))
    if isinstance(first, BaseSyncError):
        first.messages = messages
        first.full_message = "\n".join(messages)
        return first
    return RecoverableSyncError(messages, "\n".join(messages))
