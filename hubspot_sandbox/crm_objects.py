"""
CRM v3 objects (contacts, deals, companies, line items, products, tickets, custom objects): single reads and writes,
batches, listing. Search lives in ``crm_search``, per-type rules in ``object_rules``.
"""
import time

from . import account_rules, crm_associations, defaults, errors, object_rules, standard_objects, validation
from .routing import route
from .state import Record
from .timeutil import iso

BATCH_LIMIT = 100
TYPE_LABELS = {defaults.CONTACTS: "Contact", defaults.DEALS: "Deal", **standard_objects.LABELS}
UPPER_NAMES = {defaults.CONTACTS: "CONTACT", defaults.DEALS: "DEAL", **standard_objects.UPPER_NAMES}


# --- records ---------------------------------------------------------------------------------------------------------

def record_json(record, properties, portal, props_override=None):
    """
    A record in HubSpot's ``SimplePublicObject`` shape. ``properties``: the names to return (HubSpot adds its
    always-returned ones; requested but unset names come back as null); None returns everything stored.
    """
    stored = record.properties if props_override is None else props_override
    if properties is None:
        values = dict(stored)
    else:
        names = list(dict.fromkeys(list(properties) + list(defaults.ALWAYS_RETURNED[record.object_type])))
        known = portal.properties[record.object_type]
        values = {name: stored.get(name) for name in names if name in known}
    body = {"id": record.id, "properties": values, "createdAt": iso(record.created_at),
            "updatedAt": iso(record.updated_at), "archived": record.archived}
    if record.archived:
        body["archivedAt"] = iso(record.archived_at)
    return body


def store_new_record(sandbox, portal, object_type, values, search_lag=None, record_id=None):
    now = time.time()
    record = Record(id=str(record_id or sandbox.state.next_id()), object_type=object_type, properties={},
                    created_at=now, updated_at=now)
    values = dict(values)
    if object_type == defaults.DEALS:
        values.setdefault("pipeline", "default")
    if object_type == defaults.CONTACTS and values.get("email"):
        values["email"] = values["email"].lower()
    record.properties.update(values)
    record.properties["hs_object_id"] = record.id
    record.properties[defaults.CREATED.get(object_type, "createdate")] = iso(now)
    record.properties[defaults.LAST_MODIFIED[object_type]] = iso(now)
    object_rules.derive(record)
    lag = sandbox.search_lag if search_lag is None else search_lag
    record.remember_for_search(now + lag)
    portal.records[object_type][record.id] = record
    return record


def apply_update(sandbox, record, values):
    now = time.time()
    record.properties.update(values)
    object_rules.derive(record)
    record.updated_at = now
    record.properties[defaults.LAST_MODIFIED[record.object_type]] = iso(now)
    record.remember_for_search(now + sandbox.search_lag)


def archive_record(sandbox, record):
    now = time.time()
    record.archived = True
    record.archived_at = now
    record.updated_at = now
    record.remember_for_search(now + sandbox.search_lag)


def unique_names(portal, object_type):
    names = [n for n, p in portal.properties[object_type].items() if p["hasUniqueValue"]]
    if object_type == defaults.CONTACTS:
        names.insert(0, "email")
    return names


def _same(name, a, b):
    if name == "email":
        return a.lower() == b.lower()
    return a == b


def find_by_property(portal, object_type, name, value):
    if value in (None, ""):
        return None
    for record in portal.records[object_type].values():
        if record.archived:
            continue
        stored = record.properties.get(name)
        if stored and _same(name, stored, str(value)):
            return record
    return None


def find_conflict(portal, object_type, values, exclude_id=None):
    """``(property, existing record)`` when a write would give a unique value (or contact e-mail) a second owner."""
    for name in unique_names(portal, object_type):
        value = values.get(name)
        existing = find_by_property(portal, object_type, name, value)
        if existing is not None and existing.id != exclude_id:
            return name, existing
    return None


def conflict_error(object_type, name, existing, context=None):
    """409 CONFLICT naming the record that already owns the value (contacts' e-mail, or any unique property)."""
    return errors.HubSpotError(
        409, f"{TYPE_LABELS.get(object_type, 'Object')} already exists. Existing ID: {existing.id}", "CONFLICT",
        context=dict(context or {}, propertyName=[name], existingId=[existing.id]) if name != "email" else context,
    )


