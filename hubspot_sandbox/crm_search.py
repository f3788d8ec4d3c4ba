"""CRM search: filterGroups (OR of ANDed filters), free-text query, sorts, paging; eventually consistent."""
import fnmatch
import re
import time
from decimal import Decimal, InvalidOperation

from . import defaults, errors
from .crm_objects import record_json
from .routing import route
from .timeutil import epoch_ms

MAX_LIMIT = 200
MAX_RESULTS = 10000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
OPERATORS = ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
             "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")


def _comparable(definition, value):
    """Numbers compare as numbers, dates as instants, everything else case-insensitively as text."""
    if value is None:
        return None
    kind = definition["type"] if definition else "string"
    if kind == "number":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if kind in ("date", "datetime"):
        return epoch_ms(str(value))
    return str(value).lower()


def _tokens(value):
    return [t for t in re.split(r"[^\w@.+-]+|(?<=\w)[.@](?=\w)", value.lower()) if t] + [value.lower()]


def _matches(flt, props, definitions):
    name = flt.get("propertyName")
    operator = flt.get("operator", "EQ")
    definition = definitions.get(name)
    raw = props.get(name)
    present = raw not in (None, "")
    if operator == "HAS_PROPERTY":
        return present
    if operator == "NOT_HAS_PROPERTY":
        return not present
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(flt.get("value", "")).lower()
        found = present and any(fnmatch.fnmatchcase(token, pattern) for token in _tokens(str(raw)))
        return found if operator == "CONTAINS_TOKEN" else not found
    actual = _comparable(definition, raw) if present else None
    if operator in ("IN", "NOT_IN"):
        if definition and definition["type"] == "enumeration" and definition["fieldType"] == "checkbox" and present:
            chosen = {v.lower() for v in str(raw).split(";")}
            wanted = {str(v).lower() for v in flt.get("values") or []}
            hit = bool(chosen & wanted)
        else:
            hit = present and actual in {_comparable(definition, v) for v in flt.get("values") or []}
        return hit if operator == "IN" else not hit
    expected = _comparable(definition, flt.get("value"))
    if operator == "EQ":
        return present and actual == expected
    if operator == "NEQ":
        return not (present and actual == expected)
    if not present or actual is None or expected is None:
        return False
    try:
        if operator == "LT":
            return actual < expected
        if operator == "LTE":
            return actual <= expected
        if operator == "GT":
            return actual > expected
        if operator == "GTE":
            return actual >= expected
        if operator == "BETWEEN":
            high = _comparable(definition, flt.get("highValue"))
            return high is not None and expected <= actual <= high
    except TypeError:
        return False
    return False


def _sort_key(definition, raw):
    value = _comparable(definition, raw) if raw not in (None, "") else None
    return (1, "") if value is None else (0, value)


def _query_matches(query, props, object_type):
    words = query.lower().split()
    haystack = []
    for name in defaults.QUERY_PROPERTIES[object_type]:
        if props.get(name):
            haystack.extend(_tokens(str(props[name])))
    return all(any(token.startswith(word) for token in haystack) for word in words)


def _check_request(body, definitions):
    if not isinstance(body, dict):
        raise errors.validation_error("Invalid input JSON: expected an object")
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS:
        raise errors.validation_error(f"Too many filter groups ({len(groups)}); the limit is {MAX_GROUPS}.")
    total = 0
    for group in groups:
        filters = group.get("filters") or []
        total += len(filters)
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise errors.validation_error(f"Too many filters in a group ({len(filters)}); the limit is "
                                          f"{MAX_FILTERS_PER_GROUP}.")
        for flt in filters:
            if flt.get("operator", "EQ") not in OPERATORS:
                raise errors.validation_error(f"Unknown operator: {flt.get('operator')}")
            if flt.get("propertyName") not in definitions:
                raise errors.validation_error(f"There was a problem with the request: unknown property "
                                              f"{flt.get('propertyName')!r}")
    if total > MAX_FILTERS:
        raise errors.validation_error(f"Too many filters ({total}); the limit is {MAX_FILTERS}.")
    try:
        limit = int(body.get("limit", 10))
        after = int(body.get("after") or 0)
    except (TypeError, ValueError):
        raise errors.validation_error("limit and after must be numbers")
    if limit > MAX_LIMIT or limit < 0:
        raise errors.validation_error(f"limit must be between 0 and {MAX_LIMIT}")
    if after + limit > MAX_RESULTS:
        raise errors.validation_error(f"Search returns at most {MAX_RESULTS} results per query.")
    if len(body.get("query") or "") > 3000:
        raise errors.validation_error("query is longer than 3000 characters")
    return groups, limit, after


@route("/crm/v3/objects/<type_name>/search", ["POST"], search=True)
def search(ctx, type_name):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.read")
    body = ctx.json()
    definitions = ctx.portal.properties[object_type]
    groups, limit, after = _check_request(body, definitions)
    now = time.time()
    hits = []
    for record in ctx.portal.records[object_type].values():
        view = record.search_view(now)
        if view is None or view[1]:
            continue  # not yet indexed, or archived
        props = view[0]
        if groups and not any(all(_matches(f, props, definitions) for f in g.get("filters") or []) for g in groups):
            continue
        if body.get("query") and not _query_matches(body["query"], props, object_type):
            continue
        hits.append((record, props))
    for sort in reversed(body.get("sorts") or []):
        if isinstance(sort, str):
            name, descending = sort.lstrip("-"), sort.startswith("-")
        else:
            name, descending = sort.get("propertyName"), sort.get("direction", "ASCENDING") == "DESCENDING"
        definition = definitions.get(name)
        hits.sort(key=lambda hit: _sort_key(definition, hit[1].get(name)), reverse=descending)
    properties = body.get("properties") or defaults.DEFAULT_RETURNED[object_type]
    page = hits[after:after + limit]
    result = {
        "total": len(hits),
        "results": [record_json(record, properties, ctx.portal, props_override=props) for record, props in page],
    }
    if after + limit < len(hits):
        result["paging"] = {"next": {"after": str(after + limit)}}
    return 200, result
