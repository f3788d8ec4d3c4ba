"""Associations v4 between records (default and labelled, single and batch); types and labels: ``crm_labels``."""
import time

from . import account_rules, crm_labels, defaults, errors, standard_objects
from .routing import route
from .timeutil import iso

HUBSPOT_DEFINED = crm_labels.HUBSPOT_DEFINED


def type_id_for(portal, from_type, to_type):
    """The pair's unlabelled type id, or None where the two types cannot be associated."""
    spec = crm_labels.unlabelled(portal, from_type, to_type)
    return spec["typeId"] if spec else None


def associate(portal, from_type, from_id, to_type, to_id, type_id=None, category=HUBSPOT_DEFINED, label=None):
    """
    Stores an association in both directions (HubSpot always keeps the inverse, with its own type id). A labelled
    type comes with the pair's unlabelled one, as in HubSpot, where every associated pair has the unlabelled type.
    """
    base = crm_labels.unlabelled(portal, from_type, to_type)
    specs = [base]
    if type_id is not None and type_id != base["typeId"]:
        specs.append(crm_labels.find(portal, from_type, to_type, category, type_id))
    forward = portal.associations.setdefault((from_type, str(from_id), to_type, str(to_id)), {})
    backward = portal.associations.setdefault((to_type, str(to_id), from_type, str(from_id)), {})
    for spec in specs:
        forward[spec["typeId"]] = (spec["category"], spec["label"])
        inverse = crm_labels.find(portal, to_type, from_type, spec["category"], spec["inverse"])
        backward[inverse["typeId"]] = (inverse["category"], inverse["label"])


def dissociate(portal, from_type, from_id, to_type, to_id):
    portal.associations.pop((from_type, str(from_id), to_type, str(to_id)), None)
    portal.associations.pop((to_type, str(to_id), from_type, str(from_id)), None)


def remove_label(portal, from_type, from_id, to_type, to_id, spec):
    """Takes one type off an association (and its inverse); removing the unlabelled type removes the association."""
    if spec["label"] is None:
        dissociate(portal, from_type, from_id, to_type, to_id)
        return
    forward = portal.associations.get((from_type, str(from_id), to_type, str(to_id)), {})
    backward = portal.associations.get((to_type, str(to_id), from_type, str(from_id)), {})
    forward.pop(spec["typeId"], None)
    backward.pop(spec["inverse"], None)


def associated(portal, from_type, from_id, to_type):
    """``[(to_id, {type_id: (category, label)})]`` for live (not archived) targets, oldest association first."""
    targets = portal.records.get(to_type, {})
    return [
        (key[3], types) for key, types in portal.associations.items()
        if key[0] == from_type and key[1] == str(from_id) and key[2] == to_type
        and key[3] in targets and not targets[key[3]].archived
    ]


def check_pair(ctx, from_type, to_type):
    if type_id_for(ctx.portal, from_type, to_type) is None:
        raise errors.validation_error(f"No association types exist between {from_type} and {to_type}.")


def check_spec(portal, from_type, to_type, spec, context=None):
    """A ``{"associationCategory", "associationTypeId"}`` of this pair (its type), or a 400."""
    category = spec.get("associationCategory")
    type_id = spec.get("associationTypeId")
    found = crm_labels.find(portal, from_type, to_type, category, type_id)
    if found is None:
        raise errors.validation_error(
            f"Association type {category}/{type_id} is not valid from {from_type} to {to_type}.",
            context=dict(context or {}, associationTypeId=[str(type_id)]),
        )
    return found


def check_single_parent(portal, from_type, from_id, to_type, to_id, context=None, pending=()):
    """A line item belongs to exactly one deal: associating it with a second one is refused (400)."""
    if {from_type, to_type} != {standard_objects.LINE_ITEMS, defaults.DEALS}:
        return
    item, deal = (from_id, to_id) if from_type == standard_objects.LINE_ITEMS else (to_id, from_id)
    parents = {d for d, _ in associated(portal, standard_objects.LINE_ITEMS, item, defaults.DEALS)}
    parents |= {d for i, d in pending if i == str(item)}
    others = sorted(parents - {str(deal)})
    if others:
        raise errors.validation_error(
            f"Line item {item} is already associated with deal {others[0]}; a line item belongs to one deal only.",
            context=dict(context or {}, lineItemId=[str(item)], dealId=[others[0]]))


