"""
pretix values → the strings HubSpot accepts for a property of a given type.

HubSpot takes every value as a string. Dates must be midnight UTC (sent as ``YYYY-MM-DD``), datetimes ISO 8601,
numbers and booleans as their text, multi-select values joined with ``;``. Since 2025 HubSpot rejects values with
leading or trailing whitespace, and text is limited to 65,536 characters.
"""
import logging
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

from ..hubspot_api.properties import (  # noqa: F401 (the transfer's callers know them from here)
    MAX_TEXT_LENGTH, MULTI_VALUE_SEPARATOR,
)

logger = logging.getLogger(__name__)

# "1E+400000" is a valid decimal, but written out it would be 400,000 digits.
MAX_NUMBER_EXPONENT = 1000
TRUE_WORDS = {"true", "yes", "1", "on", "y"}
FALSE_WORDS = {"false", "no", "0", "off", "n", ""}


def _parse_datetime(text):
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _format_date(value, tz):
    if isinstance(value, datetime):
        if value.tzinfo is not None and tz is not None:
            value = value.astimezone(tz)
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    parsed = _parse_datetime(value)
    if parsed is None:
        return value
    if len(value) <= 10:  # a plain date
        return parsed.date().isoformat()
    return _format_date(parsed, tz)


def _format_datetime(value, tz):
    if isinstance(value, str):
        parsed = _parse_datetime(value)
        if parsed is None:
            return value
        if len(value) <= 10:
            return parsed.date().isoformat()
        value = parsed
    elif not isinstance(value, datetime):  # a date
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or timezone.utc)
    # HubSpot keeps milliseconds; sending the same precision keeps "write only what changes" exact.
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "{:03d}Z".format(value.microsecond // 1000)


def _format_number(text):
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or abs(number.adjusted()) > MAX_NUMBER_EXPONENT:
        return text  # not a number HubSpot can hold: sent as it is, so HubSpot's refusal names it
    # Formatted, not computed: pretix does not limit the digits of a number answer, while decimal arithmetic rounds
    # at 28 digits (or raises). "f" also avoids exponents, which HubSpot rejects in number properties.
    digits = format(number, "f")
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return digits


def to_hubspot(value, prop=None, tz=None):
    """
    Returns ``(text, truncated)`` for one value. ``prop`` is HubSpot's property (``properties.HubSpotProperty``), if
    known; ``tz`` the event's time zone, for dates that come as datetimes.
    """
    hs_type = getattr(prop, "type", None)
    field_type = getattr(prop, "field_type", None)
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, (list, tuple)):
        value = MULTI_VALUE_SEPARATOR.join(str(v).strip() for v in value if v is not None and str(v).strip())
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = str(value)

    if hs_type == "date" and value != "":
        return _format_date(value, tz), False
    if hs_type == "datetime" and value != "":
        return _format_datetime(value, tz), False
    if isinstance(value, (date, datetime)):
        return (_format_datetime(value, tz) if isinstance(value, datetime) else value.isoformat()), False

    text = str(value).strip()
    if hs_type == "number" and text:
        return _format_number(text), False
    if hs_type == "bool" or field_type == "booleancheckbox":
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return "true", False
        if lowered in FALSE_WORDS:
            return ("false" if text else ""), False
        return text, False
    if hs_type == "enumeration" and MULTI_VALUE_SEPARATOR in text:
        text = MULTI_VALUE_SEPARATOR.join(part.strip() for part in text.split(MULTI_VALUE_SEPARATOR) if part.strip())
    if len(text) > MAX_TEXT_LENGTH:
        return text[:MAX_TEXT_LENGTH].rstrip(), True
    return text, False


def same_value(a, b):
    """Whether two HubSpot values are the same for "write only what changes" (HubSpot returns None for empty)."""
    a = "" if a is None else str(a)
    b = "" if b is None else str(b)
    if a == b:
        return True
    if "@" in a and "@" in b:
        return a.lower() == b.lower()
    da, db = _parse_datetime(a), _parse_datetime(b)
    if da and db and len(a) > 10 and len(b) > 10 and da.tzinfo and db.tzinfo:
        return abs((da - db).total_seconds()) < 0.001
    try:
        return Decimal(a) == Decimal(b)
    except (InvalidOperation, ValueError):
        return False
