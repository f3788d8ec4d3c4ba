"""
The planner: what the transfer would do with a chunk of orders, worked out without writing anything.

For each mapping of the event (in the event's order) it computes the values pretix gives each order or ticket,
finds the records HubSpot already has, folds the objects that mean one record into one write, applies the modes
(Overwrite, Fill if new, Fill if empty, Add to list) to HubSpot's current values, and sorts the writes by endpoint:
update, upsert or create. The executor (``executor``) carries a plan out; the preview shows it.

It reads from HubSpot only what a decision needs: the property definitions (once per run and object type) and, per
mapping, one batch read per way of finding records. Where every row of a mapping overwrites and its new records are
upserted on a key HubSpot keeps unique (contacts' e-mail, or a unique identifier property), the current values change
nothing that is sent, so only records remembered from an earlier transfer are read (to write nothing where nothing
changed); the others are upserted straight away.
"""
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from pretix.base.i18n import language
from pretix.base.models import Order, OrderPosition

from ..datasync_api import (
    EVENT, EVENT_OR_SUBEVENT, MODE_OVERWRITE, MODE_SET_IF_NEW, ORDER, ORDER_POSITION, BaseSyncError, OrderSyncResult,
    RecoverableSyncError, SyncConfigError, UnrecoverableSyncError, assign_properties,
)
from ..models import HUBSPOT_COMPANIES, HUBSPOT_CONTACTS, HUBSPOT_DEALS, HUBSPOT_LINE_ITEMS, HUBSPOT_TICKETS
from .associations import inline_deal_association
from .batches import WriteItem
from .company_domains import identifies_by_domain, normalize_domain
from .currency import currency_missing, currency_property, missing_currency_message
from .matching import find_companies_by_domain, find_records, group_objects
from .values import MULTI_VALUE_SEPARATOR, same_value, to_hubspot

logger = logging.getLogger(__name__)

LABEL_PROPERTIES = {HUBSPOT_CONTACTS: ("email", "firstname", "lastname"), HUBSPOT_DEALS: ("dealname",),
                    HUBSPOT_COMPANIES: ("name",), HUBSPOT_LINE_ITEMS: ("name",), HUBSPOT_TICKETS: ("subject",)}
# A line item stands for one ticket (order position): its quantity is 1 unless a row of the mapping says otherwise.
LINE_ITEM_QUANTITY = "1"

RECORD_URL_PORTAL = re.compile(r"/contacts/(\d+)/record/")

# How a new record gets written (``MappingPlan.how``)
CREATE = "create"
UPSERT = "upsert"


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
        # Set by Planner.previous_results(): None unless the id belongs to the current account and object type.
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


@dataclass
class MappingPlan:
    """What to write for one mapping: the records (groups of objects) and, per endpoint, the writes."""
    mapping: object
    objects: list
    groups: list
    unique: bool  # whether the identifier property holds unique values (contacts' e-mail counts)
    read_properties: set
    looked_up: bool  # whether records not remembered were looked up (see ``Planner.needs_lookup``)
    updates: List[WriteItem] = field(default_factory=list)
    upserts: Dict[str, List[WriteItem]] = field(default_factory=dict)  # {property to upsert on: items}
    creates: List[WriteItem] = field(default_factory=list)

    def how(self, group):
        """``(CREATE or UPSERT, property, value)`` for a new record's group, or None for an existing one."""
        for prop, items in self.upserts.items():
            for item in items:
                if item.key is group:
                    return UPSERT, prop, item.id_value
        for item in self.creates:
            if item.key is group:
                return CREATE, None, item.id_value
        return None


