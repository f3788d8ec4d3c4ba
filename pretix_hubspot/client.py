"""
HubSpot's official client, configured for one connection: hosts, timeouts, retries, the shared rate limit, token
refresh, and HubSpot's errors translated into pretix's three kinds of sync errors.

``HubSpotApi(connection).call(fn, *args, **kwargs)`` is the only way the plugin talks to HubSpot's CRM:

- every request goes to HubSpot's date-versioned path of its endpoint (``api_paths``), one version for the plugin;

- every request has a timeout and waits for the account's shared request budget (``ratelimit``);
- connection errors, timeouts and 5xx answers are retried by urllib3 on all methods, because every request sent
  through ``sdk`` is safe to repeat (reads, updates, upserts, default associations). Creates that HubSpot cannot
  de-duplicate go through ``sdk_no_resend``, which only retries when the request never reached HubSpot;
- 429 is handled here and only here (urllib3 neither retries it nor sleeps on ``Retry-After``): HubSpot's
  ``Retry-After`` becomes the account's shared pause (``PortalRateLimiter.pause``, capped), and the request is tried
  again once the pause is over, unless that means waiting longer than the caller may (``max_rate_limit_wait`` per
  call, ``wait_until`` in all: a few seconds for a page, the chunk's share of pretix's in-flight time for a sync
  run). Then ``HubSpotRateLimited`` is raised without sleeping; it is not a failed attempt;
- a 401 refreshes the access token once (a token can expire in the middle of a long run);
- whatever still fails is raised as ``HubSpotTemporaryError`` (pretix's ``RecoverableSyncError``),
  ``HubSpotRejected`` (``UnrecoverableSyncError``) or ``HubSpotConfigError`` (``SyncConfigError``), with a message
  an organizer can act on. Response bodies are parsed, never passed on whole, and tokens never reach a message.
"""
import json
import logging
import re
import time
from datetime import timedelta

import urllib3
from django.utils.timezone import now
from django.utils.translation import gettext as _
from hubspot import HubSpot
from urllib3.util.retry import Retry

from . import conf, oauth
from .api_paths import versioned_api_client
from .datasync_api import RecoverableSyncError, SyncConfigError, UnrecoverableSyncError
from .oauth import ReconnectRequired, get_valid_access_token
from .ratelimit import PortalRateLimiter, WaitTooLong
from .static_tokens import StaticTokenRejected, StaticTokensSwitchedOff, token_rejected

logger = logging.getLogger(__name__)

# Statuses urllib3 retries by itself. Never 429: see HubSpotApi.call.
RETRY_STATUSES = (500, 502, 503, 504)
# A request/response cycle never waits longer than this for HubSpot's request budget, in all.
PAGE_MAX_WAIT = 5.0
# Refresh the access token when it has less than this left, so it cannot expire between check and use.
TOKEN_MARGIN = timedelta(seconds=60)
EXISTING_ID_RE = re.compile(r"Existing ID:\s*(\d+)")


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
        if secret:
            text = text.replace(oauth.Secret(secret).reveal(), "***")
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


class CountedRetry(Retry):
    """
    urllib3's retry of a request (after a 5xx, a timeout, a dropped connection), which takes a slot of the account's
    request budget like the first try did: HubSpot counts every request that reaches it.
    """
    api = None

    def new(self, **kwargs):
        retry = super().new(**kwargs)
        retry.api = self.api
        return retry

    def increment(self, *args, **kwargs):
        retry = super().increment(*args, **kwargs)  # raises when no retry is left
        if self.api is not None:
            # WaitTooLong ends the call (HubSpotApi.call turns it into HubSpotRateLimited)
            self.api.limiter.acquire(max_wait=self.api._wait_allowed(0))
            self.api.request_count += 1
        return retry


def is_api_exception(e):
    return type(e).__name__.endswith("Exception") and hasattr(e, "status") and hasattr(e, "body")


