"""
HubSpot's errors and their wording for organizers, in one place: what went wrong when the plugin talked to HubSpot,
and the sentence a person reads about it (on a page, in a message, in an order's history).

Three families, by where the failure happened:

- OAuth and tokens (``OAuthError`` and its kinds, ``ReconnectRequired``): raised by ``oauth`` and the connection
  lifecycle (``connections``, ``static_tokens``). ``str(error)`` is fit to show.
- The CRM API (``HubSpotError``): ``HubSpotApi.call`` turns every failed request into one of pretix's three kinds of
  sync errors (``HubSpotTemporaryError`` = ``RecoverableSyncError``, ``HubSpotRejected`` = ``UnrecoverableSyncError``,
  ``HubSpotConfigError`` = ``SyncConfigError``) with a message an organizer can act on; ``error_from_body`` reads
  HubSpot's error body (also one ``errors[]`` item of a batch answer).
- Pages that ask HubSpot while a person waits: ``SchemaUnavailable`` (the mapping editor's field lists) and
  ``PropertyError`` (creating the identifier property). Their wording asks to try again, not "will be retried".

Messages never contain a token: response bodies are parsed, never passed on whole, and secrets HubSpot repeats are
cut out (``error_from_body(..., secrets=...)``). Nothing here talks to HubSpot or the database.
"""
import json
import re

from django.utils.translation import gettext as _, gettext_lazy
from hubspot.crm.properties import ApiException as PropertiesApiException
from urllib3.exceptions import HTTPError

from ..datasync_api import RecoverableSyncError, SyncConfigError, UnrecoverableSyncError
from ..models import HUBSPOT_OBJECT_TYPES

EXISTING_ID_RE = re.compile(r"Existing ID:\s*(\d+)")


# --- OAuth and tokens ---------------------------------------------------------------------------------------------


class ReconnectRequired(Exception):
    """HubSpot no longer accepts the connection's refresh token; someone has to reconnect in Settings → HubSpot."""

    def __init__(self, message=None):
        super().__init__(str(message or gettext_lazy(
            "HubSpot no longer accepts this connection (the app was uninstalled or its access was revoked). "
            "Please reconnect in Settings → HubSpot."
        )))


class StaticTokenRejected(ReconnectRequired):
    """HubSpot no longer accepts the stored static token; someone has to enter the app's current one."""

    def __init__(self, portal_id):
        super().__init__(gettext_lazy(
            "HubSpot no longer accepts the access token of HubSpot account {portal_id}: it was revoked or rotated in "
            "HubSpot. Please enter the app's current access token in the organizer's HubSpot settings."
        ).format(portal_id=portal_id))


class StaticTokensSwitchedOff(ReconnectRequired):
    def __init__(self):
        super().__init__(gettext_lazy(
            "Connecting with an access token has been switched off on this server. Please disconnect the event and "
            "connect it through HubSpot's sign-in instead."
        ))


class OAuthError(Exception):
    """A failed exchange with HubSpot's OAuth endpoints. ``str(error)`` is fit to show to the user."""


class HubSpotUnavailable(OAuthError):
    """HubSpot could not be reached, timed out or answered with a server error or rate limit; try again later."""


class GrantRejected(OAuthError):
    """HubSpot rejected the code or refresh token (``invalid_grant`` and friends); retrying will not help."""

    def __init__(self, message, error_code="", status=None):
        super().__init__(message)
        self.error_code = error_code
        self.status = status


class RequiredScopesMissing(Exception):
    """A consent without every permission the integration needs (``scopes``: the missing ones); nothing was stored."""

    def __init__(self, scopes):
        super().__init__(", ".join(scopes))
        self.scopes = list(scopes)


def not_understood():
    return HubSpotUnavailable(gettext_lazy("HubSpot sent an answer we could not understand. Please try again later."))


# --- The CRM API: pretix's three kinds of sync errors ---------------------------------------------------------------


class HubSpotError(Exception):
    """What HubSpot answered, in parsed form. Mixed into the three pretix error classes below."""

    def __init__(self, message, *, status=None, category=None, hubspot_message="", correlation_id=None,
                 errors=None, context=None):
        self.status = status
        self.category = category
        self.hubspot_message = hubspot_message
        self.correlation_id = correlation_id
        self.errors = errors or []
        self.context = context or {}
        full = message
        if correlation_id:
            full = "{} (HubSpot correlation ID {})".format(message, correlation_id)
        super().__init__([message], full)

    def __str__(self):
        return self.full_message

    @property
    def invalid_properties(self):
        """``[(property name, HubSpot's reason)]`` for validation errors, as far as HubSpot names them."""
        return invalid_properties(self.hubspot_message, self.errors, self.context)

    @property
    def existing_id(self):
        """For 409 "Contact already exists. Existing ID: 123": the ID of the existing record."""
        m = EXISTING_ID_RE.search(self.hubspot_message or "")
        return m.group(1) if m else None


