"""
OAuth with HubSpot, over HTTP only: authorize URL, code exchange, token refresh, token and account details,
revocation. What to do with the answers (storing tokens, refreshing them once under a row lock, marking a connection
that needs a reconnect) is the connection lifecycle's (``connections``); the errors are ``errors``' ``OAuthError``
family.

The token endpoints are HubSpot's date-versioned ones (``/oauth/2026-03/…``): the official client only wraps the v1
endpoints, which HubSpot turns off on 16 Feb 2027. They take form-encoded bodies, so plain ``requests`` does the job.
Tokens travel only in request bodies and the Authorization header, never in URLs, so they cannot end up in access
or debug logs; messages of the exceptions raised here never contain them either.

The client secret, the PKCE code verifier and refresh tokens never sit in a local variable as plain text either: an
error reporter such as Sentry sends the local variables of every frame of a traceback. They travel as ``Secret``
(whose repr hides the value) and become text only inside the request body (``_Form``), which is read by ``requests``
itself. Answers HubSpot sends in an unexpected shape end in ``HubSpotUnavailable`` ("HubSpot sent an answer we
could not understand"), never in a ``ValueError`` or ``TypeError``.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, urlencode, urljoin

import requests
from django.conf import settings
from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from .. import conf
from . import api_paths, scopes
from .errors import GrantRejected, HubSpotUnavailable, not_understood

logger = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/2026-03/token"
INTROSPECT_PATH = "/oauth/2026-03/token/introspect"
REVOKE_PATH = "/oauth/2026-03/token/revoke"


class Secret:
    """A secret value whose repr (what error reporters and debug pages show of a local variable) hides it."""

    __slots__ = ("_value",)

    def __init__(self, value):
        self._value = value.reveal() if isinstance(value, Secret) else (value or "")

    def reveal(self) -> str:
        return self._value

    def __bool__(self):
        return bool(self._value)

    def __repr__(self):
        return "Secret('***')"

    __str__ = __repr__


def _reveal(value) -> str:
    return value.reveal() if isinstance(value, Secret) else (value or "")


class _Form:
    """
    A form-encoded request body with the app's credentials. Neither a mapping nor a sequence, so error reporters show
    its repr instead of its items; the values become text only in ``encoded()``, whose result ``_request`` hands to
    ``requests`` without keeping it.
    """

    def __init__(self, fields):
        self._fields = fields

    def encoded(self) -> bytes:
        return urlencode(
            [(key, _reveal(value)) for key, value in self._fields.items()]
            + [("client_id", conf.app_credentials()[0]), ("client_secret", conf.app_credentials()[1])]
        ).encode("ascii")

    def get(self, key, default=None):
        return self._fields.get(key, default)

    def __repr__(self):
        return "_Form({})".format(", ".join(self._fields))


def _text(value, required=False) -> str:
    """A text field of an answer: a string (or missing, unless ``required``)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise not_understood()
    return value


def _number(value, default=None):
    """A numeric field of an answer (HubSpot sends numbers, sometimes as text): an int, or ``default`` if missing."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise not_understood()
    return int(value)


def _scope_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise not_understood()
    return list(value)


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: list = field(default_factory=list)
    hub_id: int = None

    def __repr__(self):
        # Keep tokens out of tracebacks and debug output.
        return f"TokenSet(expires_in={self.expires_in}, scopes={self.scopes}, hub_id={self.hub_id})"

    @property
    def expires_at(self):
        return now() + timedelta(seconds=self.expires_in)


@dataclass
class AccountDetails:
    portal_id: int
    ui_domain: str = ""
    data_hosting_location: str = ""
    # Only some versions of HubSpot's account details carry the account's name.
    name: str = ""


@dataclass
class TokenDetails:
    user: str = ""
    hub_domain: str = ""
    hub_id: int = None
    scopes: list = field(default_factory=list)


def redirect_uri() -> str:
    """The one global URL HubSpot sends users back to; it has to be registered in the HubSpot app."""
    from pretix.multidomain import maindomain_urlconf

    # Built like pretix builds its own absolute URLs, so an installation below a path prefix works, too.
    return urljoin(settings.SITE_URL, reverse("plugins:pretix_hubspot:oauth.return", urlconf=maindomain_urlconf))


def authorize_url(state: str, code_challenge: str) -> str:
    client_id, _secret = conf.app_credentials()
    query = urlencode({
        "client_id": client_id,
        "redirect_uri": redirect_uri(),
        "scope": " ".join(scopes.REQUIRED_SCOPES),
        "optional_scope": " ".join(scopes.OPTIONAL_SCOPES),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }, quote_via=quote)
    return f"{conf.auth_url()}/oauth/authorize?{query}"


def _error_code(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return str(body.get("error") or body.get("status") or "")


def _request(method: str, path: str, form: _Form = None, headers=None) -> requests.Response:
    """One request to HubSpot; connection problems, 5xx and 429 become ``HubSpotUnavailable``."""
    url = conf.api_url() + path
    if form is not None:
        headers = {**(headers or {}), "Content-Type": "application/x-www-form-urlencoded"}
    try:
        # The body is encoded right here, as an argument: no variable of this frame holds the secrets in it.
        response = requests.request(method, url, timeout=conf.request_timeout(), headers=headers,
                                    data=form.encoded() if form is not None else None)
    except requests.RequestException as e:
        # The exception text contains only the URL (no token is ever part of one); the class name is enough.
        logger.warning("HubSpot request %s %s failed: %s", method, path, type(e).__name__)
        raise HubSpotUnavailable(_("HubSpot could not be reached. Please try again in a few minutes.")) from None
    if response.status_code >= 500 or response.status_code == 429:
        logger.warning("HubSpot request %s %s answered %s", method, path, response.status_code)
        raise HubSpotUnavailable(_(
            "HubSpot is currently not available (it answered with error {status}). Please try again in a few minutes."
        ).format(status=response.status_code))
    return response


class _Answer:
    """HubSpot's JSON answer, read with ``get``. Its repr shows the field names only: the answer may hold tokens."""

    def __init__(self, data: dict):
        self._data = data

    def get(self, key, default=None):
        return self._data.get(key, default)

    def __repr__(self):
        return "_Answer({})".format(", ".join(map(str, self._data)))


