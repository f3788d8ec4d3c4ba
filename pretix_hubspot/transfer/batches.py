"""
HubSpot's batch endpoints (≤100 inputs per request), with one bad input never failing its neighbours.

Each function returns one outcome per input: the record HubSpot wrote or found, or the error that concerns only
that input. When HubSpot rejects a whole batch because of one input (a 400 or 409 for the batch, or a property the
account's rules require), the batch is split in halves until the bad input stands alone; its neighbours are written
and only it carries HubSpot's reason.
Temporary and configuration errors concern every input of the request and are reported for all of them.
"""
import uuid
from dataclasses import dataclass, field
from typing import Optional

from ..hubspot_api.errors import HubSpotRejected, error_from_body

BATCH_SIZE = 100
# Association batches take more inputs than record batches (HubSpot's v4 association batch create takes up to 2,000
# pairs, batch read up to 1,000): a chunk's pairs of two mappings go out in one request even where each order has
# several tickets. Removals stay at 100 per request.
ASSOCIATION_BATCH_SIZE = 1000


def chunks(items, size=BATCH_SIZE):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def normalize_key(value, id_property=None):
    value = "" if value is None else str(value).strip()
    return value.lower() if id_property == "email" or "@" in value else value


def _get(obj, name):
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def as_record(obj):
    """SDK model or dict → ``{"id", "properties", "new"}``."""
    props = _get(obj, "properties") or {}
    return {"id": str(_get(obj, "id")), "properties": dict(props), "new": _get(obj, "new")}


@dataclass
class WriteItem:
    key: object  # the caller's handle for this input
    properties: dict
    record_id: Optional[str] = None  # update: the record
    id_value: Optional[str] = None  # upsert: the value of id_property; create: the identifier's value
    trace_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # create: associations written with the record (HubSpot's ``associations`` of a create input)
    associations: Optional[list] = None

    def body(self, kind, id_property):
        if kind == "update":
            return {"id": self.record_id, "properties": self.properties}
        if kind == "upsert":
            return {"id": self.id_value, "idProperty": id_property, "properties": self.properties,
                    "objectWriteTraceId": self.trace_id}
        body = {"properties": self.properties, "objectWriteTraceId": self.trace_id}
        if self.associations:
            body["associations"] = self.associations
        return body


def read_records(api, object_type, values, id_property=None, properties=()):
    """
    Finds records by ID or, with ``id_property``, by a unique property (or ``email`` for contacts). Returns
    ``{normalized value: record}``; values HubSpot does not know are missing from the result.
    """
    found = {}
    wanted = list(dict.fromkeys(normalize_key(v, id_property) for v in values if v))
    props = sorted(set(properties) | ({id_property} if id_property else set()))
    for chunk in chunks(wanted):
        body = {"inputs": [{"id": v} for v in chunk], "properties": props, "propertiesWithHistory": []}
        if id_property:
            body["idProperty"] = id_property
        response = api.call(api.sdk.crm.objects.batch_api.read, object_type, body)
        requested = set(chunk)
        for obj in _get(response, "results") or []:
            record = as_record(obj)
            if id_property:
                key = normalize_key(record["properties"].get(id_property), id_property)
            else:
                key = record["id"]
            if key in requested:
                found[key] = record
    return found


def write_records(api, kind, object_type, items, id_property=None, match_property=None):
    """
    ``kind`` is ``update`` (by record ID), ``upsert`` (by ``id_property``) or ``create``. Returns
    ``{item.key: record or exception}``. ``match_property`` tells which returned property identifies a created
    record's input.
    """
    outcome = {}
    sdk = api.sdk_no_resend if kind == "create" else api.sdk
    fn = getattr(sdk.crm.objects.batch_api, kind)

    def send(batch):
        response = api.call(fn, object_type, {"inputs": [item.body(kind, id_property) for item in batch]})
        return _match_results(kind, batch, response, id_property, match_property)

    for chunk in chunks(items):
        _send_isolated(send, chunk, outcome)
    return outcome


def associate_default(api, from_type, to_type, pairs):
    """Creates HubSpot's default association for each ``(from id, to id)``. Returns ``{pair: True or exception}``."""
    outcome = {}
    fn = api.sdk.crm.associations.v4.batch_api.create_default

    def send(batch):
        api.call(fn, from_type, to_type, {"inputs": [{"from": {"id": f}, "to": {"id": t}} for f, t in batch]})
        return {pair: True for pair in batch}, []

    for chunk in chunks(list(dict.fromkeys(pairs)), ASSOCIATION_BATCH_SIZE):
        _send_isolated(send, chunk, outcome, key=lambda pair: pair)
    return outcome


def associate_labelled(api, from_type, to_type, category, type_id, pairs):
    """Creates the association of one labelled type for each ``(from id, to id)``. Returns ``{pair: True or exception}``."""
    fn = api.sdk.crm.associations.v4.batch_api.create
    types = [{"associationCategory": category, "associationTypeId": type_id}]
    return _pairs_request(api, fn, from_type, to_type,
                          lambda f, t: {"from": {"id": f}, "to": {"id": t}, "types": types}, pairs,
                          ASSOCIATION_BATCH_SIZE)