def live_record(ctx, object_type, record_id):
    record = ctx.portal.records[object_type].get(str(record_id))
    if record is None or record.archived:
        return None
    return record


def check_inline(ctx, from_type, associations, context=None):
    """Validates ``associations`` of a create input; returns ``[(to_type, to_id, type_id, category)]``."""
    checked = []
    for association in associations or []:
        to_id = str((association.get("to") or {}).get("id", ""))
        for spec in association.get("types") or []:
            category, type_id = spec.get("associationCategory"), spec.get("associationTypeId")
            to_type = crm_labels.target_of(ctx.portal, from_type, category, type_id)
            if to_type is None:
                raise errors.validation_error(
                    f"{category} {type_id} is not a valid association type from {from_type}.", context=context)
            if live_record(ctx, to_type, to_id) is None:
                raise errors.validation_error(
                    f"Could not find {to_type} record {to_id} to associate with.", context=context)
            if to_type == defaults.DEALS and from_type == standard_objects.LINE_ITEMS:
                if any(t == defaults.DEALS and i != to_id for t, i, _, _ in checked):
                    raise errors.validation_error("A line item belongs to one deal only.", context=context)
            checked.append((to_type, to_id, type_id, category))
    return checked


def _singular(portal, object_type):
    if object_type in portal.schemas:
        return portal.schemas[object_type]["name"]
    return standard_objects.SINGULAR.get(object_type) or object_type.rstrip("s")


def v3_associations(ctx, from_type, from_id, to_names):
    """The ``associations`` block of a v3 object read."""
    portal = ctx.portal
    block = {}
    for name in to_names:
        try:
            to_type = ctx.object_type(name)
        except errors.HubSpotError:
            continue
        if type_id_for(portal, from_type, to_type) is None:
            continue
        label = f"{_singular(portal, from_type)}_to_{_singular(portal, to_type)}"
        results = [{"id": to_id, "type": label} for to_id, _ in associated(portal, from_type, from_id, to_type)]
        if results:
            block[name] = {"results": results}
    return block


def _types_json(types):
    return [{"category": category, "typeId": type_id, "label": label} for type_id, (category, label) in types.items()]


def _default_result(portal, from_type, from_id, to_type, to_id):
    spec = crm_labels.unlabelled(portal, from_type, to_type)
    return {"from": {"id": str(from_id)}, "to": {"id": str(to_id)},
            "associationSpec": {"associationCategory": spec["category"], "associationTypeId": spec["typeId"]}}


def _labels_result(portal, from_type, from_id, to_type, to_id, specs):
    return {"fromObjectTypeId": defaults.OBJECT_TYPE_IDS[from_type], "fromObjectId": str(from_id),
            "toObjectTypeId": defaults.OBJECT_TYPE_IDS[to_type], "toObjectId": str(to_id),
            "labels": [s["label"] for s in specs if s["label"] is not None]}


# --- single ----------------------------------------------------------------------------------------------------------

def _check_records(ctx, from_type, from_id, to_type, to_id):
    for object_type, record_id in ((from_type, from_id), (to_type, to_id)):
        if live_record(ctx, object_type, record_id) is None:
            raise errors.not_found(f"No {object_type} record with id {record_id}.")


@route("/crm/v4/objects/<from_name>/<from_id>/associations/default/<to_name>/<to_id>", ["PUT"])
def create_default(ctx, from_name, from_id, to_name, to_id):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    _check_records(ctx, from_type, from_id, to_type, to_id)
    check_single_parent(ctx.portal, from_type, from_id, to_type, to_id)
    associate(ctx.portal, from_type, from_id, to_type, to_id)
    results = [_default_result(ctx.portal, from_type, from_id, to_type, to_id),
               _default_result(ctx.portal, to_type, to_id, from_type, from_id)]
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
    _check_records(ctx, from_type, from_id, to_type, to_id)
    found = [check_spec(ctx.portal, from_type, to_type, spec) for spec in specs]
    check_single_parent(ctx.portal, from_type, from_id, to_type, to_id)
    for spec in found:
        associate(ctx.portal, from_type, from_id, to_type, to_id, spec["typeId"], spec["category"])
    return 201, _labels_result(ctx.portal, from_type, from_id, to_type, to_id, found)


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


def _ids(item):
    return str((item.get("from") or {}).get("id", "")), str((item.get("to") or {}).get("id", ""))