def _json(response) -> _Answer:
    try:
        body = response.json()
    except ValueError:
        raise not_understood() from None
    if not isinstance(body, dict):
        raise not_understood()
    return _Answer(body)


def _token_request(fields: dict) -> TokenSet:
    """``fields`` may hold ``Secret`` values; the app's credentials are added by ``_Form``."""
    response = _request("POST", TOKEN_PATH, form=_Form(fields))
    if response.status_code != 200:
        code = _error_code(response)
        logger.info("HubSpot token endpoint rejected a %s grant: %s %s", fields.get("grant_type"),
                    response.status_code, code)
        raise GrantRejected(_("HubSpot rejected the request ({code}).").format(code=code or response.status_code),
                            error_code=code)
    body = _json(response)
    return TokenSet(
        access_token=_text(body.get("access_token"), required=True),
        # A new consent must come with a refresh token, or the connection could not be renewed in half an hour.
        refresh_token=_text(body.get("refresh_token"), required=fields.get("grant_type") == "authorization_code"),
        expires_in=_number(body.get("expires_in"), default=1800),
        scopes=_scope_list(body.get("scopes")),
        hub_id=_number(body.get("hub_id")) if body.get("hub_id") is not None else None,
    )


def exchange_code(code: str, code_verifier) -> TokenSet:
    """``code_verifier``: best a ``Secret``, so that it is never a plain local variable."""
    return _token_request({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "code_verifier": Secret(code_verifier),
    })


def refresh(refresh_token) -> TokenSet:
    """``refresh_token``: best a ``Secret``, so that it is never a plain local variable."""
    return _token_request({"grant_type": "refresh_token", "refresh_token": Secret(refresh_token)})


def token_details(access_token) -> TokenDetails:
    """Who installed the app, in which account, with which scopes (token introspection)."""
    response = _request("POST", INTROSPECT_PATH, form=_Form({
        "token": Secret(access_token), "token_type_hint": "access_token",
    }))
    if response.status_code != 200:
        raise GrantRejected(_("HubSpot did not accept the new access token."), error_code=_error_code(response))
    body = _json(response)
    if body.get("active") is False:
        raise GrantRejected(_("HubSpot did not accept the new access token."), error_code="inactive")
    return TokenDetails(
        user=_text(body.get("user")),
        hub_domain=_text(body.get("hub_domain")),
        hub_id=_number(body.get("hub_id")) if body.get("hub_id") is not None else None,
        scopes=_scope_list(body.get("scopes") or body.get("scope")),
    )


def account_details(access_token) -> AccountDetails:
    response = _request("GET", api_paths.account_details_path(), headers=_bearer(access_token))
    if response.status_code != 200:
        raise GrantRejected(_("HubSpot did not let us read the account details ({code}).").format(
            code=response.status_code), error_code=_error_code(response), status=response.status_code)
    body = _json(response)
    portal_id = _number(body.get("portalId"))
    if not portal_id:
        raise not_understood()
    return AccountDetails(
        portal_id=portal_id,
        ui_domain=_text(body.get("uiDomain")),
        data_hosting_location=_text(body.get("dataHostingLocation")),
        name=_text(body.get("portalName"))[:255],
    )


def _bearer(access_token) -> dict:
    return {"Authorization": "Bearer " + _reveal(access_token)}


def revoke(refresh_token):
    """Revokes the refresh token at HubSpot. A token HubSpot no longer knows counts as revoked."""
    if not refresh_token:
        return
    response = _request("POST", REVOKE_PATH, form=_Form({
        "token": Secret(refresh_token), "token_type_hint": "refresh_token",
    }))
    if response.status_code not in (200, 204, 400, 404):
        raise HubSpotUnavailable(_("HubSpot did not confirm that access was revoked ({code}).").format(
            code=response.status_code))