def lookup(ctx, object_type, record_id, id_property=None, archived=False):
    """The record for a path id, by record id or by ``idProperty`` (e-mail or a unique-value property)."""
    portal = ctx.portal
    if id_property and id_property != "hs_object_id":
        definition = portal.properties[object_type].get(id_property)
        if definition is None:
            raise errors.validation_error(f'Property "{id_property}" does not exist')
        if id_property not in unique_names(portal, object_type):
            raise errors.validation_error(
                f"Unable to perform lookup by non-unique {defaults.OBJECT_TYPE_IDS[object_type]} property: "
                f"{id_property}")
        record = find_by_property(portal, object_type, id_property, record_id)
    else:
        record = portal.records[object_type].get(str(record_id))
    if record is None or record.archived != archived:
        return None
    return record


def validate_or_raise(ctx, object_type, properties, context=None):
    values, problems = validation.validate(ctx.portal, object_type, properties or {})
    if problems:
        raise errors.property_validation_error(problems, ctx.portal.portal_id, context)
    return values


def _returned(object_type, values):
    return [name for name, value in values.items() if value != ""] + list(defaults.ALWAYS_RETURNED[object_type])


def _check_batch(ctx, body_key="inputs"):
    body = ctx.json()
    if not isinstance(body, dict) or not isinstance(body.get(body_key), list):
        raise errors.validation_error(f"Invalid input JSON: {body_key} is required")
    inputs = body[body_key]
    if len(inputs) > BATCH_LIMIT:
        raise errors.validation_error(f"Batch input size {len(inputs)} exceeds the limit of {BATCH_LIMIT}.",
                                      context={"limit": [str(BATCH_LIMIT)]})
    return body, inputs


def _input_context(item, index):
    trace = item.get("objectWriteTraceId") if isinstance(item, dict) else None
    return {"objectWriteTraceId": [str(trace)]} if trace else {"inputIndex": [str(index)]}


def _batch_body(results, failures, started):
    body = {"status": "COMPLETE", "results": results, "startedAt": iso(started), "completedAt": iso(time.time())}
    if failures:
        body["errors"] = failures
        body["numErrors"] = len(failures)
    return body


def _standard_error(exc, context):
    return {"status": "error", "category": exc.category, "message": exc.message,
            "context": dict(exc.context or {}, **context), "errors": exc.errors or []}


# --- single records --------------------------------------------------------------------------------------------------

@route("/crm/v3/objects/<type_name>", ["POST"])
def create(ctx, type_name):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.write")
    body = ctx.json()
    if not isinstance(body, dict):
        raise errors.validation_error("Invalid input JSON: expected an object")
    values = validate_or_raise(ctx, object_type, body.get("properties"))
    account_rules.check_required(ctx, object_type, None, values)
    conflict = find_conflict(ctx.portal, object_type, values)
    if conflict:
        raise conflict_error(object_type, *conflict)
    links = crm_associations.check_inline(ctx, object_type, body.get("associations"))
    record = store_new_record(ctx.sandbox, ctx.portal, object_type, values)
    for to_type, to_id, type_id, category in links:
        crm_associations.associate(ctx.portal, object_type, record.id, to_type, to_id, type_id, category)
    return 201, record_json(record, _returned(object_type, values), ctx.portal)


@route("/crm/v3/objects/<type_name>/<record_id>", ["GET"])
def get(ctx, type_name, record_id):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.read")
    record = lookup(ctx, object_type, record_id, ctx.request.args.get("idProperty"), ctx.query_bool("archived"))
    if record is None:
        raise errors.not_found()
    body = record_json(record, ctx.query_list("properties") or defaults.DEFAULT_RETURNED[object_type], ctx.portal)
    associations = crm_associations.v3_associations(ctx, object_type, record.id, ctx.query_list("associations"))
    if associations:
        body["associations"] = associations
    return 200, body


@route("/crm/v3/objects/<type_name>/<record_id>", ["PATCH"])
def update(ctx, type_name, record_id):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.write")
    body = ctx.json()
    record = lookup(ctx, object_type, record_id, ctx.request.args.get("idProperty"))
    if record is None:
        raise errors.not_found()
    values = validate_or_raise(ctx, object_type, (body or {}).get("properties"))
    account_rules.check_required(ctx, object_type, record, values)
    conflict = find_conflict(ctx.portal, object_type, values, exclude_id=record.id)
    if conflict:
        raise conflict_error(object_type, *conflict)
    apply_update(ctx.sandbox, record, values)
    return 200, record_json(record, _returned(object_type, values), ctx.portal)


