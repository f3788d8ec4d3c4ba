"""Property values as HubSpot checks them on writes: existence, read-only, and per-type format rules."""
import re
from decimal import Decimal, InvalidOperation

from .timeutil import iso_from_datetime, parse_datetime

MAX_TEXT_LENGTH = 65536
# HubSpot's own check is stricter; this one catches what integrations typically get wrong.
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z0-9-]{2,}$")
# Leading/trailing whitespace including the invisible kinds HubSpot's check names (no-break space, zero-width …).
_EDGE_WS = re.compile(r"^[\s\u00a0\u200b\u200c\u200d\ufeff]|[\s\u00a0\u200b\u200c\u200d\ufeff]$")


def as_text(value):
    """HubSpot accepts JSON numbers and booleans for property values and stores them as strings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def problem(name, code, message):
    return {"name": name, "code": code, "message": message}


def validate(portal, object_type, properties):
    """
    Returns ``(values, problems)``: ``values`` normalised as HubSpot stores them, ``problems`` a list of
    ``{"name", "code", "message"}`` (empty if the write may go ahead).
    """
    definitions = portal.properties[object_type]
    values, problems = {}, []
    if not isinstance(properties, dict):
        return {}, [problem("properties", "INVALID_INPUT", "properties must be an object")]
    for name, raw in properties.items():
        value = as_text(raw)
        definition = definitions.get(name)
        if definition is None:
            problems.append(problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        if definition["modificationMetadata"]["readOnlyValue"]:
            problems.append(problem(name, "READ_ONLY_VALUE",
                                    f'"{name}" is a read only property; its value cannot be set.'))
            continue
        if value == "":
            values[name] = ""  # clears the value
            continue
        stored, issue = _check_value(name, value, definition, object_type)
        if issue:
            problems.append(issue)
        else:
            values[name] = stored
    return values, problems


def _check_value(name, value, definition, object_type):
    type_ = definition["type"]
    if type_ == "string":
        if len(value) > MAX_TEXT_LENGTH:
            return None, problem(name, "MAX_LENGTH_EXCEEDED",
                                 f'Property "{name}" value is {len(value)} characters long; the maximum is '
                                 f"{MAX_TEXT_LENGTH}.")
        if name == "email" and object_type == "contacts":
            if not _EMAIL.match(value):
                return None, problem(name, "INVALID_EMAIL", f"Email address {value} is invalid")
            return value.lower(), None
        return value, None
    # Since 2025 HubSpot refuses leading/trailing whitespace in every non-string value.
    if _EDGE_WS.search(value):
        return None, problem(name, "LEADING_TRAILING_WHITESPACE", f'"{value}" includes leading or trailing whitespace.')
    if type_ == "number":
        try:
            number = Decimal(value)
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            code = "INVALID_DECIMAL" if any(c in value for c in ".,") else "INVALID_INTEGER"
            return None, problem(name, code, f'"{value}" is not a valid number.')
        return value, None
    if type_ == "enumeration":
        allowed = [o["value"] for o in definition["options"]]
        chosen = value.split(";") if definition["fieldType"] == "checkbox" else [value]
        for option in chosen:
            if option not in allowed:
                listing = ", ".join(f'label: "{o["label"]}" value: "{o["value"]}"' for o in definition["options"])
                return None, problem(name, "INVALID_OPTION",
                                     f"{option} was not one of the allowed options: [{listing}]")
        return value, None
    if type_ == "bool":
        if value not in ("true", "false"):
            return None, problem(name, "INVALID_BOOLEAN", f'"{value}" is not a valid boolean; use "true" or "false".')
        return value, None
    if type_ == "date":
        dt = parse_datetime(value)
        if dt is None or (dt.hour, dt.minute, dt.second, dt.microsecond) != (0, 0, 0, 0):
            return None, problem(name, "INVALID_DATE",
                                 f"{value} is at {dt.strftime('%H:%M:%S') if dt else 'no valid time'} UTC, not midnight"
                                 f" UTC; date properties take midnight UTC (epoch milliseconds) or YYYY-MM-DD.")
        return dt.strftime("%Y-%m-%d"), None
    if type_ == "datetime":
        dt = parse_datetime(value)
        if dt is None:
            return None, problem(name, "INVALID_DATE", f"{value} is not a valid ISO 8601 datetime or epoch milliseconds.")
        return iso_from_datetime(dt), None
    return value, None
