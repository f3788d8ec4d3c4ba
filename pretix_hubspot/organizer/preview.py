"""
"Preview HubSpot data": what the sync would do with one order, worked out without writing anything.

The preview asks the transfer's planner (``planner.Planner``) for its plan of the order, the very plan the sync
carries out: the values pretix computes, the lookup of each record, the modes applied to HubSpot's current values, the
choice between update, upsert and create. It looks up every record, also where the sync would not need to, to show
HubSpot's current values. Only the property definitions and batch reads reach HubSpot. Since the sync leaves checking
values to HubSpot, which would only complain on the write, the preview checks every value it would send with the
rules HubSpot applies (``value_rules``, which the mapping editor uses too), so an organizer sees those errors here
before an order fails.
"""
import time
from dataclasses import dataclass, field
from typing import List, Optional

from django.utils.translation import gettext as _
from pretix.control.forms.mapping import PropertyMappingForm

from ..datasync_api import MODE_APPEND_LIST, MODE_SET_IF_EMPTY, MODE_SET_IF_NEW, BaseSyncError
from ..hubspot_api.client import PAGE_MAX_WAIT
from ..hubspot_api.value_rules import value_problem
from ..models import HUBSPOT_CONTACTS, HUBSPOT_LINE_ITEMS, PRETIX_ORDER_POSITION
from ..transfer.associations import rows_of
from ..transfer.company_domains import identifies_by_domain
from ..transfer.currency import CURRENCY_PROPERTIES
from ..transfer.planner import UPSERT, OrderOutcome, Planner
from ..transfer.record_links import record_label, record_name
from ..transfer.sync import HubSpotSync
from ..transfer.values import MAX_TEXT_LENGTH, same_value

CREATE = "create"
UPDATE = "update"
NOTHING_TO_DO = "nothing_to_do"
SKIP = "skip"
ERROR = "error"


def mode_label(mode):
    return dict(PropertyMappingForm.base_fields["overwrite"].choices).get(mode, mode)


@dataclass
class PropertyPreview:
    name: str
    label: str
    source: str  # the pretix field
    mode: str
    value: str  # what pretix computes for this row
    current: Optional[str]  # HubSpot's value now; None for a record that does not exist yet
    sent: Optional[str]  # what the sync sends; None when it sends nothing for this property
    effect: str
    problem: str = ""
    is_identifier: bool = False

    @property
    def mode_label(self):
        return mode_label(self.mode)

    @property
    def will_be_sent(self):
        return self.sent is not None


@dataclass
class RecordPreview:
    title: str
    action: str
    id_value: str = ""
    record_id: Optional[str] = None
    record_url: str = ""
    record_label: str = ""
    how: str = ""
    properties: List[PropertyPreview] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    notices: List[str] = field(default_factory=list)

    @property
    def has_errors(self):
        return bool(self.errors) or any(p.problem for p in self.properties)


@dataclass
class MappingPreview:
    mapping: object
    finding: str = ""
    errors: List[str] = field(default_factory=list)
    records: List[RecordPreview] = field(default_factory=list)

    @property
    def has_errors(self):
        return bool(self.errors) or any(r.has_errors for r in self.records)


@dataclass
class OrderPreview:
    order: object
    errors: List[str] = field(default_factory=list)  # problems that concern every mapping (e.g. the connection)
    mappings: List[MappingPreview] = field(default_factory=list)
    # What the sync would report, worded as it would word it (order, mapping, field), in the order it meets them.
    error_summary: List[str] = field(default_factory=list)

    @property
    def has_errors(self):
        return bool(self.error_summary)

    def report(self, message):
        message = str(message)
        if message not in self.error_summary:
            self.error_summary.append(message)


def messages_of(error):
    return [str(m) for m in (getattr(error, "messages", None) or [str(error)])]


# --- what each mode does -------------------------------------------------------------------------------------------

def effect(group, name, value, mode, sent):
    """What happens to one row's value, as the sync's ``compute_changes`` decided it."""
    current = group.current.get(name)
    if sent is not None:
        if mode == MODE_APPEND_LIST:
            return _("Adds the value to the list in HubSpot.")
        if not same_value(sent, value):
            return _("Sent with the value another row (or another ticket of this order) gives this property.")
        if sent == "":
            return _("Clears the value in HubSpot.")
        if group.is_new:
            return _("Sets the value of the new record.")
        if current in (None, ""):
            return _("Fills the empty property.")
        return _("Replaces the value in HubSpot.")
    if mode == MODE_SET_IF_NEW and not group.is_new:
        return _("Not sent: “{mode}” only fills records the sync creates, and this record exists.").format(
            mode=mode_label(mode))
    if value in ("", None):
        return _("Not sent: pretix has no value.")
    if mode == MODE_SET_IF_EMPTY and current not in (None, ""):
        return _("Not sent: “{mode}” keeps the value HubSpot has.").format(mode=mode_label(mode))
    if mode == MODE_APPEND_LIST:
        return _("Not sent: the value is in the list in HubSpot already.")
    return _("Not sent: HubSpot has this value already.")


