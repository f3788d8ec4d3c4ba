"""
Linking events to HubSpot connections: storing a new consent, reusing an organizer's connection, disconnecting.

One ``HubSpotConnection`` exists per organizer and HubSpot account (portal); every event of the organizer can use it
through its ``EventConnection``. Tokens are revoked at HubSpot and deleted only when the last event lets go.
"""
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.timezone import now
from django_scopes import scopes_disabled

from . import crypto, oauth
from .datasync_api import OrderSyncQueue
from .models import EventConnection, HubSpotConnection

logger = logging.getLogger(__name__)


@dataclass
class Consent:
    """Everything HubSpot told us after the user granted access."""
    tokens: oauth.TokenSet
    account: oauth.AccountDetails
    details: oauth.TokenDetails


def missing_required_scopes(granted) -> list:
    from . import conf

    return [s for s in conf.REQUIRED_SCOPES if s not in set(granted or ())]


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
        connection.access_token = consent.tokens.access_token
        connection.refresh_token = consent.tokens.refresh_token
        connection.access_token_expires = consent.tokens.expires_at
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
        sync_provider="hubspot", event__hubspot_connection__connection=connection, in_flight=False,
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
    event.log_action("pretix_hubspot.connected", user=user, data=_log_data(connection))
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
        event.log_action("pretix_hubspot.disconnected", user=user, data=_log_data(connection))
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
    except oauth.OAuthError as e:
        logger.warning("Could not revoke the refresh token of HubSpot portal %s: %s", connection.portal_id,
                       type(e).__name__)
        result = DisconnectResult(revoke_failed=True)
    else:
        result = DisconnectResult(revoked=True)
    if event is not None:
        # On the event: log entries of an event-level plugin cannot be shown in the organizer's log.
        event.log_action("pretix_hubspot.connection.deleted", user=user,
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
        except oauth.OAuthError as e:
            logger.warning("Could not revoke the refresh token of HubSpot portal %s of a deleted organizer: %s",
                           portal_id, type(e).__name__)


def _log_data(connection):
    # Never tokens: only what identifies the HubSpot account.
    return {"portal_id": connection.portal_id, "hub_domain": connection.hub_domain}
