"""
The life of a HubSpot connection: completing a consent and storing its tokens, reusing an organizer's connection,
disconnecting (keeping the access token fresh is ``tokens``').

One ``HubSpotConnection`` exists per organizer and HubSpot account (portal); every event of the organizer can use it
through its ``EventConnection``. Tokens are revoked at HubSpot and deleted only when the last event lets go. The
requests to HubSpot's OAuth endpoints are ``oauth``'s; what their answers mean for the stored connection is decided
here. No token ever goes into a log entry or a log line: only the HubSpot account id and domain, and error codes.
"""
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.timezone import now
from django_scopes import scopes_disabled

from .. import crypto, log_actions
from ..datasync_api import OrderSyncQueue
from ..hubspot_api import oauth, scopes
from ..hubspot_api.errors import OAuthError, RequiredScopesMissing
from ..hubspot_api.tokens import store_tokens
from ..models import EventConnection, HubSpotConnection

logger = logging.getLogger(__name__)


@dataclass
class Consent:
    """Everything HubSpot told us after the user granted access."""
    tokens: oauth.TokenSet
    account: oauth.AccountDetails
    details: oauth.TokenDetails


def missing_required_scopes(granted) -> list:
    return [s for s in scopes.REQUIRED_SCOPES if s not in set(granted or ())]


def complete_consent(event, user, code: str, code_verifier) -> EventConnection:
    """
    Finishes "Request access" after HubSpot sent the user back with ``code``: exchanges it for tokens, asks HubSpot
    who consented for which account, checks that every required permission was granted, then stores the tokens and
    links the event (``connect_event``). ``code_verifier``: the PKCE verifier of the attempt, best an ``oauth.Secret``.

    Raises ``GrantRejected`` when HubSpot did not accept the code (expired, used already), another ``OAuthError``
    when HubSpot failed, and ``RequiredScopesMissing`` when the consent lacks permissions; nothing is stored then.
    """
    tokens = oauth.exchange_code(code, oauth.Secret(code_verifier))
    consent = Consent(
        tokens=tokens,
        details=oauth.token_details(tokens.access_token),
        account=oauth.account_details(tokens.access_token),
    )
    missing = missing_required_scopes(consent.tokens.scopes or consent.details.scopes)
    if missing:
        raise RequiredScopesMissing(missing)
    return connect_event(event, user, consent)


def connect_event(event, user, consent: Consent) -> EventConnection:
    """
    Stores the consent on the organizer's connection to that HubSpot account (creating it the first time, renewing
    its tokens otherwise) and links the event to it.
    """
    with transaction.atomic():
        connection, _created = HubSpotConnection.objects.select_for_update().get_or_create(
            organizer=event.organizer, portal_id=consent.account.portal_id,
        )
        connection.hub_domain = consent.details.hub_domain
        connection.ui_domain = consent.account.ui_domain or "app.hubspot.com"
        connection.data_hosting_location = consent.account.data_hosting_location
        connection.account_name = consent.account.name
        connection.hubspot_user = consent.details.user
        connection.scopes = consent.tokens.scopes or consent.details.scopes
        connection.connected_by = user
        store_tokens(connection, consent.tokens)
        connection.needs_reconnect = False
        connection.last_refresh_error = ""
        connection.save()
        event_connection, previous = _link_event(event, connection, user)
        release_waiting_orders(connection)
    if previous is not None:
        release_connection(previous, event=event, user=user)
    return event_connection


def release_waiting_orders(connection):
    """
    After a consent, the orders that waited for the connection (see ``HubSpotSync._wait_for_reconnect``) are due
    again, for every event that uses it: the next run transfers them, without a manual retry. Orders parked for a
    manual retry are left alone: they failed for a reason a reconnect does not fix.
    """
    return OrderSyncQueue.objects.filter(
        sync_provider=log_actions.PROVIDER, event__hubspot_connection__connection=connection, in_flight=False,
        need_manual_retry__isnull=True, not_before__gt=now(),
    ).update(not_before=now())


def reuse_connection(event, user, connection: HubSpotConnection) -> EventConnection:
    """Links the event to an existing connection of its organizer, without asking HubSpot for consent again."""
    assert connection.organizer_id == event.organizer_id
    with transaction.atomic():
        event_connection, previous = _link_event(event, connection, user)
    if previous is not None:
        release_connection(previous, event=event, user=user)
    return event_connection