class Planner:
    """
    Plans the transfer of the orders of one event, mapping by mapping. ``api`` returns the run's ``HubSpotApi``,
    ``catalog`` is the run's ``PropertyCatalog``, ``messages`` its ``TransferMessages``, ``field_value`` and
    ``data_fields`` are pretix's (``OutboundSyncProvider.get_field_value`` and ``data_fields``).
    ``look_up_always`` reads every record HubSpot may have, also where no decision needs it (the preview shows
    HubSpot's current values).
    """

    def __init__(self, event, mappings, api, catalog, messages, field_value, data_fields, look_up_always=False):
        self.event = event
        self.mappings = list(mappings)
        self.api = api
        self.catalog = catalog
        self.messages = messages
        self.field_value = field_value
        self.data_fields = data_fields
        self.look_up_always = look_up_always
        self.timezone = event.timezone
        # The orders whose previous attempt failed (set by the caller): their records are always looked up.
        self.retried = set()
        # The HubSpot account and the sync provider of this run (set by ``previous_results``)
        self.portal_id = None
        self.provider = None

    # the orders and what earlier transfers wrote -----------------------------------------------------------------

    def load_orders(self, order_ids):
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

    def previous_results(self, outcomes, portal_id, provider):
        """
        The results of earlier transfers, by ``(order, position, mapping)``. Each carries ``trusted_object_id``: the
        HubSpot record id to look up first, or None when the record was written into another HubSpot account or
        object type. HubSpot numbers records per account, so an id from the account the event used before names an
        unrelated record (or none) in the current one: such objects are found by identifier or e-mail instead.
        """
        self.portal_id, self.provider = portal_id, provider
        object_types = {m.id: m.external_object_type for m in self.mappings}
        results = {}
        for r in OrderSyncResult.objects.filter(order_id__in=list(outcomes), sync_provider=provider):
            same_place = (result_portal_id(r) == portal_id
                          and r.external_object_type == object_types.get(r.mapping_id))
            r.trusted_object_id = (r.sync_info or {}).get("object_id") if same_place else None
            results[(r.order_id, r.order_position_id, r.mapping_id)] = r
        return results

    def known_domains(self, mapping, domains):
        """
        ``{domain: record id}``: the companies earlier transfers of this event's mapping wrote or found for the domains
        in the current HubSpot account. Read from pretix's stored results, which know a company from the moment it is
        written, while HubSpot's search shows it only after a while. Of several companies, the oldest (lowest id).
        """
        known = {}
        rows = OrderSyncResult.objects.filter(
            order__event=self.event, sync_provider=self.provider, mapping_id=mapping.id,
            external_object_type=mapping.external_object_type, id_value__in=list(set(domains)),
        ).only("id_value", "sync_info", "external_link_href")
        for r in rows:
            record_id = (r.sync_info or {}).get("object_id")
            if not record_id or result_portal_id(r) != self.portal_id:
                continue
            if r.id_value not in known or int(record_id) < int(known[r.id_value]):
                known[r.id_value] = str(record_id)
        return known

    # the values pretix gives each object --------------------------------------------------------------------------

    def build_objects(self, mapping, outcomes, previous):
        """One ``SyncObject`` per order (or ticket) of the mapping, in ``outcome.objects``; problems as order errors."""
        objects = []
        definitions = self.catalog.of(mapping.external_object_type)
        missing = [p for p in [mapping.external_id_field] + [m["external_field"] for m in mapping.property_mappings]
                   if p not in definitions]
        currency_error = self.currency_error(mapping, definitions)
        message = self.messages.message
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
                    outcome.add_error(SyncConfigError([message(
                        order, mapping, None,
                        _("The mapping has no identifier yet. Please edit it in Settings → HubSpot and choose the "
                          "pretix field and the HubSpot property that identify a record."))]))
                    entries.append(None)
                    continue
                if missing:
                    outcome.add_error(SyncConfigError([message(
                        order, mapping, missing[0],
                        _("HubSpot has no such property (any more). Please check the mapping in Settings → HubSpot."))]))
                    entries.append(None)
                    continue
                if currency_error:
                    outcome.add_error(SyncConfigError([message(order, mapping, None, currency_error)]))
                    entries.append(None)
                    continue
                try:
                    obj = self.build_object(mapping, order, position, inputs, definitions, previous)
                except BaseSyncError as e:
                    outcome.add_error(e)
                    entries.append(None)
                    continue
                entries.append(obj)
                if obj is not None:
                    objects.append(obj)
        return objects

    def currency(self, mapping, definitions):
        """The property that carries the event's currency for this mapping's records, if any (see currency.py)."""
        name = currency_property(mapping.external_object_type, [m["external_field"] for m in mapping.property_mappings])
        return name if name in definitions else None

    def currency_error(self, mapping, definitions):
        name = self.currency(mapping, definitions)
        if name and currency_missing(self.event.currency, definitions[name].accepted_values):
            with language(self.event.settings.locale):
                return str(missing_currency_message(self.event.currency))
        return None

    def build_object(self, mapping, order, position, inputs, definitions, previous):
        id_row = {"pretix_field": mapping.pretix_id_field, "external_field": mapping.external_id_field}
        id_value, _cut = self.hubspot_value(mapping, order, inputs, id_row, definitions)
        if identifies_by_domain(mapping.external_object_type, mapping.external_id_field):
            # compared and sent in one form, so that "www.Example.org" and "example.org/about" are one company
            id_value = normalize_domain(id_value)
        if not id_value:
            return None
        values = [(mapping.external_id_field, id_value, MODE_OVERWRITE)]
        truncated = []
        for row in mapping.property_mappings:
            name, mode = row["external_field"], row["overwrite"]
            text, cut = self.hubspot_value(mapping, order, inputs, row, definitions)
            if cut:
                truncated.append(name)
                logger.info("Order %s: value for HubSpot property %s cut to HubSpot's limit", order.code, name)
            values.append((name, text, mode))
        if mapping.external_object_type == HUBSPOT_LINE_ITEMS and all(name != "quantity" for name, t, m in values):
            values.append(("quantity", LINE_ITEM_QUANTITY, MODE_SET_IF_NEW))
        currency = self.currency(mapping, definitions)
        if currency:
            values.append((currency, self.event.currency, MODE_OVERWRITE))
        email = None
        if mapping.external_object_type == HUBSPOT_CONTACTS:
            email = next((text for name, text, mode in values if name == "email" and text), None)
        obj = SyncObject(mapping, order, position, id_value, values, email,
                         previous.get((order.pk, position.pk if position else None, mapping.id)))
        obj.truncated = truncated
        return obj

    def hubspot_value(self, mapping, order, inputs, row, definitions):
        """
        The text HubSpot gets for one row, as ``(text, truncated)``. Whatever goes wrong while pretix computes the
        value or it is converted (odd data, e.g. a number answer with more digits than arithmetic handles, or a
        stored value mapping that is no longer valid) becomes this order's error, naming the mapping and field:
        the other orders of the chunk are not held up by it.
        """
        name = row["external_field"]
        try:
            raw = self.field_value(inputs, row)
            return to_hubspot(raw, definitions.get(name), self.timezone)
        except BaseSyncError:
            raise
        except Exception as e:
            logger.exception("Order %s: could not prepare the value of %s for HubSpot property %s", order.code,
                             row["pretix_field"], name)
            data_field = self.data_fields.get(row["pretix_field"])
            prop = definitions.get(name)
            with language(self.event.settings.locale):
                reason = _("pretix could not work out the value of “{field}” ({error}). Please check this order's "
                           "data and the mapping, then retry the order.").format(
                    field=data_field.label if data_field else row["pretix_field"], error=type(e).__name__)
            message = self.messages.message(order, mapping, prop.field_name if prop else name, reason)
            raise UnrecoverableSyncError([message], "{}: {!r}".format(message, e))

    def find_parent_deals(self, mapping, objects, outcomes):
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

    # finding records and deciding what to write -------------------------------------------------------------------

    def identifier_is_unique(self, mapping):
        definitions = self.catalog.of(mapping.external_object_type)
        id_property = mapping.external_id_field
        return bool(definitions[id_property].has_unique_value) or (
            mapping.external_object_type == HUBSPOT_CONTACTS and id_property == "email")

    @staticmethod
    def upserts_without_lookup(mapping, unique):
        """
        Whether the transfer writes records not remembered from an earlier transfer without looking them up first:
        where every value is written whatever HubSpot has (all rows overwrite) and a new record is upserted on a key
        HubSpot keeps unique, the upsert finds an existing record by itself, and nothing can be duplicated.
        """
        if not unique:
            return False
        if any(row["overwrite"] != MODE_OVERWRITE for row in mapping.property_mappings):
            return False
        if mapping.external_object_type == HUBSPOT_LINE_ITEMS and all(
                row["external_field"] != "quantity" for row in mapping.property_mappings):
            return False  # the quantity of one is only set on a new line item
        return True

    def needs_lookup(self, mapping, unique):
        """Whether records not remembered from an earlier transfer are looked up before writing."""
        return self.look_up_always or not self.upserts_without_lookup(mapping, unique)

    def read_properties(self, mapping):
        object_type = mapping.external_object_type
        names = ({mapping.external_id_field} | {m["external_field"] for m in mapping.property_mappings}
                 | set(LABEL_PROPERTIES.get(object_type, ())))
        currency = self.currency(mapping, self.catalog.of(object_type))
        if currency:
            # read back, so that a re-sync finds the currency in place and writes nothing
            names.add(currency)
        return names

    def plan_mapping(self, mapping, objects, look_up=None):
        """
        Finds the objects' records in HubSpot (only reads) and works out what to write into each. ``look_up`` forces
        (True) the lookup of records not remembered.
        """
        object_type = mapping.external_object_type
        id_property = mapping.external_id_field
        unique = self.identifier_is_unique(mapping)
        read_properties = self.read_properties(mapping)
        looked_up = self.needs_lookup(mapping, unique) if look_up is None else look_up
        if identifies_by_domain(object_type, id_property):
            # HubSpot keeps domains not unique: every company is looked up (first in the results of earlier
            # transfers, then with HubSpot's search), never upserted, and created only where neither finds it.
            looked_up = True
            known = self.known_domains(mapping, [o.id_value for o in objects])
            find_companies_by_domain(self.api(), objects, read_properties, known)
        elif looked_up:
            find_records(self.api(), object_type, objects, id_property, unique, read_properties)
        else:
            # A failed attempt may have written records whose answer got lost: a retry looks them up first.
            find_records(self.api(), object_type, objects, id_property, unique, read_properties,
                         by_value=lambda o: o.order.pk in self.retried)
        groups = group_objects(objects, object_type)
        for group in groups:
            compute_changes(group, keep_empty=group.is_new and not looked_up)
        plan = MappingPlan(mapping, objects, groups, unique, read_properties, looked_up)
        plan_writes(plan)
        return plan


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


