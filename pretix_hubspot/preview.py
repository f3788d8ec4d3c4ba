"""
"Preview HubSpot data": what the sync would do with one order, worked out without writing anything.

The preview runs the sync engine's own steps (``HubSpotSync``: the values pretix computes, the lookup of each record,
the modes applied to HubSpot's current values, the choice between update, upsert and create) and stops before the
first write. Only the property definitions and batch reads reach HubSpot. Since the sync leaves checking values to
HubSpot, which would only complain on the write, the preview checks every value it would send against the property's
type the way HubSpot does, so an organizer sees those errors here before an order fails.
"""
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import List, Optional

from django.utils.translation import gettext as _
from pretix.control.forms.mapping import PropertyMappingForm

from .associations import rows_of
from .client import PAGE_MAX_WAIT
from .currency import CURRENCY_PROPERTIES
from .datasync_api import MODE_APPEND_LIST, MODE_SET_IF_EMPTY, MODE_SET_IF_NEW, BaseSyncError
from .models import HUBSPOT_CONTACTS, HUBSPOT_LINE_ITEMS, PRETIX_ORDER_POSITION
from .record_links import record_label, record_name
from .sync import HubSpotSync, OrderOutcome, plan_writes
from .values import MAX_TEXT_LENGTH, MULTI_VALUE_SEPARATOR, same_value

CREATE = "create"
UPDATE = "update"
NOTHING_TO_DO = "nothing_to_do"
SKIP = "skip"
ERROR = "error"

_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z0-9-]{2,}$")
# Leading or trailing whitespace, including the invisible kinds (no-break and zero-width spaces).
_EDGE_WHITESPACE = re.compile(r"^[\s\u00a0\u200b\u200c\u200d\ufeff]|[\s\u00a0\u200b\u200c\u200d\ufeff]$")
_EPOCH_MILLISECONDS = re.compile(r"^-?\d{1,15}$")


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


# --- checking values the way HubSpot does on writes ------------------------------------------------------------------

def value_problem(name, value, definition, object_type):
    """Why HubSpot would reject ``value`` for the property, in plain words, or "" when it would accept it."""
    if definition is None:
        return _("HubSpot has no such property (any more). Please check the mapping in Settings → HubSpot.")
    if definition.get("readOnly"):
        return _("HubSpot does not allow writing to this property. Please choose another one in the mapping.")
    if value in ("", None):
        return ""  # clears the value, always accepted
    value = str(value)
    kind = definition.get("type")
    field_type = definition.get("fieldType")
    if kind == "string" or kind is None:
        if len(value) > MAX_TEXT_LENGTH:
            return _("The value is longer than the {limit} characters HubSpot accepts.").format(limit=MAX_TEXT_LENGTH)
        if name == "email" and object_type == HUBSPOT_CONTACTS and not _EMAIL.match(value):
            return _("“{value}” is not a valid e-mail address, so HubSpot will reject it.").format(value=value)
        return ""
    if _EDGE_WHITESPACE.search(value):
        return _("“{value}” begins or ends with a space, which HubSpot rejects for this kind of property.").format(
            value=value)
    if kind == "number":
        try:
            if Decimal(value).is_finite():
                return ""
        except InvalidOperation:
            pass
        return _("“{value}” is not a number, so HubSpot will reject it.").format(value=value)
    if kind == "enumeration":
        options = definition.get("options") or []
        chosen = value.split(MULTI_VALUE_SEPARATOR) if field_type == "checkbox" else [value]
        unknown = [c for c in chosen if c not in options]
        if unknown:
            return _("“{value}” is not one of the options of this property in HubSpot ({options}). Please map it "
                     "onto an option with the value mapping of this row.").format(
                value=unknown[0], options=", ".join(options[:12]) + (", …" if len(options) > 12 else "") or "–")
        return ""
    if kind == "bool":
        if value not in ("true", "false"):
            return _("HubSpot only accepts “true” or “false” here, not “{value}”.").format(value=value)
        return ""
    if kind == "date":
        parsed = _parse(value)
        if parsed is not None and parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc)
        if parsed is None or (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) != (0, 0, 0, 0):
            return _("HubSpot only accepts a date (YYYY-MM-DD) here, not “{value}”.").format(value=value)
        return ""
    if kind == "datetime":
        if _parse(value) is None:
            return _("HubSpot only accepts a date and time (ISO 8601) here, not “{value}”.").format(value=value)
        return ""
    return ""


