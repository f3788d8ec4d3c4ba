"""The properties API: list, read, create (``hasUniqueValue`` only at creation), update, archive; property groups."""
import re
import time

from . import defaults, errors
from .routing import route
from .timeutil import iso

NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
FIELD_TYPES = {
    "string": ("text", "textarea", "phonenumber", "html", "file"),
    "number": ("number", "calculation_equation"),
    "date": ("date",),
    "datetime": ("date",),
    "enumeration": ("select", "radio", "checkbox", "booleancheckbox"),
    "bool": ("booleancheckbox",),
}


def _definitions(ctx, type_name, write=False):
    object_type = ctx.object_type(type_name)
    ctx.require_scopes(f"crm.schemas.{object_type}.{'write' if write else 'read'}")
    return object_type, ctx.portal.properties[object_type]


def _options(raw):
    result = []
    for i, option in enumerate(raw or []):
        if not isinstance(option, dict) or "value" not in option or "label" not in option:
            raise errors.validation_error("Each option needs a label and a value.")
        result.append({"label": str(option["label"]), "value": str(option["value"]),
                       "displayOrder": option.get("displayOrder", i), "hidden": bool(option.get("hidden", False))})
    return result


def create_property(ctx, object_type, definitions, body, context=None):
    if not isinstance(body, dict):
        raise errors.validation_error("Invalid input JSON: expected an object", context=context)
    missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
    if missing:
        raise errors.validation_error(f"Missing required fields: {', '.join(missing)}", context=context)
    name = body["name"]
    if not NAME.match(name):
        raise errors.validation_error(
            f"Property name {name!r} is invalid: use lowercase letters, digits and underscores, starting with a "
            f"letter, at most 100 characters.", context=context)
    if name in definitions:
        raise errors.HubSpotError(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS",
                                  context=dict(context or {}, name=[name]))
    type_, field_type = body["type"], body["fieldType"]
    if type_ not in FIELD_TYPES:
        raise errors.validation_error(f"Unknown property type {type_!r}.", context=context)
    if field_type not in FIELD_TYPES[type_]:
        raise errors.validation_error(f"Field type {field_type!r} is not valid for type {type_!r}.", context=context)
    if body["groupName"] not in ctx.portal.groups[object_type]:
        raise errors.validation_error(f"Property group {body['groupName']!r} does not exist.", context=context)
    options = _options(body.get("options"))
    if type_ == "enumeration" and not options:
        raise errors.validation_error("Enumeration properties need at least one option.", context=context)
    prop = defaults.make_property(
        name, body["label"], type_, field_type, body["groupName"], opts=options,
        unique=bool(body.get("hasUniqueValue")), hubspot_defined=False, description=body.get("description", ""),
        display_order=body.get("displayOrder", -1), created=time.time(),
    )
    prop["hidden"] = bool(body.get("hidden", False))
    prop["formField"] = bool(body.get("formField", False))
    definitions[name] = prop
    return prop


@route("/crm/v3/properties/<type_name>", ["GET"])
def get_all(ctx, type_name):
    _, definitions = _definitions(ctx, type_name)
    return 200, {"results": list(definitions.values())}


@route("/crm/v3/properties/<type_name>", ["POST"])
def create(ctx, type_name):
    object_type, definitions = _definitions(ctx, type_name, write=True)
    return 201, create_property(ctx, object_type, definitions, ctx.json())


