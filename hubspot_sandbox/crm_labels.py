"""
Association types and labels (HubSpot's association schema API): the HUBSPOT_DEFINED types per object pair, custom
(USER_DEFINED) labels an account creates, and the unlabelled types of custom objects.

- ``GET /crm/v4/associations/{from}/{to}/labels`` (dated: ``/crm/associations/{version}/…/labels``) lists every type
  of the pair as ``{"category", "typeId", "label"}``: the unlabelled default type first (``label: null``), then
  HubSpot's labelled ones (the "Primary" company), then the account's own labels, oldest first. A pair without
  associations (e.g. line items and contacts) lists nothing.
- ``POST …/labels`` ``{"label", "name", "inverseLabel"?}`` creates a label (two type ids, one per direction) and
  answers 200 with both specs. Custom labels exist only on Professional and Enterprise accounts; other tiers get 403
  (category FORBIDDEN, subCategory ``ASSOCIATION_LABELS_NOT_AVAILABLE``: HubSpot documents the tier requirement, the
  answer's exact form is the sandbox's). Labels are supported between contacts, companies, deals, tickets and custom
  objects; other pairs give 400. A ``name`` already used for the pair gives 409 CONFLICT.
- ``PUT …/labels`` ``{"associationTypeId", "label", "inverseLabel"?}`` renames a custom label and ``DELETE
  …/labels/{associationTypeId}`` deletes it (both directions; associations keep their other types); both answer 204,
  and HubSpot's own or unlabelled types give 404.
- Type ids (HubSpot's documented table): contact→company 279 (unlabelled) / 1 (Primary), company→contact 280 / 2,
  deal→contact 3, contact→deal 4, deal→company 341 / 5 (Primary), company→deal 342 / 6, contact→ticket 15,
  ticket→contact 16, ticket→company 339 / 26 (Primary), company→ticket 340 / 25, deal→ticket 27, ticket→deal 28,
  deal→line item 19, line item→deal 20. The labels of the primary types changed over time ("Primary Company", then
  "<Object> with Primary Company"); HubSpot says to rely on type ids only, and the sandbox calls them "Primary".
"""
import re

from . import defaults, errors, standard_objects
from .routing import route

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"
LABEL_TIERS = ("professional", "enterprise")

_C, _CO, _D = defaults.CONTACTS, standard_objects.COMPANIES, defaults.DEALS
_T, _L = standard_objects.TICKETS, standard_objects.LINE_ITEMS
# (from, to) → [(type id, label, inverse type id)], the unlabelled type first.
HUBSPOT_TYPES = {
    (_C, _CO): [(279, None, 280), (1, "Primary", 2)],
    (_CO, _C): [(280, None, 279), (2, "Primary", 1)],
    (_D, _C): [(3, None, 4)],
    (_C, _D): [(4, None, 3)],
    (_D, _CO): [(341, None, 342), (5, "Primary", 6)],
    (_CO, _D): [(342, None, 341), (6, "Primary", 5)],
    (_C, _T): [(15, None, 16)],
    (_T, _C): [(16, None, 15)],
    (_T, _CO): [(339, None, 340), (26, "Primary", 25)],
    (_CO, _T): [(340, None, 339), (25, "Primary", 26)],
    (_D, _T): [(27, None, 28)],
    (_T, _D): [(28, None, 27)],
    (_D, _L): [(19, None, 20)],
    (_L, _D): [(20, None, 19)],
}
LABELLED_STANDARD_TYPES = (_C, _CO, _D, _T)
_NAME = re.compile(r"^[a-z0-9_]{1,100}$", re.IGNORECASE)


def _spec(category, type_id, label, inverse, name=None):
    return {"category": category, "typeId": type_id, "label": label, "inverse": inverse, "name": name}


def pair_types(portal, from_type, to_type):
    """Every association type from ``from_type`` to ``to_type`` in this account, the unlabelled one first."""
    types = [_spec(HUBSPOT_DEFINED, t, label, inverse) for t, label, inverse in
             HUBSPOT_TYPES.get((from_type, to_type), [])]
    return types + [dict(s) for s in portal.association_labels.get((from_type, to_type), [])]


def unlabelled(portal, from_type, to_type):
    for spec in pair_types(portal, from_type, to_type):
        if spec["label"] is None:
            return spec
    return None


def find(portal, from_type, to_type, category, type_id):
    for spec in pair_types(portal, from_type, to_type):
        if spec["category"] == category and spec["typeId"] == type_id:
            return spec
    return None


def target_of(portal, from_type, category, type_id):
    """The object type an association type leads to from ``from_type`` (inline associations name no target type)."""
    pairs = set(HUBSPOT_TYPES) | set(portal.association_labels)
    for source, target in pairs:
        if source == from_type and find(portal, source, target, category, type_id):
            return target
    return None


def public(spec):
    return {"category": spec["category"], "typeId": spec["typeId"], "label": spec["label"]}


def add_pair(portal, from_type, to_type, label=None, inverse_label=None, name=None, state=None, category=USER_DEFINED):
    """Creates an association type and its inverse (a custom label, or a custom object's unlabelled type)."""
    forward, backward = next(state.association_type_ids), next(state.association_type_ids)
    portal.association_labels.setdefault((from_type, to_type), []).append(
        _spec(category, forward, label, backward, name))
    portal.association_labels.setdefault((to_type, from_type), []).append(
        _spec(category, backward, inverse_label if inverse_label is not None else label, forward, name))
    return find(portal, from_type, to_type, category, forward), find(portal, to_type, from_type, category, backward)


