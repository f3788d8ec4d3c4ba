"""Associations v4 between contacts and deals (default and labelled, single and batch)."""
import time

from . import account_rules, defaults, errors
from .routing import route
from .timeutil import iso

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"


def type_id_for(from_type, to_type):
    return defaults.ASSOCIATION_TYPE_IDS.get((from_type, to_type))


def associate(portal, from_type, from_id, to_type, to_id, type_id=None, category=HUBSPOT_DEFINED, label=None):
    """Stores an association in both directions (HubSpot always keeps the inverse, with its own type id)."""
    type_id = type_id or type_id_for(from_type, to_type)
    inverse = type_id_for(to_type, from_type)
    portal.associations.setdefault((from_type, str(from_id), to_type, str(to_id)), {})[type_id] = (category, label)
    portal.associations.setdefault((to_type, str(to_id), from_type, str(from_id)), {})[inverse] = (category, label)


def dissociate(portal, from_type, from_id, to_type, to_id):
    portal.associations.pop((from_type, str(from_id), to_type, str(to_id)), None)
    portal.associations.pop((to_type, str(to_id), from_type, str(from_id)), None)


def associated(portal, from_type, from_id, to_type):
    """``[(to_id, {type_id: (category, label)})]`` for live (not archived) targets, oldest association first."""
    targets = portal.records.get(to_type, {})
    return [
        (key[3], types) for key, types in portal.associations.items()
        if key[0] == from_type and key[1] == str(from_id) and key[2] == to_type
        and key[3] in targets and not targets[key[3]].archived
    ]


def check_pair(ctx, from_type, to_type):
    if type_id_for(from_type, to_type) is None:
        raise errors.validation_error(f"No association types exist between {from_type} and {to_type}.")


def check_spec(from_type, to_type, spec):
    """A ``{"associationCategory", "associationTypeId"}`` for this pair, or a 400."""
    category = spec.get("associationCategory")
    type_id = spec.get("associationTypeId")
    if category != HUBSPOT_DEFINED or type_id != type_id_for(from_type, to_type):
        raise errors.validation_error(
            f"Association type {category}/{type_id} is not valid from {from_type} to {to_type}.",
            context={"associationTypeId": [str(type_id)]},
        )
    return type_id


def live_record(ctx, object_type, record_id):
    record = ctx.portal.records[object_type].get(str(record_id))
    if record is None or record.archived:
        return None
    return record


def target_type_for_inline(from_type, type_id):
    for (source, target), known in defaults.ASSOCIATION_TYPE_IDS.items():
        if source == from_type and known == type_id:
            return target
    return None


def check_inline(ctx, from_type, associations, context=None):
    """Validates ``associations`` of a create input; returns ``[(to_type, to_id, type_id)]``."""
    checked = []
    for association in associations or []:
        to_id = str((association.get("to") or {}).get("id", ""))
        for spec in association.get("types") or []:
            to_type = target_type_for_inline(from_type, spec.get("associationTypeId"))
            if to_type is None or spec.get("associationCategory") != HUBSPOT_DEFINED:
                raise errors.validation_error(
                    f"{spec.get('associationCategory')} {spec.get('associationTypeId')} is not a valid association "
                    f"type from {from_type}.", context=context)
            if live_record(ctx, to_type, to_id) is None:
                raise errors.validation_error(
                    f"Could not find {to_type} record {to_id} to associate with.", context=context)
            checked.append((to_type, to_id, spec["associationTypeId"]))
    return checked


def v3_associations(portal, from_type, from_id, to_types):
    """The ``associations`` block of a v3 object read."""
    block = {}
    for name in to_types:
        to_type = defaults.OBJECT_TYPE_ALIASES.get(name.lower())
        if to_type is None or type_id_for(from_type, to_type) is None:
            continue
        label = defaults.ASSOCIATION_TYPE_NAMES[(from_type, to_type)]
        results = [{"id": to_id, "type": label} for to_id, _ in associated(portal, from_type, from_id, to_type)]
        if results:
            block[to_type] = {"results": results}
    return block


def _types_json(types):
    return [{"category": category, "typeId": type_id, "label": label} for type_id, (category, label) in types.items()]


def _default_result(from_type, from_id, to_type, to_id):
    return {"from": {"id": str(from_id)}, "to": {"id": str(to_id)},
            "associationSpec": {"associationCategory": HUBSPOT_DEFINED,
                                "associationTypeId": type_id_for(from_type, to_type)}}


# --- single ----------------------------------------------------------------------------------------------------------

@route("/crm/v4/objects/<from_name>/<from_id>/associations/default/<to_name>/<to_id>", ["PUT"])
def create_default(ctx, from_name, from_id, to_name, to_id):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    for object_type, record_id in ((from_type, from_id), (to_type, to_id)):
        if live_record(ctx, object_type, record_id) is None:
            raise errors.not_found(f"No {object_type} record with id {record_id}.")
    associate(ctx.portal, from_type, from_id, to_type, to_id)
    results = [_default_result(from_type, from_id, to_type, to_id), _default_result(to_type, to_id, from_type, from_id)]
    return 200, {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}


