"""
Custom objects: HubSpot's schemas API (``/crm-object-schemas/v3/schemas``, dated ``/crm-object-schemas/{version}/
schemas``) and the records of custom object types, which go through the same object, property, search and
association endpoints as HubSpot's own types.

- Custom objects exist on Enterprise accounts only. On other tiers the list answers 200 with no results, a single
  schema 404, and creating one 403 FORBIDDEN (subCategory ``CUSTOM_OBJECTS_NOT_AVAILABLE``; HubSpot documents the
  tier, the form of the refusal is the sandbox's).
- Reading schemas needs ``crm.schemas.custom.read``; creating one ``crm.schemas.custom.write``; records need
  ``crm.objects.custom.read``/``.write`` (the custom scopes stand for every custom type).
- A type is addressed by its ``objectTypeId`` (``2-2101001``), its fully qualified name (``p12345678_badge``) or the
  short form ``p_badge``; the sandbox keys its records by the fully qualified name.
- A schema's ``associatedObjects`` get an unlabelled USER_DEFINED association type per direction (listed by the
  labels endpoint with ``label: null``); custom labels can be added to such a pair like to standard ones.
- Records have ``hs_object_id``, ``hs_createdate`` and ``hs_lastmodifieddate``; the schema's ``requiredProperties``
  are required on creation (``object_rules``).
"""
import copy
import time

from . import crm_labels, defaults, errors
from .routing import route
from .timeutil import iso

ENTERPRISE = "enterprise"


def resolve(portal, name):
    """The fully qualified name of a custom type of this account named by ``name``, or None."""
    wanted = name.lower()
    for fqn, schema in portal.schemas.items():
        if wanted in (fqn.lower(), schema["objectTypeId"], "p_" + schema["name"].lower()):
            return fqn
    return None


def _association_name(from_name, to_name):
    return f"{from_name}_to_{to_name}".upper()


def create_schema(state, portal, body, created=None):
    """Stores a custom object type from an ``ObjectSchemaEgg``-shaped dict and returns its schema JSON."""
    created = created or time.time()
    name = str(body.get("name") or "").lower()
    labels = body.get("labels") or {}
    if not name or not labels.get("singular") or not labels.get("plural"):
        raise errors.validation_error("A custom object schema needs a name and singular and plural labels.")
    if not body.get("primaryDisplayProperty"):
        raise errors.validation_error("primaryDisplayProperty is required.")
    fqn = f"p{portal.portal_id}_{name}"
    if fqn in portal.schemas:
        raise errors.HubSpotError(409, f"Object type {name} already exists.", "CONFLICT")
    group = f"{name}_information"
    properties = [
        defaults.make_property("hs_object_id", "Record ID", "number", "number", group, read_only=True, created=created),
        defaults.make_property("hs_createdate", "Create Date", "datetime", "date", group, read_only=True,
                               created=created),
        defaults.make_property("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", group,
                               read_only=True, created=created),
    ]
    for prop in body.get("properties") or []:
        options = [{"label": o.get("label", o["value"]), "value": o["value"], "displayOrder": i, "hidden": False}
                   for i, o in enumerate(prop.get("options") or [])]
        properties.append(defaults.make_property(
            prop["name"], prop.get("label") or prop["name"], prop.get("type", "string"),
            prop.get("fieldType", "text"), group, opts=options, unique=bool(prop.get("hasUniqueValue")),
            hubspot_defined=False, created=created))
    names = {p["name"] for p in properties}
    for key in ("requiredProperties", "searchableProperties", "secondaryDisplayProperties"):
        unknown = [n for n in body.get(key) or [] if n not in names]
        if unknown:
            raise errors.validation_error(f"{key} names unknown properties: {', '.join(unknown)}")
    if body["primaryDisplayProperty"] not in names:
        raise errors.validation_error(f"primaryDisplayProperty {body['primaryDisplayProperty']} is not a property.")
    type_id = f"2-{next(state.custom_type_ids)}"
    stamp = iso(created)
    schema = {
        "id": type_id.split("-")[1], "name": name,
        "labels": {"singular": labels["singular"], "plural": labels["plural"]},
        "objectTypeId": type_id, "fullyQualifiedName": fqn, "description": body.get("description"),
        "primaryDisplayProperty": body["primaryDisplayProperty"],
        "requiredProperties": list(body.get("requiredProperties") or []),
        "searchableProperties": list(body.get("searchableProperties") or []),
        "secondaryDisplayProperties": list(body.get("secondaryDisplayProperties") or []),
        "properties": properties, "associations": [], "createdAt": stamp, "updatedAt": stamp, "archived": False,
    }
    portal.schemas[fqn] = schema
    portal.records[fqn] = {}
    portal.properties[fqn] = {p["name"]: p for p in properties}
    portal.groups[fqn] = {group: {"name": group, "label": f"{labels['singular']} information", "displayOrder": 0,
                                  "archived": False}}
    defaults.OBJECT_TYPE_IDS[fqn] = type_id
    defaults.custom_type_defaults(fqn, body["primaryDisplayProperty"])
    for target in body.get("associatedObjects") or []:
        to_type = defaults.OBJECT_TYPE_ALIASES.get(str(target).lower()) or resolve(portal, str(target))
        if to_type is None:
            raise errors.validation_error(f"Unknown associated object type {target}.")
        forward, backward = crm_labels.add_pair(portal, fqn, to_type, state=state)
        to_name = portal.schemas[to_type]["name"] if to_type in portal.schemas else to_type
        schema["associations"].append({
            "id": str(forward["typeId"]), "name": _association_name(name, to_name), "fromObjectTypeId": type_id,
            "toObjectTypeId": defaults.OBJECT_TYPE_IDS[to_type], "createdAt": stamp, "updatedAt": stamp})
    return schema


def schema_json(portal, schema):
    body = copy.deepcopy(schema)
    fqn = schema["fullyQualifiedName"]
    # Properties created later through the properties API belong to the schema too.
    body["properties"] = copy.deepcopy(list(portal.properties[fqn].values()))
    return body


@route("/crm-object-schemas/v3/schemas", ["GET"])
def get_all(ctx):
    ctx.require_scopes("crm.schemas.custom.read")
    if ctx.portal.tier != ENTERPRISE:
        return 200, {"results": []}
    archived = ctx.query_bool("archived")
    return 200, {"results": [schema_json(ctx.portal, s) for s in ctx.portal.schemas.values()
                             if s["archived"] == archived]}


@route("/crm-object-schemas/v3/schemas/<type_name>", ["GET"])
def get_one(ctx, type_name):
    ctx.require_scopes("crm.schemas.custom.read")
    fqn = resolve(ctx.portal, type_name) if ctx.portal.tier == ENTERPRISE else None
    if fqn is None:
        raise errors.not_found(f"Unable to find object type {type_name}.")
    return 200, schema_json(ctx.portal, ctx.portal.schemas[fqn])


@route("/crm-object-schemas/v3/schemas", ["POST"])
def create(ctx):
    ctx.require_scopes("crm.schemas.custom.write")
    if ctx.portal.tier != ENTERPRISE:
        raise errors.HubSpotError(403, "Custom objects are available on Enterprise subscriptions only.", "FORBIDDEN",
                                  sub_category="CUSTOM_OBJECTS_NOT_AVAILABLE")
    body = ctx.json()
    if not isinstance(body, dict):
        raise errors.validation_error("Invalid input JSON: expected an object")
    return 201, schema_json(ctx.portal, create_schema(ctx.state, ctx.portal, body))
