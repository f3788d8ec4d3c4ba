"""
The access token of a HubSpot connection, as the client needs it: kept fresh (refreshed once, under a row lock, across
concurrent workers), a connection whose refresh token HubSpot rejected marked as needing a reconnect, and the static
token of a single-account app checked before use and marked when HubSpot rejects it.

Below the client, so that the client never reaches up into the organizer's side; completing a consent, reusing and
disconnecting a connection are ``organizer.connections``'. No token ever goes into a log entry or a log line.
"""
import logging
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from .. import conf, log_actions
from ..models import HubSpotConnection
from . import oauth
from .errors import GrantRejected, HubSpotUnavailable, ReconnectRequired, StaticTokenRejected, StaticTokensSwitchedOff

logger = logging.getLogger(__name__)

# Answers to a refresh that mean the refresh token is dead (revoked, app uninstalled): only a new consent helps.
RECONNECT_ERRORS = ("invalid_grant", "BAD_REFRESH_TOKEN", "missing_refresh_token")

# Refresh this long before the access token expires, so a request started now does not outlive its token.
REFRESH_MARGIN = timedelta(minutes=5)


def store_tokens(connection, tokens: oauth.TokenSet):
    """Puts HubSpot's new tokens on the connection (encrypted by the model); the caller saves it."""
    connection.access_token = tokens.access_token
    if tokens.refresh_token:
        # HubSpot may rotate refresh tokens; whatever it returns is the one that works next time.
        connection.refresh_token = tokens.refresh_token
    connection.access_token_expires = tokens.expires_at
    if tokens.scopes:
        connection.scopes = tokens.scopes


def valid_access_token(connection) -> str:
    """
    Returns an access token that is valid for at least a few more minutes, refreshing it first if needed (once,
    under a row lock, across concurrent workers). Raises ``ReconnectRequired`` when HubSpot rejects the refresh
    token, ``HubSpotUnavailable`` when HubSpot cannot be asked right now, and ``GrantRejected`` when HubSpot refuses
    for another reason (e.g. the server's app credentials are wrong).
    """
    if connection.is_static:
        # Never refreshed: whoever manages the app in HubSpot hands out a new token, and someone enters it here.
        return usable_token(connection)
    if connection.needs_reconnect:
        raise ReconnectRequired()
    if connection.access_token_valid_for(REFRESH_MARGIN):
        return connection.access_token

    failure = None
    # The lookups are by primary key of a connection the caller already holds, so leaving the scope is safe.
    with scopes_disabled(), transaction.atomic():
        # Every worker waits here for the one that got the lock first, then finds its fresh token below.
        locked = HubSpotConnection.objects.select_for_update().get(pk=connection.pk)
        if not locked.needs_reconnect and not locked.access_token_valid_for(REFRESH_MARGIN):
            try:
                if not locked.refresh_token:
                    # Unreadable (the server's secret key changed) or never stored: only a new consent helps.
                    raise GrantRejected(_("No usable refresh token is stored."), error_code="missing_refresh_token")
                tokens = oauth.refresh(oauth.Secret(locked.refresh_token))
            except GrantRejected as e:
                if e.error_code in RECONNECT_ERRORS:
                    mark_needs_reconnect(locked, e)
                failure = e
            except HubSpotUnavailable as e:
                failure = e
            else:
                store_tokens(locked, tokens)
                locked.last_refresh_error = ""
                locked.save(update_fields=[
                    "access_token_encrypted", "refresh_token_encrypted", "access_token_expires", "scopes",
                    "last_refresh_error", "updated",
                ])
            if failure is not None and not locked.needs_reconnect:
                # Shown as token health on the settings page; the next attempt tries again.
                locked.last_refresh_error = str(failure)
                locked.save(update_fields=["last_refresh_error", "updated"])

    for name in ("access_token_encrypted", "refresh_token_encrypted", "access_token_expires", "scopes",
                 "needs_reconnect", "last_refresh_error", "updated"):
        setattr(connection, name, getattr(locked, name))
    if connection.needs_reconnect:
        raise ReconnectRequired() from failure
    if failure is not None:
        raise failure
    return connection.access_token


def mark_needs_reconnect(connection, error: GrantRejected):
    """Records, without any token, that a person has to consent again; visible on the settings page and in logs."""
    connection.needs_reconnect = True
    connection.last_refresh_error = str(error)
    connection.save(update_fields=["needs_reconnect", "last_refresh_error", "updated"])
    logger.warning("HubSpot rejected the refresh token of connection %s (portal %s): %s",
                   connection.pk, connection.portal_id, error.error_code)
    # Logged on every event that uses the connection: that is where organizers look when exports stop. (Log
    # entries of an event-level plugin cannot be shown in the organizer's log, so there is none there.)
    data = {"portal_id": connection.portal_id, "error": error.error_code}
    for event_connection in connection.event_connections.select_related("event"):
        event_connection.event.log_action(log_actions.RECONNECT_REQUIRED, data=data)


# --- Static access tokens ---------------------------------------------------------------------------------------


def usable_token(connection) -> str:
    """The connection's static token, unless the server switched static tokens off or HubSpot rejected the token."""
    if not conf.static_tokens_allowed():
        raise StaticTokensSwitchedOff()
    token = connection.access_token
    if connection.needs_reconnect or not token:
        # An empty token means it could not be decrypted (the server's secret key changed): enter it again.
        raise StaticTokenRejected(connection.portal_id)
    return token


def token_rejected(connection) -> StaticTokenRejected:
    """Records that HubSpot answered 401 to the connection's static token; returns the error to report."""
    error = StaticTokenRejected(connection.portal_id)
    with scopes_disabled():
        updated = HubSpotConnection.objects.filter(pk=connection.pk, needs_reconnect=False).update(
            needs_reconnect=True, last_refresh_error=str(error),
        )
        connection.needs_reconnect = True
        connection.last_refresh_error = str(error)
        if updated:
            logger.warning("HubSpot rejected the static access token of connection %s (portal %s)", connection.pk,
                           connection.portal_id)
            data = {"portal_id": connection.portal_id}
            for event_connection in connection.event_connections.select_related("event"):
                event_connection.event.log_action(log_actions.STATIC_TOKEN_REJECTED, data=data)
    return error