def archive_associations(api, from_type, to_type, pairs, category="", type_id=None):
    """
    Removes associations: with ``type_id`` only that label (``batch/labels/archive``; the records stay associated
    by their other types), without it every association between the two records (``batch/archive``).
    """
    if type_id is None:
        fn = api.sdk.crm.associations.v4.batch_api.archive

        def body(f, t):
            return {"from": {"id": f}, "to": [{"id": t}]}
    else:
        fn = api.sdk.crm.associations.v4.batch_api.archive_labels
        types = [{"associationCategory": category, "associationTypeId": type_id}]

        def body(f, t):
            return {"from": {"id": f}, "to": {"id": t}, "types": types}
    return _pairs_request(api, fn, from_type, to_type, body, pairs)


def _pairs_request(api, fn, from_type, to_type, body, pairs, size=BATCH_SIZE):
    outcome = {}

    def send(batch):
        response = api.call(fn, from_type, to_type, {"inputs": [body(f, t) for f, t in batch]})
        errors = list(_get(response, "errors") or [])
        if not errors:
            return {pair: True for pair in batch}, []
        if len(batch) == 1:
            return {}, [(batch[0], _batch_error(errors[0]))]
        return {}, [(pair, None) for pair in batch]  # asked again one by one, to find the input HubSpot meant

    for chunk in chunks(list(dict.fromkeys(pairs)), size):
        _send_isolated(send, chunk, outcome, key=lambda pair: pair)
    return outcome


def _send_isolated(send, batch, outcome, key=lambda item: item.key):
    try:
        results, leftovers = send(batch)
    except Exception as e:
        if not (isinstance(e, HubSpotRejected) or getattr(e, "concerns_input", False)):
            # temporary or configuration problems concern the whole request
            for item in batch:
                outcome[key(item)] = e
            return
        if len(batch) == 1:
            outcome[key(batch[0])] = e
            return
        middle = len(batch) // 2
        _send_isolated(send, batch[:middle], outcome, key)
        _send_isolated(send, batch[middle:], outcome, key)
        return
    outcome.update(results)
    for item, error in leftovers:
        if error is not None:
            outcome[key(item)] = error
        else:
            # HubSpot reported errors we could not attribute: ask again for this input alone.
            _send_isolated(send, [item], outcome, key)


def _match_results(kind, batch, response, id_property, match_property):
    results = {}
    by_record_id = {item.record_id: item for item in batch if item.record_id}
    by_value = {normalize_key(item.id_value, id_property): item for item in batch if item.id_value}
    unmatched_records = []
    for obj in _get(response, "results") or []:
        record = as_record(obj)
        item = None
        if kind == "update":
            item = by_record_id.get(record["id"])
        else:
            prop = id_property if kind == "upsert" else match_property
            if prop:
                item = by_value.get(normalize_key(record["properties"].get(prop), prop))
        if item is not None and item.key not in results:
            results[item.key] = record
        else:
            unmatched_records.append(record)

    errors = list(_get(response, "errors") or [])
    remaining = [item for item in batch if item.key not in results]
    if not errors and len(unmatched_records) == len(remaining):
        # HubSpot answers in input order; use it when the records do not name their input.
        for item, record in zip(remaining, unmatched_records):
            results[item.key] = record
        return results, []

    leftovers = []
    attributed = {}
    for error in errors:
        exc = _batch_error(error)
        context = _get(error, "context") or {}
        mentioned = set()
        for values in context.values():
            for v in values if isinstance(values, (list, tuple)) else [values]:
                mentioned.add(normalize_key(v, id_property))
        for item in remaining:
            handles = {normalize_key(item.record_id), normalize_key(item.id_value, id_property), item.trace_id}
            if mentioned & handles:
                attributed[item.key] = exc
    if len(errors) == 1 and len(remaining) == 1 and not attributed:
        attributed[remaining[0].key] = _batch_error(errors[0])
    for item in remaining:
        leftovers.append((item, attributed.get(item.key)))
    return results, leftovers


def _batch_error(error):
    """One ``errors[]`` item of a 207 answer as one of our errors."""
    status = {"OBJECT_NOT_FOUND": 404, "CONFLICT": 409}.get(_get(error, "category"), 400)
    return error_from_body(status, {
        "message": _get(error, "message") or "",
        "category": _get(error, "category"),
        "context": _get(error, "context") or {},
        "errors": [_detail(d) for d in (_get(error, "errors") or [])],
    })


def _detail(detail):
    if isinstance(detail, dict):
        return detail
    return {"message": _get(detail, "message"), "code": _get(detail, "code"), "in": _get(detail, "_in"),
            "context": _get(detail, "context") or {}}
