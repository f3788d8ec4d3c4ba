"""
Connections by the static access token of a single-account HubSpot app (HubSpot's "static auth"), entered in an
organizer's settings.

Such a token does not expire and cannot be refreshed: when HubSpot answers 401, the token was revoked or rotated in
HubSpot, and only a person entering the app's current token helps. The connection is the organizer's, like an OAuth
connection: every event of that organizer (and no other) can use it without a consent screen. It stays when the
last event lets go of it; it is removed on the organizer's settings page.
"""
import logging
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .. import conf, log_actions
from ..hubspot_api import oauth
from ..hubspot_api.errors import GrantRejected, HubSpotError, OAuthError
from ..models import HubSpotConnection
from . import connections

logger = logging.getLogger(__name__)

# HubSpot's tokens start with the data centre ("hublet") of the account: pat-na1-…, pat-eu1-…
HUBLET_RE = re.compile(r"^[a-z]+-([a-z]{2}\d+)-")


class TokenCheckError(Exception):
    """The entered token cannot be used. ``str(problem)`` is fit to show to the user."""


@dataclass
class SaveResult:
    connection: HubSpotConnection
    created: bool


def hublet(token: str) -> str:
    match = HUBLET_RE.match(token)
    return match.group(1) if match else ""


def ui_domain(token: str) -> str:
    data_centre = hublet(token) or "na1"
    return "app.hubspot.com" if data_centre == "na1" else f"app-{data_centre}.hubspot.com"


# HubSpot reports no scopes for a static token without the app's client credentials, and its account information
# API answers with any valid token that has "oauth". So the check asks HubSpot what the integration will ask: the
# account, then one read per read scope; HubSpot answers 403 MISSING_SCOPES for a scope the app lacks. Writes cannot
# be tried without writing; a missing write scope shows with the first transfer, as for any connection.
READ_CHECKS = (
    ("crm.objects.contacts.read", lambda api: api.call(api.sdk.crm.contacts.basic_api.get_page, limit=1)),
    ("crm.objects.deals.read", lambda api: api.call(api.sdk.crm.deals.basic_api.get_page, limit=1)),
    ("crm.schemas.contacts.read",
     lambda api: api.call(api.sdk.crm.properties.core_api.get_by_name, "contacts", "email")),
    ("crm.schemas.deals.read", lambda api: api.call(api.sdk.crm.properties.core_api.get_by_name, "deals", "dealname")),
)


def missing_scopes(scopes) -> TokenCheckError:
    return TokenCheckError(_(
        "The HubSpot app of this access token lacks permissions the integration needs ({scopes}). Add them to the "
        "app's required scopes in HubSpot, install it again and enter its access token here."
    ).format(scopes=", ".join(scopes)))


def check_token(token: str):
    """
    ``(account details, scopes HubSpot confirmed)`` for a static token, or ``TokenCheckError`` saying what is wrong.
    The token is only sent in the Authorization header.
    """
    from ..hubspot_api.client import HubSpotApi

    try:
        account = oauth.account_details(token)
    except GrantRejected as e:
        if e.status == 403:
            raise missing_scopes(["oauth"])
        raise TokenCheckError(_("HubSpot did not accept this access token. Please copy the current access token of "
                                "your HubSpot app again (it may have been rotated) and enter it here."))
    except OAuthError as e:
        raise TokenCheckError(_("The access token could not be checked: {reason}").format(reason=e))

    # Not saved: only what the client needs to send the reads with this token.
    probe = HubSpotConnection(portal_id=account.portal_id, auth_type=HubSpotConnection.AUTH_STATIC)
    probe.access_token = token
    api = HubSpotApi(probe)
    confirmed, missing = ["oauth"], []
    for scope, read in READ_CHECKS:
        try:
            read(api)
        except HubSpotError as e:
            if e.status != 403:
                raise TokenCheckError(_("The access token could not be checked: {reason}").format(
                    reason=e.messages[0] if getattr(e, "messages", None) else e))
            missing.append(scope)
        else:
            confirmed.append(scope)
    if missing:
        raise missing_scopes(missing)
    return account, confirmed


def save_token(organizer, user, token: str) -> SaveResult:
    """
    Checks the token with HubSpot (account and scopes) and stores it, encrypted, as the organizer's connection to
    that account. A new token for an account already connected by token replaces the old one (a rotated token).
    """
    token = token.strip()
    if not conf.static_tokens_allowed():
        raise TokenCheckError(_("Connecting with an access token has been switched off on this server."))
    account, scopes = check_token(token)
    with transaction.atomic():
        connection = HubSpotConnection.objects.select_for_update().filter(
            organizer=organizer, portal_id=account.portal_id,
        ).first()
        if connection is not None and not connection.is_static:
            raise TokenCheckError(_(
                "This organizer is already connected to HubSpot account {portal_id} through HubSpot's sign-in. "
                "Events can use that connection; disconnect them all before connecting this account by access token."
            ).format(portal_id=account.portal_id))
        created = connection is None
        if created:
            connection = HubSpotConnection(organizer=organizer, portal_id=account.portal_id,
                                           auth_type=HubSpotConnection.AUTH_STATIC)
        connection.ui_domain = account.ui_domain or ui_domain(token)
        connection.data_hosting_location = account.data_hosting_location or hublet(token)
        connection.scopes = scopes
        connection.connected_by = user
        connection.access_token = token
        connection.refresh_token = ""
        connection.access_token_expires = None
        connection.needs_reconnect = False
        connection.last_refresh_error = ""
        connection.save()
    # Never the token: only what identifies the HubSpot account.
    organizer.log_action(log_actions.STATIC_TOKEN_SAVED, user=user, data={
        "portal_id": connection.portal_id, "replaced": not created,
    })
    # Orders that waited for a working token (a rotated one) go out with the next run.
    connections.release_waiting_orders(connection)
    return SaveResult(connection=connection, created=created)


def remove_token(connection, user) -> int:
    """
    Deletes the organizer's token connection; the events that used it are disconnected (each logs it). Returns how
    many events were disconnected. HubSpot is not told: a static token can only be rotated or the app uninstalled
    in HubSpot itself.
    """
    assert connection.is_static
    with transaction.atomic():
        event_connections = list(connection.event_connections.select_related("event"))
        data = {"portal_id": connection.portal_id, "hub_domain": connection.hub_domain}
        for event_connection in event_connections:
            event_connection.event.log_action(log_actions.DISCONNECTED, user=user, data=data)
        connection.organizer.log_action(log_actions.STATIC_TOKEN_REMOVED, user=user,
                                        data={"portal_id": connection.portal_id, "events": len(event_connections)})
        connection.delete()
    return len(event_connections)