class HubSpotApi:
    # Knobs (class attributes, so tests and the benchmark can make them shorter)
    retry_total = 3
    retry_backoff = 0.5
    max_rate_limit_wait = 60.0

    def __init__(self, connection, limiter=None, wait_until=None):
        self.connection = connection
        self.limiter = limiter or PortalRateLimiter(connection.portal_id)
        # time.time() after which no wait for HubSpot's request budget may end (None: only max_rate_limit_wait)
        self.wait_until = wait_until
        self._sdk = None
        self._sdk_no_resend = None
        self._apis = {}
        self._token = None
        self._timeout = None
        self.api_version = conf.api_version()
        self.request_count = 0

    @classmethod
    def for_page(cls, connection):
        """For a request/response cycle: all its waits for HubSpot's request budget together end within seconds."""
        return cls(connection, wait_until=time.time() + PAGE_MAX_WAIT)

    # construction -------------------------------------------------------------------------------------------------

    def _retry(self, resend):
        if resend:
            retry = CountedRetry(total=self.retry_total, connect=self.retry_total, read=self.retry_total,
                                 status=self.retry_total, status_forcelist=RETRY_STATUSES, allowed_methods=None,
                                 backoff_factor=self.retry_backoff, raise_on_status=False,
                                 # urllib3 would sleep as long as any Retry-After says, and retry 429 (and 503)
                                 respect_retry_after_header=False)
        else:
            # Only retry when the request cannot have reached HubSpot.
            retry = CountedRetry(total=self.retry_total, connect=self.retry_total, read=0, status=0, other=0,
                                 allowed_methods=None, backoff_factor=self.retry_backoff, raise_on_status=False,
                                 respect_retry_after_header=False)
        retry.api = self
        return retry

    def _factory(self, resend):
        def factory(package, api_name, config):
            key = (resend, package.__name__, api_name)
            if key not in self._apis:
                configuration = package.Configuration()
                configuration.host = config["host"]
                configuration.access_token = config["access_token"]
                configuration.retries = self._retry(resend)
                # Sent to HubSpot's date-versioned path of the same endpoint (api_paths).
                api_client = versioned_api_client(package.ApiClient(configuration=configuration), self.api_version)
                api_client.user_agent = "pretix-hubspot (hubspot-api-client-python)"
                self._apis[key] = getattr(package, api_name)(api_client=api_client)
            return self._apis[key]
        return factory

    def _client(self, resend):
        return HubSpot(access_token=self._access_token(), host=conf.api_url(), base_url=conf.api_url(),
                       api_factory=self._factory(resend))

    @property
    def sdk(self) -> HubSpot:
        """The official client; API objects reached through it are created once and kept."""
        if self._sdk is None:
            self._sdk = self._client(True)
        return self._sdk

    @property
    def sdk_no_resend(self) -> HubSpot:
        """Like ``sdk``, but never sends a request twice once it may have reached HubSpot (for plain creates)."""
        if self._sdk_no_resend is None:
            self._sdk_no_resend = self._client(False)
        return self._sdk_no_resend

    # tokens -------------------------------------------------------------------------------------------------------

    def _access_token(self):
        if self._token is None or not self.connection.access_token_valid_for(TOKEN_MARGIN):
            try:
                token = get_valid_access_token(self.connection)
            except (StaticTokenRejected, StaticTokensSwitchedOff) as e:
                raise HubSpotConfigError(str(e)) from None
            except ReconnectRequired:
                raise HubSpotConfigError(reconnect_message()) from None
            except Exception as e:
                if isinstance(e, getattr(oauth, "HubSpotUnavailable", ())):
                    raise HubSpotTemporaryError(_("HubSpot could not renew the access token right now. The transfer "
                                                  "will be retried.")) from None
                if isinstance(e, getattr(oauth, "OAuthError", ())):
                    raise HubSpotConfigError(_("HubSpot refused to renew the access token ({error}). Please check "
                                               "the connection in Settings → HubSpot.").format(
                        error=getattr(e, "error_code", "") or type(e).__name__)) from None
                raise
            if token != self._token:
                self._token = token
                for api in self._apis.values():
                    api.api_client.configuration.access_token = token
        return self._token

    def _force_refresh(self):
        """HubSpot said the token is no longer valid although we thought it was: make the next check refresh it."""
        from .models import HubSpotConnection
        HubSpotConnection.objects.filter(
            pk=self.connection.pk, access_token_encrypted=self.connection.access_token_encrypted,
        ).update(access_token_expires=now() - timedelta(seconds=1))
        self.connection.access_token_expires = now() - timedelta(seconds=1)
        self._access_token()

    # calls --------------------------------------------------------------------------------------------------------

    def call(self, fn, *args, **kwargs):
        """Calls one method of the official client, e.g. ``api.call(api.sdk.crm.contacts.basic_api.get_by_id, "1")``."""
        if self._timeout is None:
            self._timeout = conf.request_timeout()
        kwargs.setdefault("_request_timeout", self._timeout)
        refreshed = False
        waited = 0.0
        rate_limited = None
        while True:
            self._access_token()
            try:
                waited += self.limiter.acquire(max_wait=self._wait_allowed(waited))
            except WaitTooLong as e:
                raise self._rate_limited(rate_limited, e.seconds) from None
            self.request_count += 1
            try:
                return fn(*args, **kwargs)
            except WaitTooLong as e:  # from a retry of urllib3 (CountedRetry)
                raise self._rate_limited(rate_limited, e.seconds) from None
            except Exception as e:
                if not is_api_exception(e):
                    transport_error = self._transport_error(e)
                    if transport_error is None:
                        raise
                    raise transport_error from None
                error = error_from_api_exception(e, secrets=(oauth.Secret(self._token),
                                                             oauth.Secret(self.connection.refresh_token)))
                if isinstance(error, HubSpotRateLimited):
                    # Every worker of the account holds back; the next acquire() waits for the pause, or gives up
                    # at once when it would take longer than this caller may wait.
                    logger.info("HubSpot portal %s answered 429, pausing %.1f s", self.connection.portal_id,
                                error.retry_after)
                    self.limiter.pause(error.retry_after)
                    rate_limited = error
                    continue
                elif error.status == 401 and self.connection.is_static:
                    # A static token cannot be refreshed: it was revoked or rotated in HubSpot.
                    raise HubSpotConfigError(str(token_rejected(self.connection))) from None
                elif error.status == 401 and not refreshed:
                    refreshed = True
                    self._force_refresh()
                    continue
                raise error from None

    def _wait_allowed(self, waited):
        allowed = self.max_rate_limit_wait - waited
        if self.wait_until is not None:
            allowed = min(allowed, self.wait_until - time.time())
        return max(allowed, 0.0)

    def _rate_limited(self, error, seconds):
        """HubSpot's limit would keep this call waiting too long: come back after ``seconds``."""
        if error is None:
            error = HubSpotRateLimited(rate_limit_message(), status=429)
        error.retry_after = max(seconds, 0.1)
        return error

    def _transport_error(self, e):
        if isinstance(e, (urllib3.exceptions.HTTPError, OSError)):
            if isinstance(e, urllib3.exceptions.MaxRetryError) and e.reason is not None:
                e = e.reason
            if isinstance(e, (urllib3.exceptions.TimeoutError, TimeoutError)):
                text = _("HubSpot did not answer in time. The transfer will be retried.")
            else:
                text = _("Could not reach HubSpot ({error}). The transfer will be retried.").format(
                    error=type(e).__name__)
            return HubSpotTemporaryError(text)
        return None