class HubSpotTemporaryError(HubSpotError, RecoverableSyncError):
    pass


class HubSpotRateLimited(HubSpotTemporaryError):
    """HubSpot kept answering 429 longer than one run should wait; try again after ``retry_after`` seconds."""

    def __init__(self, message, retry_after=10.0, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class HubSpotRejected(HubSpotError, UnrecoverableSyncError):
    pass


class HubSpotNotFound(HubSpotRejected):
    pass


class HubSpotConflict(HubSpotRejected):
    pass


class HubSpotConfigError(HubSpotError, SyncConfigError):
    pass


class HubSpotAccountRuleError(HubSpotConfigError):
    """
    A rule the HubSpot account's admins set up refused the write (enforced on API writes since version 2026-09): a
    property required when another has a certain value, a required field of the create-record form, or the user's
    "Edit associations" permission. Nothing but a change of the mapping (or of the rule) helps, so it is never
    retried. ``required_property`` and ``condition`` (``(property, value)`` or None) name the rule where HubSpot does.
    HubSpot has no API to read these rules (its property validations API covers value formats only), so they cannot
    be checked when a mapping is saved: this error at the first transfer is where they show.
    """

    def __init__(self, message, *, required_property=None, condition=None, **kwargs):
        self.required_property = required_property
        self.condition = condition
        super().__init__(message, **kwargs)

    @property
    def concerns_input(self):
        """A required property concerns the one record being written, not the whole request."""
        return bool(self.required_property)


def reconnect_message():
    return _("HubSpot no longer accepts this event's connection. Please reconnect it in Settings → HubSpot.")


def rate_limit_message():
    return _("HubSpot's request limit for this account is exhausted. The transfer will be retried.")


def parse_error_body(body):
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def invalid_properties(message, errors=(), context=None):
    found = []
    # HubSpot puts the details of invalid values as JSON into the message:
    # 'Property values were not valid: [{"isValid":false,"message":"…","error":"INVALID_EMAIL","name":"email"}]'
    if message and "[" in message:
        try:
            details = json.loads(message[message.index("["):])
            for d in details if isinstance(details, list) else []:
                if isinstance(d, dict) and d.get("name"):
                    found.append((d["name"], d.get("message") or d.get("error") or ""))
        except ValueError:
            pass
    # Whatever shape the answer has, a list of names comes out (an odd answer must not turn into a crash).
    for e in errors if isinstance(errors, list) else []:
        if not isinstance(e, dict):
            continue
        ctx = e.get("context") if isinstance(e.get("context"), dict) else {}
        names = ctx.get("propertyName") or ctx.get("properties") or ([e["name"]] if e.get("name") else [])
        for name in names if isinstance(names, list) else []:
            found.append((str(name), str(e.get("message") or "")))
    names = context.get("propertyName") if isinstance(context, dict) else None
    for name in names if isinstance(names, list) else []:
        found.append((str(name), ""))
    seen = set()
    return [(n, _product_reason(n, m)) for n, m in found if not (n in seen or seen.add(n))]


# The line item property naming a product of the account's product library (see product_links.py).
PRODUCT_ID_PROPERTY = "hs_product_id"


def _product_reason(name, reason):
    # HubSpot names only the product's ID; the organizer needs to know where the link comes from.
    if name == PRODUCT_ID_PROPERTY and "exist" in (reason or ""):
        return _("HubSpot has no product with this ID (any more); it may have been deleted in HubSpot. Please choose "
                 "another HubSpot product for this ticket's product in Settings → HubSpot → HubSpot products.")
    return reason


def names_missing_product(message, errors=(), context=None):
    """Whether HubSpot refused a line item because its product does not exist: a value, not a missing property."""
    return any(name == PRODUCT_ID_PROPERTY for name, reason in invalid_properties(message, errors, context))


def _clean(text, secrets):
    """``secrets``: ``oauth.Secret`` values (or plain text), cut out of ``text`` wherever HubSpot repeats them."""
    text = str(text or "")
    for secret in secrets:
        value = secret.reveal() if hasattr(secret, "reveal") else secret
        if value:
            text = text.replace(value, "***")
    return text[:1000]


def error_from_api_exception(e, secrets=()):
    """Turns an ``ApiException`` of any of the SDK's sub-packages into one of our errors."""
    return error_from_body(getattr(e, "status", None) or 0, parse_error_body(getattr(e, "body", None)),
                           reason=getattr(e, "reason", ""), headers=getattr(e, "headers", None), secrets=secrets)


def error_from_body(status, data, reason="", headers=None, secrets=()):
    """Turns HubSpot's error body (or one ``errors[]`` item of a batch answer) into one of our errors."""
    hs_message = _clean(data.get("message") or reason or "", secrets)
    category = str(data.get("category") or data.get("errorType") or "") or None
    kwargs = dict(status=status, category=category, hubspot_message=hs_message,
                  correlation_id=data.get("correlationId"), errors=data.get("errors"), context=data.get("context"))
    if status == 0 or status >= 500:
        return HubSpotTemporaryError(
            _("HubSpot is temporarily unavailable (HTTP {status}). The transfer will be retried.").format(status=status),
            **kwargs)
    if status == 429:
        return HubSpotRateLimited(rate_limit_message(), retry_after=retry_after_seconds(headers), **kwargs)
    if status == 401:
        return HubSpotConfigError(reconnect_message(), **kwargs)
    rule = account_rule(status, data)
    if rule is not None:
        return rule_error(rule, kwargs)
    if status == 403:
        return HubSpotConfigError(
            _("HubSpot denied access ({reason}). The connection is missing a permission: please reconnect in "
              "Settings → HubSpot and grant every permission HubSpot asks for.").format(
                reason=hs_message or _("missing permission")),
            **kwargs)
    if category == "VALIDATION_ERROR" and ("PROPERTY_DOESNT_EXIST" in json.dumps(data) or "does not exist" in hs_message) \
            and not names_missing_product(hs_message, data.get("errors"), data.get("context")):
        return HubSpotConfigError(
            _("HubSpot does not know a property this mapping uses ({reason}). It may have been deleted in HubSpot: "
              "please check the mapping in Settings → HubSpot.").format(reason=hs_message),
            **kwargs)
    if status == 404:
        return HubSpotNotFound(_("HubSpot could not find the record: {reason}").format(reason=hs_message), **kwargs)
    if status == 409:
        return HubSpotConflict(_("HubSpot reported a conflict: {reason}").format(reason=hs_message), **kwargs)
    return HubSpotRejected(_("HubSpot rejected the data: {reason}").format(reason=hs_message or status), **kwargs)


def account_rule(status, data):
    """
    ``("required", property, (condition property, value) or None)`` or ``("associations",)`` when HubSpot's answer is
    one of 2026-09's enforced account rules, else None. HubSpot documents these as 400 VALIDATION_ERROR; how the body
    names the rule is not documented, so the property is read from ``context.propertyName`` (or an ``errors[]`` item)
    and the condition from ``context.conditionPropertyName``/``conditionPropertyValue`` when present.
    """
    if status != 400 or data.get("category") != "VALIDATION_ERROR":
        return None
    details = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    words = " ".join(str(x) for x in [data.get("subCategory"), data.get("message")]
                     + [d.get("code") for d in details] + [d.get("message") for d in details] if x).lower()
    if "association" in words and "permission" in words:
        return ("associations",)
    if "required" not in words:
        return None
    context = data.get("context") or {}
    names = list(context.get("propertyName") or [])
    for d in details:
        names += (d.get("context") or {}).get("propertyName") or ([d["in"]] if d.get("in") else [])
    if not names:
        return None
    condition = None
    if context.get("conditionPropertyName") and context.get("conditionPropertyValue"):
        condition = (context["conditionPropertyName"][0], context["conditionPropertyValue"][0])
    return ("required", names[0], condition)


def rule_error(rule, kwargs):
    if rule[0] == "associations":
        return HubSpotAccountRuleError(_(
            "HubSpot refused to associate the records: the HubSpot user who connected this event lacks the "
            "\"Edit associations\" permission in this account. Ask a HubSpot super admin to grant it (Settings → Users & "
            "Teams in HubSpot), or reconnect with a user who has it."), **kwargs)
    _kind, name, condition = rule
    return HubSpotAccountRuleError(
        required_rule_message(name, condition), required_property=name, condition=condition, **kwargs)


def required_rule_message(property_label, condition=None):
    """The organizer's message for a required property, by label where the caller knows it."""
    if condition:
        return _("HubSpot requires '{property}' when '{condition}' is '{value}' in this account: map a pretix field "
                 "onto it in Settings → HubSpot.").format(property=property_label, condition=condition[0],
                                                          value=condition[1])
    return _("HubSpot requires '{property}' for new records in this account: map a pretix field onto it in "
             "Settings → HubSpot.").format(property=property_label)


def retry_after_seconds(headers, default=10.0):
    headers = headers or {}
    try:
        if headers.get("Retry-After"):
            return max(float(headers.get("Retry-After")), 0.1)
        if headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"):
            # HubSpot's window is rolling: waiting a tenth of it frees part of the budget.
            return max(float(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")) / 10000.0, 0.1)
    except (TypeError, ValueError):
        pass
    return default


def token_error(e):
    """
    The sync error for a failure to get a usable access token (``tokens.valid_access_token``), or None when
    ``e`` is no such failure (a bug, to be raised as it is).
    """
    if isinstance(e, (StaticTokenRejected, StaticTokensSwitchedOff)):
        return HubSpotConfigError(str(e))
    if isinstance(e, ReconnectRequired):
        return HubSpotConfigError(reconnect_message())
    if isinstance(e, HubSpotUnavailable):
        return HubSpotTemporaryError(_("HubSpot could not renew the access token right now. The transfer will be "
                                       "retried."))
    if isinstance(e, OAuthError):
        return HubSpotConfigError(_("HubSpot refused to renew the access token ({error}). Please check the "
                                    "connection in Settings → HubSpot.").format(
            error=getattr(e, "error_code", "") or type(e).__name__))
    return None


def transport_error(e, timed_out: bool):
    """A request that never got an answer (``e``: the network error, by class name only)."""
    if timed_out:
        return HubSpotTemporaryError(_("HubSpot did not answer in time. The transfer will be retried."))
    return HubSpotTemporaryError(_("Could not reach HubSpot ({error}). The transfer will be retried.").format(
        error=type(e).__name__))


# --- Pages that ask HubSpot while a person waits ----------------------------------------------------------------------


class SchemaUnavailable(Exception):
    """HubSpot could not tell us its properties; ``message`` says why, in words for the organizer."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def schema_unavailable(exc, object_type) -> SchemaUnavailable:
    """Why the editor cannot list the fields of ``object_type``: ``exc`` is what reading them raised."""
    status = getattr(exc, "status", None)
    if isinstance(exc, (ReconnectRequired, SyncConfigError)) or status == 401:
        # The client reports a connection HubSpot no longer accepts as a configuration error.
        return SchemaUnavailable(gettext_lazy(
            "HubSpot no longer accepts this connection. Please reconnect to HubSpot on this page."))
    if status == 403:
        return SchemaUnavailable(gettext_lazy(
            "The HubSpot connection may not read the properties of {object_type}. Please reconnect to HubSpot and "
            "grant all requested permissions.").format(object_type=object_type))
    if status == 429:
        return SchemaUnavailable(gettext_lazy(
            "HubSpot is receiving too many requests right now. Please try again in a minute."))
    return SchemaUnavailable(gettext_lazy("HubSpot could not be reached. Please try again in a few minutes."))


class PropertyError(Exception):
    """Creating the identifier property failed. ``str(error)`` is fit to show to the user."""


class MissingScope(PropertyError):
    pass


def property_error(e, object_type):
    """
    The ``PropertyError`` for a failed request while creating the identifier property for ``object_type``, or None
    when ``e`` is no HubSpot failure (a bug, to be raised as it is).
    """
    status = getattr(e, "status", None)
    if isinstance(e, OAuthError):
        return PropertyError(str(e))
    if status == 403:
        return MissingScope(gettext_lazy(
            "HubSpot did not allow creating the property for {object_type}: the optional permission to change "
            "property definitions was not granted when the connection was made. Reconnect and grant it, or "
            "create the property by hand in HubSpot."
        ).format(object_type=dict(HUBSPOT_OBJECT_TYPES).get(object_type, object_type)))
    if isinstance(e, (HTTPError, OSError, RecoverableSyncError)) or (status or 0) >= 500 or status == 429:
        # HubSpotApi.call words these for order transfers ("will be retried"); here a person clicks again.
        return PropertyError(gettext_lazy("HubSpot could not be reached or is busy. Please try again in a few "
                                          "minutes."))
    if isinstance(e, PropertiesApiException):
        # The SDK's own exception text carries response headers and body; say it in our words instead.
        return PropertyError(gettext_lazy("HubSpot answered with error {status}. Please try again later.").format(
            status=status))
    if status is not None:
        # Errors of HubSpotApi.call already say what went wrong in words meant for the organizer.
        return PropertyError(str(e))
    return None