@route("/crm/v3/objects/<type_name>/<record_id>", ["DELETE"])
def archive(ctx, type_name, record_id):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.write")
    record = ctx.portal.records[object_type].get(str(record_id))
    if record is not None and not record.archived:
        archive_record(ctx.sandbox, record)
    return 204, None


@route("/crm/v3/objects/<type_name>", ["GET"])
def get_page(ctx, type_name):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.read")
    try:
        limit = min(int(ctx.request.args.get("limit", 10)), 100)
        start = int(ctx.request.args.get("after", 0) or 0)
    except ValueError:
        raise errors.validation_error("limit and after must be numbers")
    archived = ctx.query_bool("archived")
    records = [r for r in ctx.portal.records[object_type].values() if r.archived == archived]
    properties = ctx.query_list("properties") or defaults.DEFAULT_RETURNED[object_type]
    body = {"results": [record_json(r, properties, ctx.portal) for r in records[start:start + limit]]}
    if start + limit < len(records):
        body["paging"] = {"next": {"after": str(start + limit)}}
    return 200, body


# --- batches ---------------------------------------------------------------------------------------------------------

@route("/crm/v3/objects/<type_name>/batch/read", ["POST"])
def batch_read(ctx, type_name):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.read")
    started = time.time()
    body, inputs = _check_batch(ctx)
    id_property = body.get("idProperty")
    properties = body.get("properties") or defaults.DEFAULT_RETURNED[object_type]
    results, missing = [], []
    for item in inputs:
        value = str((item or {}).get("id", ""))
        record = lookup(ctx, object_type, value, id_property, ctx.query_bool("archived"))
        if record is None:
            missing.append(value)
        elif record.id not in {r["id"] for r in results}:
            results.append(record_json(record, properties, ctx.portal))
    failures = []
    if missing:
        failures.append({
            "status": "error", "category": "OBJECT_NOT_FOUND",
            "message": f"Could not get some {UPPER_NAMES.get(object_type, object_type.upper())} objects, they may be deleted or not exist. "
                       f"Check that ids are valid.",
            "context": {"ids": missing},
        })
    return (207 if failures else 200), _batch_body(results, failures, started)


@route("/crm/v3/objects/<type_name>/batch/create", ["POST"])
def batch_create(ctx, type_name):
    """
    All inputs are checked before anything is stored. Without ``objectWriteTraceId`` on every input, one bad input
    fails the whole batch (409 for a duplicate, 400 for invalid values); with them, bad inputs come back in
    ``errors[]`` (207) and the others are created.
    """
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.write")
    started = time.time()
    _, inputs = _check_batch(ctx)
    multi_status = bool(inputs) and all(isinstance(i, dict) and i.get("objectWriteTraceId") for i in inputs)
    accepted, failures, claimed = [], [], {}
    for index, item in enumerate(inputs):
        context = _input_context(item, index)
        try:
            if not isinstance(item, dict):
                raise errors.validation_error("Each input must be an object", context=context)
            values = validate_or_raise(ctx, object_type, item.get("properties"), context)
            account_rules.check_required(ctx, object_type, None, values, context)
            conflict = find_conflict(ctx.portal, object_type, values)
            if conflict:
                raise conflict_error(object_type, *conflict, context=context)
            for name in unique_names(ctx.portal, object_type):
                value = values.get(name)
                if value:
                    key = (name, value.lower() if name == "email" else value)
                    if key in claimed:
                        raise errors.validation_error(
                            f"Duplicate values for unique property {name} in batch input: {value}",
                            context=dict(context, propertyName=[name]))
                    claimed[key] = index
            links = crm_associations.check_inline(ctx, object_type, item.get("associations"), context)
            accepted.append((values, links))
        except errors.HubSpotError as e:
            if not multi_status:
                raise
            failures.append(_standard_error(e, context))
    results = []
    for values, links in accepted:
        record = store_new_record(ctx.sandbox, ctx.portal, object_type, values)
        for to_type, to_id, type_id, category in links:
            crm_associations.associate(ctx.portal, object_type, record.id, to_type, to_id, type_id, category)
        results.append(record_json(record, _returned(object_type, values), ctx.portal))
    return (207 if failures else 201), _batch_body(results, failures, started)