# --- the preview ---------------------------------------------------------------------------------------------------

class PreviewBuilder:
    """One preview of one order: the planner's plan for it, never carried out."""

    def __init__(self, event, order, mappings=None):
        self.event = event
        self.sync = HubSpotSync(event)
        if mappings is not None:
            self.sync._mappings = list(mappings)
        # Every record is looked up, so that the preview can show HubSpot's current values.
        self.planner = self.sync.planner(look_up_always=True)
        self.messages = self.planner.messages
        self.preview = OrderPreview(order)

    def build(self):
        preview = self.preview
        sync = self.sync
        if not self.planner.mappings:
            return preview
        try:
            connection = sync.connection()
        except BaseSyncError as e:
            for m in messages_of(e):
                preview.errors.append(m)
                preview.report(m)
            return preview
        self.connection = connection
        # A page does not hang when HubSpot's request budget is used up (e.g. during a large export).
        sync.wait_until = time.time() + PAGE_MAX_WAIT
        [order] = self.planner.load_orders([preview.order.pk])
        preview.order = order
        outcome = OrderOutcome(order)
        outcomes = {order.pk: outcome}
        previous = self.planner.previous_results(outcomes, connection.portal_id, sync.identifier)
        for mapping in self.planner.mappings:
            preview.mappings.append(self.preview_mapping(mapping, outcome, outcomes, previous))
        return preview

    def preview_mapping(self, mapping, outcome, outcomes, previous):
        planner = self.planner
        result = MappingPreview(mapping)
        object_type = mapping.external_object_type
        errors_before = len(outcome.errors)
        try:
            planner.build_objects(mapping, outcomes, previous)
        except BaseSyncError as e:  # HubSpot's property definitions could not be read
            self.mapping_errors(result, messages_of(e))
            return result
        self.mapping_errors(result, [m for e in outcome.errors[errors_before:] for m in messages_of(e)])
        entries = outcome.objects.get(mapping.id, [])
        objects = [o for o in entries if o is not None]
        definitions = planner.catalog.of(object_type)
        unique = None
        plan = None
        group_of = {}
        if objects:
            try:
                plan = planner.plan_mapping(mapping, objects)
            except BaseSyncError as e:
                self.mapping_errors(result, messages_of(e))
                return result
            unique = plan.unique
            for group in plan.groups:
                for obj in group.objects:
                    group_of[id(obj)] = group
                group.problems = {name: value_problem(definitions.get(name), value, object_type)
                                  for name, value in group.changes.items()}
        result.finding = self.finding(mapping, unique)

        targets = self.targets(mapping, outcome.order)
        for target, obj in zip(targets, entries):
            group = group_of.get(id(obj)) if obj is not None else None
            result.records.append(self.record(mapping, target, obj, group, definitions, plan, bool(result.errors)))
        return result

    def mapping_errors(self, result, messages):
        for m in messages:
            if m not in result.errors:
                result.errors.append(m)
            self.preview.report(m)

    def targets(self, mapping, order):
        if mapping.pretix_model == PRETIX_ORDER_POSITION:
            return list(order.all_positions.all())
        return [None]

    def title(self, order, position):
        if position is None:
            return _("Order {code}").format(code=order.code)
        title = _("Ticket {number}: {product}").format(number=position.positionid, product=position.item)
        if position.attendee_name:
            title += " – " + position.attendee_name
        if position.canceled:
            title += " " + _("(canceled)")
        return title

    def finding(self, mapping, unique):
        """How the sync looks for this mapping's records, in the order it tries."""
        id_property = mapping.external_id_field
        ways = [_("the record ID remembered from this order's last transfer")]
        if identifies_by_domain(mapping.external_object_type, id_property):
            ways = [_("the companies this event's earlier transfers found or created for the domain"),
                    _("HubSpot's search for the domain")]
            unique = None  # not unique in HubSpot, yet never duplicated: nothing more to explain
        elif unique or (mapping.external_object_type == HUBSPOT_CONTACTS and id_property == "email"):
            ways.append(_("the HubSpot property “{name}”").format(name=id_property))
        if mapping.external_object_type == HUBSPOT_CONTACTS and id_property != "email":
            ways.append(_("the e-mail address"))
        text = _("The sync looks the record up by {ways}.").format(ways=_(", then by ").join(ways))
        if unique is False:
            text += " " + _("“{name}” does not require unique values in HubSpot, so the sync cannot look records up "
                            "by it and creates a new record for every order it has not transferred before.").format(
                name=id_property)
        elif unique and Planner.upserts_without_lookup(mapping, unique):
            key = "email" if mapping.external_object_type == HUBSPOT_CONTACTS else id_property
            text += " " + _("Records it has not transferred before are not looked up first: as every row overwrites, "
                            "it sends them to HubSpot by “{name}”, and HubSpot updates the record it has or creates "
                            "one. The preview looks them up all the same, to show HubSpot's values.").format(name=key)
        targets = self.association_targets(mapping)
        if targets:
            text += " " + _("After writing, it associates the record with the records of the same order of: "
                            "{targets}.").format(targets=", ".join(targets))
        if mapping.external_object_type == HUBSPOT_LINE_ITEMS:
            text += " " + _("After writing, it associates each line item with the deal of the same ticket, or else "
                            "of the order.")
        return text

    def association_targets(self, mapping):
        """The earlier mappings of the association setup, each with its label: "“Order → Companies” (Primary)"."""
        by_id = {m.id: m for m in self.planner.mappings}
        return [_("“{mapping}” ({label})").format(mapping=by_id[row.to_mapping], label=row.label or _("no label"))
                for row in rows_of(mapping) if row.to_mapping in by_id]

    def record(self, mapping, position, obj, group, definitions, plan, mapping_failed):
        order = self.preview.order
        title = self.title(order, position)
        if obj is None:
            if mapping_failed:
                return RecordPreview(title, ERROR, errors=[_("Not transferred because of the error above.")])
            field = self.planner.data_fields.get(mapping.pretix_id_field)
            return RecordPreview(title, SKIP, how=_(
                "pretix has no value for the identifier “{field}”, so the sync transfers nothing for this one."
            ).format(field=field.label if field else mapping.pretix_id_field))

        record = RecordPreview(title, ERROR, id_value=obj.id_value, record_id=obj.record_id)
        if obj.error is not None:
            for m in messages_of(self.messages.object_error(obj)):
                record.errors.append(m)
                self.preview.report(m)
            return record

        record.action = group.action
        if group.record_id:
            record.record_id = group.record_id
            record.record_url = self.connection.record_url(mapping.external_object_type, group.record_id)
            record.record_label = record_label(mapping.external_object_type, group.record_id,
                                               record_name(mapping.external_object_type, group.current))
            record.how = {
                "id": _("Found by the record ID remembered from this order's last transfer."),
                "email": _("Found by the e-mail address {email}.").format(email=obj.email),
                "domain": _("Found by the company domain {domain}.").format(domain=obj.id_value),
            }.get(obj.matched_by) or _("Found by “{name}” = {value}.").format(name=obj.matched_by,
                                                                              value=obj.id_value)
        else:
            kind, prop, value = plan.how(group) or (None, None, None)
            if kind == UPSERT:
                record.how = _("HubSpot has no such record yet: the sync creates it by “{name}” = {value} (should "
                               "HubSpot know that value by then, it updates that record instead).").format(
                    name=prop, value=value)
            else:
                record.how = _("HubSpot has no such record yet: the sync creates it.")
        if len(group.objects) > 1:
            record.notices.append(_("This record also receives the values of the other tickets of this order that "
                                    "lead to it; the values shown are the ones sent."))
        for name in obj.truncated:
            record.notices.append(_("The value for “{name}” is longer than HubSpot allows and is cut to {limit} "
                                    "characters.").format(name=name, limit=MAX_TEXT_LENGTH))

        sources = [mapping.pretix_id_field] + [row["pretix_field"] for row in mapping.property_mappings]
        # Values the sync adds to the mapping's rows (a line item's quantity, the event's currency) come last.
        sources += [None] * (len(obj.values) - len(sources))
        for index, ((name, value, mode), source) in enumerate(zip(obj.values, sources)):
            definition = definitions.get(name)
            sent = group.changes[name] if name in group.changes else None
            data_field = self.planner.data_fields.get(source)
            if source is None:
                source = str(_("Event currency") if name in CURRENCY_PROPERTIES.values() else _("One per ticket"))
            row = PropertyPreview(
                name=name, label=(definition and definition.label) or name,
                source=str(data_field.label) if data_field else source, mode=mode, value=value,
                # HubSpot answers null for an empty property of a record it has
                current=None if group.is_new else (group.current.get(name) or ""), sent=sent,
                effect=effect(group, name, value, mode, sent), is_identifier=index == 0,
            )
            if sent is not None:
                row.problem = group.problems.get(name, "")
                if row.problem:
                    self.preview.report(self.messages.message(
                        order, mapping, definition.field_name if definition else name, row.problem))
            record.properties.append(row)
        return record


def preview_order(event, order, mappings=None):
    """What the sync would do with ``order`` for each of the event's mappings (or the given ones). Writes nothing."""
    return PreviewBuilder(event, order, mappings).build()