def labels_supported(portal, object_type):
    return object_type in LABELLED_STANDARD_TYPES or object_type in portal.schemas


# --- endpoints -------------------------------------------------------------------------------------------------------

def _pair(ctx, from_name, to_name):
    from_type, to_type = ctx.object_type(from_name), ctx.object_type(to_name)
    return from_type, to_type


@route("/crm/v4/associations/<from_name>/<to_name>/labels", ["GET"])
def get_labels(ctx, from_name, to_name):
    from_type, to_type = _pair(ctx, from_name, to_name)
    ctx.require_any_scope(f"crm.objects.{from_type}.read", f"crm.schemas.{from_type}.read")
    return 200, {"results": [public(s) for s in pair_types(ctx.portal, from_type, to_type)]}


@route("/crm/v4/associations/<from_name>/<to_name>/labels", ["POST"])
def create_label(ctx, from_name, to_name):
    from_type, to_type = _pair(ctx, from_name, to_name)
    ctx.require_scopes(f"crm.schemas.{from_type}.write")
    if ctx.portal.tier not in LABEL_TIERS:
        raise errors.HubSpotError(
            403, "Custom association labels are available on Professional and Enterprise subscriptions only.",
            "FORBIDDEN", sub_category="ASSOCIATION_LABELS_NOT_AVAILABLE")
    if not (labels_supported(ctx.portal, from_type) and labels_supported(ctx.portal, to_type)):
        raise errors.validation_error(
            f"Association labels are not supported between {from_type} and {to_type}.")
    body = ctx.json()
    if not isinstance(body, dict) or not str(body.get("label") or "").strip() or not body.get("name"):
        raise errors.validation_error("An association label needs a label and a name.")
    name = str(body["name"])
    if not _NAME.match(name):
        raise errors.validation_error(f"Invalid association label name {name!r}: use letters, digits and "
                                      f"underscores, at most 100 characters.")
    if any(s["name"] == name for s in ctx.portal.association_labels.get((from_type, to_type), [])):
        raise errors.HubSpotError(409, f"An association label named {name} already exists between {from_type} "
                                       f"and {to_type}.", "CONFLICT")
    forward, backward = add_pair(ctx.portal, from_type, to_type, str(body["label"]), body.get("inverseLabel"),
                                 name, ctx.state)
    return 200, {"results": [public(forward), public(backward)]}


def _own_label(ctx, from_type, to_type, type_id):
    """A custom label of this pair by its type id (HubSpot's own types and unlabelled types cannot be changed)."""
    try:
        type_id = int(type_id)
    except (TypeError, ValueError):
        raise errors.validation_error(f"Invalid association type id {type_id}.")
    spec = find(ctx.portal, from_type, to_type, USER_DEFINED, type_id)
    if spec is None or spec["label"] is None:
        raise errors.not_found(f"No custom association label {type_id} exists between {from_type} and {to_type}.")
    return spec


@route("/crm/v4/associations/<from_name>/<to_name>/labels", ["PUT"])
def update_label(ctx, from_name, to_name):
    from_type, to_type = _pair(ctx, from_name, to_name)
    ctx.require_scopes(f"crm.schemas.{from_type}.write")
    body = ctx.json()
    if not isinstance(body, dict) or not str(body.get("label") or "").strip():
        raise errors.validation_error("An association label needs a label.")
    spec = _own_label(ctx, from_type, to_type, body.get("associationTypeId"))
    for stored in ctx.portal.association_labels[(from_type, to_type)]:
        if stored["typeId"] == spec["typeId"]:
            stored["label"] = str(body["label"])
    if body.get("inverseLabel"):
        for stored in ctx.portal.association_labels[(to_type, from_type)]:
            if stored["typeId"] == spec["inverse"]:
                stored["label"] = str(body["inverseLabel"])
    for key, types in ctx.portal.associations.items():
        for type_id, (category, _) in list(types.items()):
            if category == USER_DEFINED and type_id in (spec["typeId"], spec["inverse"]):
                pair = (key[0], key[2])
                types[type_id] = (category, find(ctx.portal, *pair, USER_DEFINED, type_id)["label"])
    return 204, None


@route("/crm/v4/associations/<from_name>/<to_name>/labels/<type_id>", ["DELETE"])
def delete_label(ctx, from_name, to_name, type_id):
    """Deletes a custom label (both directions); associations keep their other types."""
    from_type, to_type = _pair(ctx, from_name, to_name)
    ctx.require_scopes(f"crm.schemas.{from_type}.write")
    spec = _own_label(ctx, from_type, to_type, type_id)
    ids = (spec["typeId"], spec["inverse"])
    for pair in ((from_type, to_type), (to_type, from_type)):
        ctx.portal.association_labels[pair] = [s for s in ctx.portal.association_labels.get(pair, [])
                                               if s["typeId"] not in ids]
    for types in ctx.portal.associations.values():
        for type_id in ids:
            if types.get(type_id, (None,))[0] == USER_DEFINED:
                del types[type_id]
    return 204, None
