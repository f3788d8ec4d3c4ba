"""
The account's own rules that HubSpot enforces on API writes from the 2026-09 version on (changelog "CRM API Write
Validation Enforcement Starting with the 2026-09 API Version"): conditionally required properties ("close date is
required when the deal stage is Closed won"), required fields of the create-record form, and the user's permission
to edit associations. Numbered paths and 2026-03 keep ignoring them, as HubSpot's older versions do.

HubSpot documents the answer as 400 with category VALIDATION_ERROR; the rest of the body (``subCategory``, the
``errors[]`` code and the ``context`` keys naming the rule) is the sandbox's choice, since the documented example
only shows ``category`` and ``message``.
"""
from dataclasses import dataclass
from typing import Optional

from . import errors, object_rules

ENFORCED_FROM = "2026-09"


@dataclass
class RequiredRule:
    object_type: str
    property: str
    # None: a required field of the create-record form (new records only)
    when_property: Optional[str] = None
    when_value: Optional[str] = None


def enforced(ctx):
    return bool(ctx.api_version) and ctx.api_version >= ENFORCED_FROM


def check_required(ctx, object_type, record, values, context=None):
    """400 VALIDATION_ERROR when the record, after this write, breaks a required-property rule of the account."""
    object_rules.check(ctx, object_type, record, values, context)  # HubSpot's own rules, in every API version
    if not enforced(ctx):
        return
    after = dict(record.properties if record is not None else {})
    after.update(values)
    for rule in ctx.portal.required_rules:
        if rule.object_type != object_type or after.get(rule.property) not in (None, ""):
            continue
        if rule.when_property is None:
            if record is not None:
                continue
            message = f'Property "{rule.property}" is required to create this record.'
            rule_context = {}
        else:
            if str(after.get(rule.when_property) or "") != rule.when_value:
                continue
            message = f'Property "{rule.property}" is required when "{rule.when_property}" is "{rule.when_value}".'
            rule_context = {"conditionPropertyName": [rule.when_property], "conditionPropertyValue": [rule.when_value]}
        raise errors.HubSpotError(
            400, message, "VALIDATION_ERROR", sub_category="REQUIRED_PROPERTY_MISSING",
            context=dict(context or {}, propertyName=[rule.property], **rule_context),
            errors=[{"message": message, "code": "REQUIRED_PROPERTY_MISSING", "in": rule.property,
                     "context": {"propertyName": [rule.property]}}],
        )


def check_association_permission(ctx, from_type, to_type):
    """The connected user may not edit associations (HubSpot's user permission "Edit associations")."""
    if enforced(ctx) and not ctx.portal.user_can_edit_associations:
        raise errors.HubSpotError(
            400, f"The user does not have permission to edit associations between {from_type} and {to_type}.",
            "VALIDATION_ERROR", sub_category="ASSOCIATION_PERMISSION_DENIED",
        )
