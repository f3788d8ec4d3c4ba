"""Timestamps as HubSpot writes them (ISO 8601, milliseconds, Z) and reads them (ISO 8601 or epoch milliseconds)."""
import re
from datetime import datetime, timezone

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH_MS = re.compile(r"^-?\d+$")


def iso(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_datetime(value: str):
    """Returns a UTC datetime for an ISO 8601 value or epoch milliseconds, or None if it is neither."""
    if _EPOCH_MS.match(value):
        try:
            return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if _DATE.match(value):
        try:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def iso_from_datetime(dt: datetime) -> str:
    return iso(dt.timestamp())


def epoch_ms(value: str):
    dt = parse_datetime(value)
    return None if dt is None else int(dt.timestamp() * 1000)
