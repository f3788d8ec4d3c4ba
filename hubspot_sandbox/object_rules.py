"""
HubSpot's own rules for particular object types, checked on every write in every API version (the account's own
rules are ``account_rules``):

- Tickets need ``hs_pipeline`` and ``hs_pipeline_stage`` on creation; a custom object needs its schema's
  ``requiredProperties``. Missing ones give 400 VALIDATION_ERROR with code REQUIRED_PROPERTY naming each property
  (HubSpot documents that they are required; the error code's name is the sandbox's).
- A line item with ``hs_product_id`` takes the product's name, price, SKU and description where the write gives none
  (as a line item created from a product in HubSpot does); an id that names no product gives 400 VALIDATION_ERROR
  with code INVALID_PRODUCT_ID (the sandbox's name). ``amount`` (read-only) is worked out as quantity × (price −
  discount).
"""
from decimal import Decimal, InvalidOperation

from . import errors, standard_objects

PRODUCT_FIELDS = ("name", "price", "hs_sku", "description")


def _required(ctx, object_type):
    if object_type in ctx.portal.schemas:
        return ctx.portal.schemas[object_type]["requiredProperties"]
    return standard_objects.REQUIRED_ON_CREATE.get(object_type, ())


def check(ctx, object_type, record, values, context=None):
    if record is None:
        missing = [name for name in _required(ctx, object_type) if values.get(name) in (None, "")]
        if missing:
            problems = [{"name": n, "code": "REQUIRED_PROPERTY", "message": f'Property "{n}" is required.'}
                        for n in missing]
            raise errors.property_validation_error(problems, ctx.portal.portal_id, context)
    if object_type == standard_objects.LINE_ITEMS and values.get("hs_product_id"):
        product_id = str(values["hs_product_id"])
        product = ctx.portal.records[standard_objects.PRODUCTS].get(product_id)
        if product is None or product.archived:
            problem = {"name": "hs_product_id", "code": "INVALID_PRODUCT_ID",
                       "message": f"Product with id {product_id} does not exist."}
            raise errors.property_validation_error([problem], ctx.portal.portal_id, context)
        current = record.properties if record is not None else {}
        for name in PRODUCT_FIELDS:
            if values.get(name) in (None, "") and current.get(name) in (None, "") and product.properties.get(name):
                values[name] = product.properties[name]


def _number(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def derive(record):
    """Calculated values HubSpot keeps up to date itself."""
    if record.object_type != standard_objects.LINE_ITEMS:
        return
    quantity, price = _number(record.properties.get("quantity")), _number(record.properties.get("price"))
    if quantity is None or price is None:
        return
    discount = _number(record.properties.get("discount")) or Decimal(0)
    record.properties["amount"] = format((quantity * (price - discount)).normalize(), "f")