def _link_event(event, connection, user):
    """
    Points the event at the connection and logs it. Returns ``(event connection, connection it used before)``;
    the latter is None unless the event switched HubSpot accounts and the old connection may now be released.
    """
    previous = None
    event_connection = EventConnection.objects.for_event(event)
    if event_connection is None:
        event_connection = EventConnection.objects.create(event=event, connection=connection, connected_by=user)
    elif event_connection.connection_id != connection.pk:
        # Switched to another HubSpot account: exports start afresh from now on.
        previous = event_connection.connection
        event_connection.connection = connection
        event_connection.connected_at = now()
        event_connection.connected_by = user
        event_connection.save()
    # else: a reconnect of the same account keeps the original connection time (and thus the queued orders).
    event.log_action(log_actions.CONNECTED, user=user, data=_log_data(connection))
    return event_connection, previous


@dataclass
class DisconnectResult:
    revoked: bool = False  # the tokens were revoked at HubSpot and deleted here
    revoke_failed: bool = False  # deleted here, but HubSpot could not be told
    still_used_by: int = 0  # other events that keep using the connection


def disconnect_event(event, user) -> DisconnectResult:
    """Stops the event's exports; revokes and deletes the tokens when no other event uses the connection."""
    with transaction.atomic():
        event_connection = EventConnection.objects.for_event(event)
        if event_connection is None:
            return DisconnectResult()
        connection = event_connection.connection
        event_connection.delete()
        event.log_action(log_actions.DISCONNECTED, user=user, data=_log_data(connection))
    return release_connection(connection, event=event, user=user)


def release_connection(connection: HubSpotConnection, event, user=None) -> DisconnectResult:
    """
    Revokes and deletes the connection if no event uses it any more; ``event`` is the one that let go last (None
    when it has just been deleted, so there is no event left to log on).
    """
    with transaction.atomic():
        connection = HubSpotConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if connection is None:
            return DisconnectResult()
        still_used_by = connection.event_connections.count()
        if still_used_by:
            return DisconnectResult(still_used_by=still_used_by)
        if connection.is_static:
            # The organizer's token stays for its other events; it is removed in the organizer's settings.
            return DisconnectResult()
        refresh_token = oauth.Secret(connection.refresh_token)  # never plain text in a frame an error report shows
        connection.delete()
    # Outside the transaction: HubSpot's answer must not decide whether our copy of the tokens is gone.
    try:
        oauth.revoke(refresh_token)
    except OAuthError as e:
        logger.warning("Could not revoke the refresh token of HubSpot portal %s: %s", connection.portal_id,
                       type(e).__name__)
        result = DisconnectResult(revoke_failed=True)
    else:
        result = DisconnectResult(revoked=True)
    if event is not None:
        # On the event: log entries of an event-level plugin cannot be shown in the organizer's log.
        event.log_action(log_actions.CONNECTION_DELETED, user=user,
                         data={**_log_data(connection), "revoked": result.revoked})
    else:
        logger.info("HubSpot connection to portal %s released by a deleted event (revoked: %s)",
                    connection.portal_id, result.revoked)
    return result


def release_after_event_deletion(connection_id):
    """After an event was deleted: its connection goes, too, unless another event still uses it."""
    with scopes_disabled():
        connection = HubSpotConnection.objects.filter(pk=connection_id).first()
        if connection is not None:
            release_connection(connection, event=None)


def revoke_after_organizer_deletion(connections):
    """
    After an organizer was deleted with its connections: HubSpot is told that the tokens are void. ``connections``
    holds ``(portal id, encrypted refresh token)``; the token is decrypted only here, right before it is sent.
    """
    for portal_id, encrypted_refresh_token in connections:
        try:
            oauth.revoke(crypto.decrypt(encrypted_refresh_token))
        except OAuthError as e:
            logger.warning("Could not revoke the refresh token of HubSpot portal %s of a deleted organizer: %s",
                           portal_id, type(e).__name__)


def _log_data(connection):
    # Never tokens: only what identifies the HubSpot account.
    return {"portal_id": connection.portal_id, "hub_domain": connection.hub_domain}