def _parse(value):
    if _EPOCH_MILLISECONDS.match(value):
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


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
    """One preview of one order. Uses a fresh ``HubSpotSync`` of the event, and never calls its writing steps."""

    def __init__(self, event, order, mappings=None):
        self.event = event
        self.sync = HubSpotSync(event)
        if mappings is not None:
            self.sync._mappings = list(mappings)
        self.preview = OrderPreview(order)

    def build(self):
        preview = self.preview
        sync = self.sync
        if not sync.mappings:
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
        [order] = sync._load_orders([preview.order.pk])
        preview.order = order
        outcome = OrderOutcome(order)
        outcomes = {order.pk: outcome}
        previous = sync._previous_results(outcomes)
        for mapping in sync.mappings:
            preview.mappings.append(self.preview_mapping(mapping, outcome, outcomes, previous))
        return preview

    def preview_mapping(self, mapping, outcome, outcomes, previous):
        sync = self.sync
        result = MappingPreview(mapping)
        object_type = mapping.external_object_type
        errors_before = len(outcome.errors)
        try:
            sync._build_objects(mapping, outcomes, previous)
        except BaseSyncError as e:  # HubSpot's property definitions could not be read
            self.mapping_errors(result, messages_of(e))
            return result
        self.mapping_errors(result, [m for e in outcome.errors[errors_before:] for m in messages_of(e)])
        entries = outcome.objects.get(mapping.id, [])
        objects = [o for o in entries if o is not None]
        definitions = sync.property_definitions(object_type)
        unique = None
        how, group_of = {}, {}
        if objects:
            try:
                groups, unique, read_properties = sync.plan_mapping(mapping, objects)
            except BaseSyncError as e:
                self.mapping_errors(result, messages_of(e))
                return result
            updates, upserts, creates = plan_writes(object_type, groups, mapping.external_id_field, unique)
            for prop, items in upserts.items():
                for item in items:
                    how[id(item.key)] = ("upsert", prop, item.id_value)
            for item in creates:
                how[id(item.key)] = ("create", None, item.id_value)
            for group in groups:
                for obj in group.objects:
                    group_of[id(obj)] = group
                group.problems = {name: value_problem(name, value, definitions.get(name), object_type)
                                  for name, value in group.changes.items()}
        result.finding = self.finding(mapping, unique)

        targets = self.targets(mapping, outcome.order)
        for target, obj in zip(targets, entries):
            group = group_of.get(id(obj)) if obj is not None else None
            result.records.append(self.record(mapping, target, obj, group, definitions, how, bool(result.errors)))
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
        if unique or (mapping.external_object_type == HUBSPOT_CONTACTS and id_property == "email"):
            ways.append(_("the HubSpot property “{name}”").format(name=id_property))
        if mapping.external_object_type == HUBSPOT_CONTACTS and id_property != "email":
            ways.append(_("the e-mail address"))
        text = _("The sync looks the record up by {ways}.").format(ways=_(", then by ").join(ways))
        if unique is False:
            text += " " + _("“{name}” does not require unique values in HubSpot, so the sync cannot look records up "
                            "by it and creates a new record for every order it has not transferred before.").format(
                name=id_property)
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
        by_id = {m.id: m for m in self.sync.mappings}
        return [_("“{mapping}” ({label})").format(mapping=by_id[row.to_mapping], label=row.label or _("no label"))
                for row in rows_of(mapping) if row.to_mapping in by_id]

    def record(self, mapping, position, obj, group, definitions, how, mapping_failed):
        sync = self.sync
        order = self.preview.order
        title = self.title(order, position)
        if obj is None:
            if mapping_failed:
                return RecordPreview(title, ERROR, errors=[_("Not transferred because of the error above.")])
            field = sync.data_fields.get(mapping.pretix_id_field)
            return RecordPreview(title, SKIP, how=_(
                "pretix has no value for the identifier “{field}”, so the sync transfers nothing for this one."
            ).format(field=field.label if field else mapping.pretix_id_field))

        record = RecordPreview(title, ERROR, id_value=obj.id_value, record_id=obj.record_id)
        if obj.error is not None:
            for m in messages_of(sync._object_error(obj)):
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
            }.get(obj.matched_by) or _("Found by “{name}” = {value}.").format(name=obj.matched_by,
                                                                              value=obj.id_value)
        else:
            kind, prop, value = how.get(id(group), ("create", None, None))
            if kind == "upsert":
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
            definition = definitions.get(name) or {}
            sent = group.changes[name] if name in group.changes else None
            data_field = sync.data_fields.get(source)
            if source is None:
                source = str(_("Event currency") if name in CURRENCY_PROPERTIES.values() else _("One per ticket"))
            row = PropertyPreview(
                name=name, label=definition.get("label") or name,
                source=str(data_field.label) if data_field else source, mode=mode, value=value,
                # HubSpot answers null for an empty property of a record it has
                current=None if group.is_new else (group.current.get(name) or ""), sent=sent,
                effect=effect(group, name, value, mode, sent), is_identifier=index == 0,
            )
            if sent is not None:
                row.problem = group.problems.get(name, "")
                if row.problem:
                    self.preview.report(sync._message(order, mapping, self.field_name(name, definition),
                                                      row.problem))
            record.properties.append(row)
        return record

    @staticmethod
    def field_name(name, definition):
        label = definition.get("label")
        return "{} ({})".format(label, name) if label and label != name else name


def preview_order(event, order, mappings=None):
    """What the sync would do with ``order`` for each of the event's mappings (or the given ones). Writes nothing."""
    return PreviewBuilder(event, order, mappings).build()