@route("/crm/v3/objects/<type_name>/batch/update", ["POST"])
def batch_update(ctx, type_name):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.write")
    started = time.time()
    _, inputs = _check_batch(ctx)
    planned, missing, seen = [], [], set()
    for index, item in enumerate(inputs):
        context = _input_context(item, index)
        id_property = item.get("idProperty")
        if id_property == "email" and object_type == defaults.CONTACTS:
            raise errors.validation_error(
                "Unable to perform update/upsert by non-unique 0-1 property: email. Use the record id or upsert.",
                context=context)
        record = lookup(ctx, object_type, str(item.get("id", "")), id_property)
        if record is None:
            missing.append(str(item.get("id", "")))
            continue
        if record.id in seen:
            raise errors.validation_error(f"Duplicate IDs found in batch input: [{record.id}]", context=context)
        seen.add(record.id)
        values = validate_or_raise(ctx, object_type, item.get("properties"), context)
        account_rules.check_required(ctx, object_type, record, values, context)
        conflict = find_conflict(ctx.portal, object_type, values, exclude_id=record.id)
        if conflict:
            raise conflict_error(object_type, *conflict, context=context)
        planned.append((record, values))
    results = []
    for record, values in planned:
        apply_update(ctx.sandbox, record, values)
        results.append(record_json(record, _returned(object_type, values), ctx.portal))
    failures = []
    if missing:
        failures.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                         "message": f"Could not get some {UPPER_NAMES.get(object_type, object_type.upper())} objects, they may be deleted or "
                                    f"not exist. Check that ids are valid.", "context": {"ids": missing}})
    return (207 if failures else 200), _batch_body(results, failures, started)


@route("/crm/v3/objects/<type_name>/batch/upsert", ["POST"])
def batch_upsert(ctx, type_name):
    """Creates or updates by a unique property (or contacts' e-mail); ``new`` tells which happened."""
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.write")
    started = time.time()
    _, inputs = _check_batch(ctx)
    allowed = unique_names(ctx.portal, object_type)
    planned, targets = [], {}
    for index, item in enumerate(inputs):
        context = _input_context(item, index)
        id_property, value = item.get("idProperty"), str(item.get("id", "") or "")
        if not id_property or not value:
            raise errors.validation_error("Each upsert input needs id and idProperty.", context=context)
        if id_property not in ctx.portal.properties[object_type]:
            raise errors.validation_error(f'Property "{id_property}" does not exist', context=context)
        if id_property not in allowed:
            raise errors.validation_error(
                f"Unable to perform update/upsert by non-unique {defaults.OBJECT_TYPE_IDS[object_type]} property: "
                f"{id_property}", context=context)
        values = validate_or_raise(ctx, object_type, item.get("properties"), context)
        id_values, id_problems = validation.validate(ctx.portal, object_type, {id_property: value})
        if id_problems:
            raise errors.property_validation_error(id_problems, ctx.portal.portal_id, context)
        record = find_by_property(ctx.portal, object_type, id_property, value)
        target = record.id if record else (id_property, id_values[id_property])
        if target in targets:
            raise errors.validation_error(f"Duplicate IDs found in batch input: [{value}]", context=context)
        targets[target] = index
        values = dict(values)
        if record is None:
            values[id_property] = id_values[id_property]
        account_rules.check_required(ctx, object_type, record, values, context)
        conflict = find_conflict(ctx.portal, object_type, values, exclude_id=record.id if record else None)
        if conflict:
            raise conflict_error(object_type, *conflict, context=context)
        planned.append((record, values, id_property))
    results = []
    for record, values, id_property in planned:
        if record is None:
            record = store_new_record(ctx.sandbox, ctx.portal, object_type, values)
            new = True
        else:
            apply_update(ctx.sandbox, record, values)
            new = False
        result = record_json(record, [id_property] + _returned(object_type, values), ctx.portal)
        result["new"] = new
        results.append(result)
    return 200, _batch_body(results, [], started)


@route("/crm/v3/objects/<type_name>/batch/archive", ["POST"])
def batch_archive(ctx, type_name):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.objects.{object_type}.write")
    _, inputs = _check_batch(ctx)
    for item in inputs:
        record = ctx.portal.records[object_type].get(str((item or {}).get("id", "")))
        if record is not None and not record.archived:
            archive_record(ctx.sandbox, record)
    return 204, None