def _existing(definitions, name, refuse_hubspot_defined=None):
    """The property, or HubSpot's 404; with ``refuse_hubspot_defined`` ("changed", "archived") HubSpot's own
    properties are refused the way HubSpot refuses them."""
    prop = definitions.get(name)
    if prop is None:
        raise errors.HubSpotError(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
    if refuse_hubspot_defined and prop["hubspotDefined"]:
        raise errors.validation_error(f"Property {name} is defined by HubSpot and cannot be {refuse_hubspot_defined}.")
    return prop


@route("/crm/v3/properties/<type_name>/<name>", ["GET"])
def get_by_name(ctx, type_name, name):
    _, definitions = _definitions(ctx, type_name)
    return 200, _existing(definitions, name)


@route("/crm/v3/properties/<type_name>/<name>", ["PATCH"])
def update(ctx, type_name, name):
    object_type, definitions = _definitions(ctx, type_name, write=True)
    prop = _existing(definitions, name, refuse_hubspot_defined="changed")
    body = ctx.json()
    if "hasUniqueValue" in body and bool(body["hasUniqueValue"]) != prop["hasUniqueValue"]:
        raise errors.validation_error("hasUniqueValue can only be set when a property is created.")
    for key in ("label", "description", "displayOrder", "hidden", "formField"):
        if key in body:
            prop[key] = body[key]
    if "groupName" in body:
        if body["groupName"] not in ctx.portal.groups[object_type]:
            raise errors.validation_error(f"Property group {body['groupName']!r} does not exist.")
        prop["groupName"] = body["groupName"]
    if "options" in body:
        prop["options"] = _options(body["options"])
    prop["updatedAt"] = iso(time.time())
    return 200, prop


@route("/crm/v3/properties/<type_name>/<name>", ["DELETE"])
def archive(ctx, type_name, name):
    _, definitions = _definitions(ctx, type_name, write=True)
    _existing(definitions, name, refuse_hubspot_defined="archived")
    del definitions[name]
    return 204, None


@route("/crm/v3/properties/<type_name>/batch/read", ["POST"])
def batch_read(ctx, type_name):
    _, definitions = _definitions(ctx, type_name)
    body = ctx.json()
    names = [str(i.get("name", "")) for i in body.get("inputs") or []]
    results = [definitions[n] for n in names if n in definitions]
    missing = [n for n in names if n not in definitions]
    response = {"status": "COMPLETE", "results": results, "startedAt": iso(time.time()),
                "completedAt": iso(time.time())}
    if missing:
        response["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                               "message": f"Unable to find property {n}", "context": {"name": [n]}} for n in missing]
        response["numErrors"] = len(missing)
        return 207, response
    return 200, response


@route("/crm/v3/properties/<type_name>/batch/create", ["POST"])
def batch_create(ctx, type_name):
    object_type, definitions = _definitions(ctx, type_name, write=True)
    results, failures = [], []
    for index, item in enumerate(ctx.json().get("inputs") or []):
        try:
            results.append(create_property(ctx, object_type, definitions, item, {"inputIndex": [str(index)]}))
        except errors.HubSpotError as e:
            failures.append({"status": "error", "category": e.category, "message": e.message,
                             "context": e.context or {}})
    response = {"status": "COMPLETE", "results": results, "startedAt": iso(time.time()),
                "completedAt": iso(time.time())}
    if failures:
        response["errors"] = failures
        response["numErrors"] = len(failures)
        return 207, response
    return 201, response


@route("/crm/v3/properties/<type_name>/groups", ["GET"])
def groups(ctx, type_name):
    object_type, _ = _definitions(ctx, type_name)
    return 200, {"results": list(ctx.portal.groups[object_type].values())}


@route("/crm/v3/properties/<type_name>/groups/<group_name>", ["GET"])
def group(ctx, type_name, group_name):
    object_type, _ = _definitions(ctx, type_name)
    found = ctx.portal.groups[object_type].get(group_name)
    if found is None:
        raise errors.HubSpotError(404, f"Unable to find property group {group_name}", "OBJECT_NOT_FOUND")
    return 200, found


@route("/crm/v3/properties/<type_name>/groups", ["POST"])
def create_group(ctx, type_name):
    object_type, _ = _definitions(ctx, type_name, write=True)
    body = ctx.json()
    name = body.get("name", "")
    if not NAME.match(name) or not body.get("label"):
        raise errors.validation_error("A property group needs a valid name and a label.")
    if name in ctx.portal.groups[object_type]:
        raise errors.HubSpotError(409, f"Property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
    group = {"name": name, "label": body["label"], "displayOrder": body.get("displayOrder", -1), "archived": False}
    ctx.portal.groups[object_type][name] = group
    return 201, group
