"""
The rules HubSpot applies to a value written into a property, in one place.

The transfer leaves checking values to HubSpot, which would only complain on the write. The preview checks every value
it would send with these rules, and the mapping editor checks the values of a value mapping with them, so the editor,
the preview and the transfer agree on what HubSpot accepts.
"""
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ..models import HUBSPOT_CONTACTS
from .properties import (
    MAX_TEXT_LENGTH, MULTI_VALUE_SEPARATOR, TYPE_BOOL, TYPE_DATE, TYPE_DATETIME, TYPE_ENUMERATION, TYPE_NUMBER,
    TYPE_STRING,
)

EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z0-9-]{2,}$")
# Leading or trailing whitespace, including the invisible kinds (no-break and zero-width spaces).
EDGE_WHITESPACE = re.compile(r"^[\s\u00a0\u200b\u200c\u200d\ufeff]|[\s\u00a0\u200b\u200c\u200d\ufeff]$")
EPOCH_MILLISECONDS = re.compile(r"^-?\d{1,15}$")
BOOL_VALUES = ("true", "false")


def is_number(value):
    """A number HubSpot accepts: decimal digits, no spaces around, finite."""
    value = str(value)
    if EDGE_WHITESPACE.search(value):
        return False
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def is_bool(value):
    return str(value) in BOOL_VALUES


def unknown_options(prop, value):
    """The parts of ``value`` that are no option of the enumeration ``prop`` (a multi-select takes several)."""
    chosen = str(value).split(MULTI_VALUE_SEPARATOR) if prop.field_type == "checkbox" else [str(value)]
    accepted = prop.accepted_values
    return [c for c in chosen if c not in accepted]


def parse_date(value):
    if EPOCH_MILLISECONDS.match(value):
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def value_problem(prop, value, object_type):
    """Why HubSpot would reject ``value`` for the property ``prop``, in plain words, or "" when it would accept it."""
    if prop is None:
        return _("HubSpot has no such property (any more). Please check the mapping in Settings → HubSpot.")
    if prop.read_only:
        return _("HubSpot does not allow writing to this property. Please choose another one in the mapping.")
    if value in ("", None):
        return ""  # clears the value, always accepted
    value = str(value)
    kind = prop.type or TYPE_STRING
    if kind == TYPE_STRING:
        if len(value) > MAX_TEXT_LENGTH:
            return _("The value is longer than the {limit} characters HubSpot accepts.").format(limit=MAX_TEXT_LENGTH)
        if prop.name == "email" and object_type == HUBSPOT_CONTACTS and not EMAIL.match(value):
            return _("“{value}” is not a valid e-mail address, so HubSpot will reject it.").format(value=value)
        return ""
    if EDGE_WHITESPACE.search(value):
        return _("“{value}” begins or ends with a space, which HubSpot rejects for this kind of property.").format(
            value=value)
    if kind == TYPE_NUMBER:
        if is_number(value):
            return ""
        return _("“{value}” is not a number, so HubSpot will reject it.").format(value=value)
    if kind == TYPE_ENUMERATION:
        unknown = unknown_options(prop, value)
        if unknown:
            options = prop.option_values
            return _("“{value}” is not one of the options of this property in HubSpot ({options}). Please map it "
                     "onto an option with the value mapping of this row.").format(
                value=unknown[0], options=", ".join(options[:12]) + (", …" if len(options) > 12 else "") or "–")
        return ""
    if kind == TYPE_BOOL:
        if not is_bool(value):
            return _("HubSpot only accepts “true” or “false” here, not “{value}”.").format(value=value)
        return ""
    if kind == TYPE_DATE:
        parsed = parse_date(value)
        if parsed is not None and parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc)
        if parsed is None or (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) != (0, 0, 0, 0):
            return _("HubSpot only accepts a date (YYYY-MM-DD) here, not “{value}”.").format(value=value)
        return ""
    if kind == TYPE_DATETIME:
        if parse_date(value) is None:
            return _("HubSpot only accepts a date and time (ISO 8601) here, not “{value}”.").format(value=value)
        return ""
    return ""
