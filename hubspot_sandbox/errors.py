"""HubSpot's error bodies, raised from handlers as ``HubSpotError`` and rendered by the app."""
import json


class HubSpotError(Exception):
    """An error response in HubSpot's body shape (``status``, ``message``, ``correlationId``, ``category`` …)."""

    def __init__(self, status_code, message, category, *, errors=None, context=None, sub_category=None, extra=None,
                 headers=None, body=None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.category = category
        self.errors = errors
        self.context = context
        self.sub_category = sub_category
        self.extra = extra or {}
        self.headers = headers or {}
        # A complete body that replaces HubSpot's usual shape (OAuth endpoints speak RFC 6749 plus HubSpot fields).
        self.body = body

    def to_body(self, correlation_id):
        if self.body is not None:
            body = dict(self.body)
            body.setdefault("correlationId", correlation_id)
            return body
        body = {"status": "error", "message": self.message, "correlationId": correlation_id}
        if self.category:
            body["category"] = self.category
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.context:
            body["context"] = self.context
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def validation_error(message, errors=None, context=None):
    return HubSpotError(400, message, "VALIDATION_ERROR", errors=errors, context=context)


def not_found(message="Object not found.  objectId are usually numeric.", context=None):
    return HubSpotError(404, message, "OBJECT_NOT_FOUND", context=context)


def property_errors_message(problems, portal_id):
    """HubSpot's single-object validation message embeds the per-property results as JSON text."""
    details = [
        {"isValid": False, "message": p["message"], "error": p["code"], "name": p["name"],
         "localizedErrorMessage": p["message"], "portalId": portal_id}
        for p in problems
    ]
    return "Property values were not valid: " + json.dumps(details, separators=(",", ":"))


def property_error_details(problems):
    """The same problems as ``errors[]`` items, each naming its property."""
    return [
        {"message": p["message"], "code": p["code"], "in": p["name"], "context": {"propertyName": [p["name"]]}}
        for p in problems
    ]


def property_validation_error(problems, portal_id, context=None):
    return validation_error(property_errors_message(problems, portal_id), property_error_details(problems), context)


def rate_limit_body(policy, correlation_id, request_id):
    names = {"TEN_SECONDLY_ROLLING": "ten_secondly_rolling", "SECONDLY": "secondly", "DAILY": "daily"}
    return {
        "status": "error",
        "message": f"You have reached your {names.get(policy, policy.lower())} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id,
        "policyName": policy,
        "requestId": request_id,
    }


def missing_scopes(required):
    return HubSpotError(
        403,
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: "
        "https://developers.hubspot.com/scopes.",
        "MISSING_SCOPES",
        errors=[{"message": "One or more of the following scopes are required.",
                 "context": {"requiredGranularScopes": list(required)}}],
        extra={"links": {"scopes": "https://developers.hubspot.com/scopes"}},
    )


def invalid_authentication(message=None):
    return HubSpotError(
        401,
        message or "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                   "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        "INVALID_AUTHENTICATION",
    )


def expired_authentication(seconds_ago):
    return HubSpotError(
        401,
        f"The OAuth token used to make this call expired {max(int(seconds_ago), 1)} second(s) ago.",
        "EXPIRED_AUTHENTICATION",
    )


def oauth_error(error, description, status, message):
    """The token endpoints' 400 body: RFC 6749 fields next to HubSpot's older ``status``/``message`` pair."""
    return HubSpotError(400, message, None, body={
        "error": error, "error_description": description, "status": status, "message": message,
    })


def retired_api_body(path, correlation_id):
    """
    A numbered (v1–v4) path once HubSpot no longer serves it. HubSpot documents only that sunset APIs "return an
    error"; the sandbox answers 404 with this body (the exact status and wording are the sandbox's).
    """
    return {"status": "error", "message": f"This API version is no longer supported: {path}. Use the date-versioned "
            "API (https://developers.hubspot.com/docs/api-reference/legacy/migration-guide).",
            "category": "OBJECT_NOT_FOUND", "subCategory": "API_VERSION_NOT_SUPPORTED", "correlationId": correlation_id}


def unknown_api_version_body(version, correlation_id):
    return {"status": "error", "message": f"Unknown API version: {version}", "category": "OBJECT_NOT_FOUND",
            "subCategory": "API_VERSION_NOT_SUPPORTED", "correlationId": correlation_id}