@route("/crm/v4/objects/<from_name>/<from_id>/associations/<to_name>/<to_id>", ["PUT"])
def create_labelled(ctx, from_name, from_id, to_name, to_id):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    specs = ctx.json()
    if not isinstance(specs, list) or not specs:
        raise errors.validation_error("Expected a list of association specs.")
    for object_type, record_id in ((from_type, from_id), (to_type, to_id)):
        if live_record(ctx, object_type, record_id) is None:
            raise errors.not_found(f"No {object_type} record with id {record_id}.")
    for spec in specs:
        associate(ctx.portal, from_type, from_id, to_type, to_id, check_spec(from_type, to_type, spec))
    return 201, {"fromObjectTypeId": defaults.OBJECT_TYPE_IDS[from_type], "fromObjectId": str(from_id),
                 "toObjectTypeId": defaults.OBJECT_TYPE_IDS[to_type], "toObjectId": str(to_id), "labels": []}


@route("/crm/v4/objects/<from_name>/<from_id>/associations/<to_name>/<to_id>", ["DELETE"])
def archive_single(ctx, from_name, from_id, to_name, to_id):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    dissociate(ctx.portal, from_type, from_id, to_type, to_id)
    return 204, None


@route("/crm/v4/objects/<from_name>/<from_id>/associations/<to_name>", ["GET"])
def read_single(ctx, from_name, from_id, to_name):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.read")
    results = [{"toObjectId": to_id, "associationTypes": _types_json(types)}
               for to_id, types in associated(ctx.portal, from_type, from_id, to_type)]
    limit = int(ctx.request.args.get("limit", 500))
    start = int(ctx.request.args.get("after", 0) or 0)
    body = {"results": results[start:start + limit]}
    if start + limit < len(results):
        body["paging"] = {"next": {"after": str(start + limit)}}
    return 200, body


# --- batch -----------------------------------------------------------------------------------------------------------

def _batch_inputs(ctx, limit=2000):
    body = ctx.json()
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list):
        raise errors.validation_error("Invalid input JSON: inputs is required")
    if len(inputs) > limit:
        raise errors.validation_error(f"Batch input size {len(inputs)} exceeds the limit of {limit}.")
    return inputs


def _missing_error(object_type, ids):
    return {"status": "error", "category": "OBJECT_NOT_FOUND",
            "message": f"Could not find some {object_type} records: {', '.join(ids)}", "context": {"ids": ids}}


@route("/crm/v4/associations/<from_name>/<to_name>/batch/associate/default", ["POST"])
def batch_create_default(ctx, from_name, to_name):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    pairs = [(str((i.get("from") or {}).get("id", "")), str((i.get("to") or {}).get("id", "")))
             for i in _batch_inputs(ctx)]
    missing = sorted({f for f, _ in pairs if live_record(ctx, from_type, f) is None}
                     | {t for _, t in pairs if live_record(ctx, to_type, t) is None})
    if missing:
        # The documented response of this endpoint has no multi-status form: unknown ids fail the request.
        raise errors.validation_error(f"Could not find some records to associate: {', '.join(missing)}",
                                      context={"ids": missing})
    results = []
    for from_id, to_id in pairs:
        associate(ctx.portal, from_type, from_id, to_type, to_id)
        results.append(_default_result(from_type, from_id, to_type, to_id))
    return 200, {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}


@route("/crm/v4/associations/<from_name>/<to_name>/batch/create", ["POST"])
def batch_create(ctx, from_name, to_name):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    results, failed = [], []
    for item in _batch_inputs(ctx):
        from_id = str((item.get("from") or {}).get("id", ""))
        to_id = str((item.get("to") or {}).get("id", ""))
        if live_record(ctx, from_type, from_id) is None or live_record(ctx, to_type, to_id) is None:
            failed.append(from_id if live_record(ctx, from_type, from_id) is None else to_id)
            continue
        for spec in item.get("types") or []:
            associate(ctx.portal, from_type, from_id, to_type, to_id, check_spec(from_type, to_type, spec))
        results.append({"fromObjectTypeId": defaults.OBJECT_TYPE_IDS[from_type], "fromObjectId": from_id,
                        "toObjectTypeId": defaults.OBJECT_TYPE_IDS[to_type], "toObjectId": to_id, "labels": []})
    body = {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}
    if failed:
        body["errors"] = [_missing_error(from_type if i in failed else to_type, [i]) for i in failed]
        body["numErrors"] = len(failed)
        return 207, body
    return 201, body


@route("/crm/v4/associations/<from_name>/<to_name>/batch/read", ["POST"])
def batch_read(ctx, from_name, to_name):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.read")
    results, missing = [], []
    for item in _batch_inputs(ctx, limit=1000):
        from_id = str(item.get("id", ""))
        if live_record(ctx, from_type, from_id) is None:
            missing.append(from_id)
            continue
        found = associated(ctx.portal, from_type, from_id, to_type)
        if not found:
            # HubSpot reports a record without associations as an error item, not as an empty result.
            missing.append(from_id)
            continue
        results.append({"from": {"id": from_id},
                        "to": [{"toObjectId": to_id, "associationTypes": _types_json(types)} for to_id, types in found]})
    body = {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}
    if missing:
        body["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                           "message": f"No {to_type} is associated with {from_type} {i}.", "context": {"fromId": [i]}}
                          for i in missing]
        body["numErrors"] = len(missing)
        return 207, body
    return 200, body


@route("/crm/v4/associations/<from_name>/<to_name>/batch/archive", ["POST"])
def batch_archive(ctx, from_name, to_name):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    for item in _batch_inputs(ctx):
        from_id = str((item.get("from") or {}).get("id", ""))
        for target in item.get("to") or []:
            dissociate(ctx.portal, from_type, from_id, to_type, str(target.get("id", "")))
    return 204, None


def _now():
    return iso(time.time())