@route("/crm/v4/associations/<from_name>/<to_name>/batch/associate/default", ["POST"])
def batch_create_default(ctx, from_name, to_name):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    pairs = [_ids(i) for i in _batch_inputs(ctx)]
    missing = sorted({f for f, _ in pairs if live_record(ctx, from_type, f) is None}
                     | {t for _, t in pairs if live_record(ctx, to_type, t) is None})
    if missing:
        # The documented response of this endpoint has no multi-status form: unknown ids fail the request.
        raise errors.validation_error(f"Could not find some records to associate: {', '.join(missing)}",
                                      context={"ids": missing})
    pending = []
    for from_id, to_id in pairs:
        check_single_parent(ctx.portal, from_type, from_id, to_type, to_id, pending=pending)
        pending.append((from_id, to_id) if from_type == standard_objects.LINE_ITEMS else (to_id, from_id))
    results = []
    for from_id, to_id in pairs:
        associate(ctx.portal, from_type, from_id, to_type, to_id)
        results.append(_default_result(ctx.portal, from_type, from_id, to_type, to_id))
    return 200, {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}


@route("/crm/v4/associations/<from_name>/<to_name>/batch/create", ["POST"])
def batch_create(ctx, from_name, to_name):
    """
    Labelled associations. Unknown records come back in ``errors[]`` (207) while the others are written; an unknown
    type id or a type of another pair fails the whole batch (400), as a malformed request would.
    """
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    inputs = _batch_inputs(ctx)
    planned = []
    for index, item in enumerate(inputs):
        types = item.get("types") or []
        if not types:
            raise errors.validation_error("Each input needs at least one association type.",
                                          context={"inputIndex": [str(index)]})
        planned.append((item, [check_spec(ctx.portal, from_type, to_type, t, {"inputIndex": [str(index)]})
                               for t in types]))
    results, failures, pending = [], [], []
    for item, specs in planned:
        from_id, to_id = _ids(item)
        if live_record(ctx, from_type, from_id) is None or live_record(ctx, to_type, to_id) is None:
            gone_type, gone_id = ((from_type, from_id) if live_record(ctx, from_type, from_id) is None
                                  else (to_type, to_id))
            failures.append(_missing_error(gone_type, [gone_id]))
            continue
        try:
            check_single_parent(ctx.portal, from_type, from_id, to_type, to_id, pending=pending)
        except errors.HubSpotError as e:
            failures.append({"status": "error", "category": e.category, "message": e.message,
                             "context": e.context or {}})
            continue
        pending.append((from_id, to_id) if from_type == standard_objects.LINE_ITEMS else (to_id, from_id))
        for spec in specs:
            associate(ctx.portal, from_type, from_id, to_type, to_id, spec["typeId"], spec["category"])
        results.append(_labels_result(ctx.portal, from_type, from_id, to_type, to_id, specs))
    body = {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}
    if failures:
        body["errors"] = failures
        body["numErrors"] = len(failures)
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
    account_rules.check_association_permission(ctx, from_type, to_type)
    for item in _batch_inputs(ctx):
        from_id = str((item.get("from") or {}).get("id", ""))
        for target in item.get("to") or []:
            dissociate(ctx.portal, from_type, from_id, to_type, str(target.get("id", "")))
    return 204, None


@route("/crm/v4/associations/<from_name>/<to_name>/batch/labels/archive", ["POST"])
def batch_archive_labels(ctx, from_name, to_name):
    """
    Takes the given types off associations, keeping the association (its unlabelled type) unless that very type is
    named. Answers 204; an unknown type id or a type of another pair fails the whole batch (400).
    """
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    ctx.require_scopes(f"crm.objects.{from_type}.write", f"crm.objects.{to_type}.write")
    check_pair(ctx, from_type, to_type)
    account_rules.check_association_permission(ctx, from_type, to_type)
    planned = []
    for index, item in enumerate(_batch_inputs(ctx)):
        specs = [check_spec(ctx.portal, from_type, to_type, t, {"inputIndex": [str(index)]})
                 for t in item.get("types") or []]
        planned.append((_ids(item), specs))
    for (from_id, to_id), specs in planned:
        for spec in specs:
            remove_label(ctx.portal, from_type, from_id, to_type, to_id, spec)
    return 204, None


def _now():
    return iso(time.time())