def compute_changes(group, keep_empty=False):
    """
    Applies the objects' values with their modes (Overwrite, Fill if new, Fill if empty, Add to list). A new record
    gets no empty values, unless it is upserted without a lookup (``keep_empty``): the upsert may meet a record, whose
    value an empty Overwrite clears, as it would have after a lookup.
    """
    view = dict(group.current)
    changes = {}
    for obj in group.objects:
        computed = assign_properties(obj.values, view, group.is_new, MULTI_VALUE_SEPARATOR)
        view.update(computed)
        changes.update(computed)
    group.values = view
    if keep_empty:
        group.changes = changes  # HubSpot's values are not known: everything is sent
        return
    group.changes = {k: v for k, v in changes.items()
                     if not same_value(group.current.get(k), v) and not (group.is_new and v in ("", None))}


def plan_writes(plan):
    """
    Sets each group's ``action`` and sorts the writes by endpoint. New contacts with an e-mail are upserted by e-mail,
    other new records by a unique identifier, else created. A new line item found missing by a lookup is created
    with its deal association inline (one request less than associating it afterwards).
    """
    object_type = plan.mapping.external_object_type
    id_property = plan.mapping.external_id_field
    plan.updates = [WriteItem(g, g.changes, record_id=g.record_id) for g in plan.groups if not g.is_new and g.changes]
    for g in plan.groups:
        if not g.is_new:
            g.action = "update" if g.changes else "nothing_to_do"
            continue
        g.action = "create"
        email = next((o.email for o in g.objects if o.email), None)
        id_value = g.values.get(id_property)
        deals = {o.parent_deal for o in g.objects}
        if object_type == HUBSPOT_CONTACTS and email:
            plan.upserts.setdefault("email", []).append(WriteItem(g, g.changes, id_value=g.values.get("email")))
        elif object_type == HUBSPOT_LINE_ITEMS and plan.looked_up and len(deals) == 1 and None not in deals:
            # HubSpot keeps the identifier unique: should the line item exist after all, the create is refused
            # (a conflict naming it), never doubled.
            g.inline_deal = deals.pop()
            plan.creates.append(WriteItem(g, g.changes, id_value=id_value,
                                          associations=[inline_deal_association(g.inline_deal)]))
        elif plan.unique:
            plan.upserts.setdefault(id_property, []).append(WriteItem(g, g.changes, id_value=id_value))
        else:
            plan.creates.append(WriteItem(g, g.changes, id_value=id_value))
    return plan
