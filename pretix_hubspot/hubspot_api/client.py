"""
HubSpot's official client, configured for one connection: hosts, timeouts, retries, the shared rate limit, token
refresh (``tokens.valid_access_token``), and HubSpot's errors translated into pretix's three kinds of sync errors
(worded in ``errors``).

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
import logging
import time
from datetime import timedelta

import urllib3
from django.utils.timezone import now
from hubspot import HubSpot
from urllib3.util.retry import Retry

from .. import conf
from . import oauth
from .api_paths import versioned_api_client
from .errors import (
    HubSpotConfigError, HubSpotRateLimited, error_from_api_exception, rate_limit_message, token_error, transport_error,
)
from .ratelimit import PortalRateLimiter, WaitTooLong
from .tokens import token_rejected, valid_access_token

logger = logging.getLogger(__name__)

# Statuses urllib3 retries by itself. Never 429: see HubSpotApi.call.
RETRY_STATUSES = (500, 502, 503, 504)
# A request/response cycle never waits longer than this for HubSpot's request budget, in all.
PAGE_MAX_WAIT = 5.0
# Refresh the access token when it has less than this left, so it cannot expire between check and use.
TOKEN_MARGIN = timedelta(seconds=60)


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
                token = valid_access_token(self.connection)
            except Exception as e:
                error = token_error(e)
                if error is None:
                    raise
                raise error from None
            if token != self._token:
                self._token = token
                for api in self._apis.values():
                    api.api_client.configuration.access_token = token
        return self._token

    def _force_refresh(self):
        """HubSpot said the token is no longer valid although we thought it was: make the next check refresh it."""
        from ..models import HubSpotConnection
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
            return transport_error(e, timed_out=isinstance(e, (urllib3.exceptions.TimeoutError, TimeoutError)))
        return None
