"""OAuth: the authorize screens, the token endpoints (2026-03 and legacy v1), token info, introspection, revocation."""
import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

from . import crm_currencies, defaults, errors, oauth_pages
from .routing import route

APP_NAME = "pretix"


def _html(body, status=200):
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def _redirect(location, status=302):
    return Response("", status=status, headers={"Location": location})


def with_query(url, params):
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _scopes(value):
    # Space-separated; a "+" that survived URL decoding counts as a separator too.
    return [s for s in (value or "").replace("+", " ").split() if s]


# --- the authorize screens --------------------------------------------------------------------------------------------

@route("/oauth/authorize", ["GET"], auth=False)
def authorize(ctx):
    return _start_flow(ctx, None)


@route("/oauth/<int:portal_id>/authorize", ["GET"], auth=False)
def authorize_pinned(ctx, portal_id):
    return _start_flow(ctx, portal_id)


def _start_flow(ctx, pinned_portal_id):
    sandbox, args = ctx.sandbox, ctx.request.args
    if args.get("client_id") != sandbox.client_id:
        return _html(oauth_pages.error("Authorization failed because the client_id is not recognized.",
                                       "invalid_client"), 400)
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri or (sandbox.redirect_uris and redirect_uri not in sandbox.redirect_uris):
        return _html(oauth_pages.error("Authorization failed because the redirect URL doesn't match the app's "
                                       "redirect URLs.", "redirect_uri_mismatch"), 400)
    scopes, optional = _scopes(args.get("scope")), _scopes(args.get("optional_scope"))
    unknown = [s for s in scopes + optional if s not in defaults.KNOWN_SCOPES]
    if not scopes or unknown:
        return _html(oauth_pages.error("Authorization failed because there is a mismatch between the scopes in the "
                                       f"install URL and the app's configured scopes: {' '.join(unknown)}",
                                       "invalid_scope"), 400)
    challenge, method = args.get("code_challenge", ""), args.get("code_challenge_method", "")
    if challenge and method != "S256":
        return _html(oauth_pages.error("Authorization failed because only the S256 code challenge method is "
                                       "supported.", "invalid_request"), 400)
    if pinned_portal_id is not None and pinned_portal_id not in ctx.state.portals:
        return _html(oauth_pages.error("You don't have access to this account.", "invalid_portal"), 400)
    flow_id = secrets.token_urlsafe(16)
    ctx.state.flows[flow_id] = _flow(flow_id, args, redirect_uri, scopes, optional, challenge, method,
                                     pinned_portal_id)
    return _html(oauth_pages.landing(APP_NAME, flow_id))


def _flow(flow_id, args, redirect_uri, scopes, optional, challenge, method, pinned_portal_id):
    from .state import ConsentFlow

    return ConsentFlow(flow_id=flow_id, client_id=args.get("client_id"), redirect_uri=redirect_uri, scopes=scopes,
                       optional_scopes=[s for s in optional if s not in scopes], state=args.get("state"),
                       code_challenge=challenge, code_challenge_method=method, pinned_portal_id=pinned_portal_id)


def _get_flow(ctx, flow_id):
    flow = ctx.state.flows.get(flow_id or "")
    if flow is None:
        raise errors.HubSpotError(400, "Unknown or expired authorization flow", "VALIDATION_ERROR")
    return flow


def _selectable_portals(ctx, flow):
    if flow.pinned_portal_id is not None:
        return [ctx.state.portals[flow.pinned_portal_id]]
    return sorted(ctx.state.portals.values(), key=lambda p: p.portal_id != ctx.sandbox.default_portal_id)


@route("/oauth/authorize/sign-in", ["GET"], auth=False)
def sign_in(ctx):
    flow = _get_flow(ctx, ctx.request.args.get("flow"))
    return _html(oauth_pages.choose_account(APP_NAME, flow.flow_id, _selectable_portals(ctx, flow)))


@route("/signup", ["GET"], auth=False)
def sign_up(ctx):
    """Creating an account takes one click here: a new portal, selected for the flow."""
    flow = _get_flow(ctx, ctx.request.args.get("flow"))
    portal_id = max(ctx.state.portals) + 1
    ctx.state.create_portal(portal_id)
    flow.portal_id = portal_id
    return _redirect(f"/oauth/authorize/consent?flow={flow.flow_id}", 303)


@route("/oauth/authorize/choose", ["POST"], auth=False)
def choose(ctx):
    flow = _get_flow(ctx, ctx.request.form.get("flow"))
    try:
        portal_id = int(ctx.request.form.get("portal_id", ""))
    except ValueError:
        portal_id = None
    if portal_id not in {p.portal_id for p in _selectable_portals(ctx, flow)}:
        return _html(oauth_pages.error("Choose one of your accounts.", "invalid_portal"), 400)
    flow.portal_id = portal_id
    return _redirect(f"/oauth/authorize/consent?flow={flow.flow_id}", 303)


@route("/oauth/authorize/consent", ["GET"], auth=False)
def consent(ctx):
    flow = _get_flow(ctx, ctx.request.args.get("flow"))
    if flow.portal_id is None:
        return _redirect(f"/oauth/authorize/sign-in?flow={flow.flow_id}", 303)
    portal = ctx.state.portals[flow.portal_id]
    return _html(oauth_pages.consent(APP_NAME, flow.flow_id, portal, flow.scopes, flow.optional_scopes))


@route("/oauth/authorize/connect", ["POST"], auth=False)
def connect(ctx):
    form = ctx.request.form
    flow = _get_flow(ctx, form.get("flow"))
    if flow.portal_id is None:
        return _html(oauth_pages.error("Choose an account first.", "invalid_portal"), 400)
    del ctx.state.flows[flow.flow_id]
    if form.get("action") != "connect":
        return _redirect(with_query(flow.redirect_uri, {
            "error": "access_denied", "error_description": "The user declined to connect the app.",
            "state": flow.state,
        }))
    requested = set(flow.scopes) | set(flow.optional_scopes)
    granted = set(form.getlist("scope")) & requested
    portal = ctx.state.portals[flow.portal_id]
    portal.installed_scopes = (portal.installed_scopes or set()) | granted
    code = ctx.sandbox._new_code(flow.portal_id, granted, flow.redirect_uri, flow.code_challenge,
                                 flow.code_challenge_method)
    return _redirect(with_query(flow.redirect_uri, {"code": code, "state": flow.state}))


# --- token endpoints --------------------------------------------------------------------------------------------------

def _check_client(ctx, form):
    sandbox = ctx.sandbox
    if form.get("client_id") != sandbox.client_id:
        raise errors.oauth_error("invalid_client", "missing or unknown client id", "BAD_CLIENT_ID",
                                 "missing or unknown client id")
    if form.get("client_secret") != sandbox.client_secret:
        raise errors.oauth_error("invalid_client", "missing or invalid client secret", "BAD_CLIENT_SECRET",
                                 "missing or invalid client secret")


def _bad_refresh_token():
    return errors.oauth_error("invalid_grant", "refresh token is invalid, expired or revoked", "BAD_REFRESH_TOKEN",
                              "missing or invalid refresh token")


def _bad_code(message="missing or unknown auth code"):
    return errors.oauth_error("invalid_grant", message, "BAD_AUTH_CODE", message)


def _token_response(ctx, access, refresh):
    return 200, {
        "token_type": "bearer",
        "refresh_token": refresh.token,
        "access_token": access.token,
        "expires_in": max(int(access.expires_at - time.time() + 0.5), 0),
        "hub_id": access.portal_id,
        "scopes": sorted(access.scopes),
    }


@route("/oauth/v1/token", ["POST"], auth=False)
def token_v1(ctx):
    return _token(ctx)


@route("/oauth/2026-03/token", ["POST"], auth=False)
def token_2026_03(ctx):
    return _token(ctx)


def _token(ctx):
    form = ctx.request.form
    grant_type = form.get("grant_type")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise errors.oauth_error("unsupported_grant_type", "missing or unknown grant type", "BAD_GRANT_TYPE",
                                 "missing or unknown grant type")
    _check_client(ctx, form)
    if grant_type == "authorization_code":
        return _exchange_code(ctx, form)
    return _refresh(ctx, form)


def _exchange_code(ctx, form):
    sandbox, state = ctx.sandbox, ctx.state
    code = state.codes.get(form.get("code") or "")
    if code is None or code.used or code.expires_at <= time.time():
        raise _bad_code()
    redirect_uri = form.get("redirect_uri", "")
    if redirect_uri != code.redirect_uri or (sandbox.redirect_uris and redirect_uri not in sandbox.redirect_uris):
        raise errors.oauth_error("invalid_grant", "redirect_uri does not match", "BAD_REDIRECT_URI",
                                 "redirect_uri does not match the one used to obtain the auth code")
    if code.code_challenge:
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or digest != code.code_challenge:
            raise errors.oauth_error("invalid_grant", "code_verifier does not match the code_challenge",
                                     "BAD_CODE_VERIFIER", "missing or invalid code_verifier")
    code.used = True
    access, refresh = state.mint_tokens(code.portal_id, code.scopes, sandbox.access_token_lifetime)
    return _token_response(ctx, access, refresh)


def _refresh(ctx, form):
    sandbox, state = ctx.sandbox, ctx.state
    refresh = state.refresh_tokens.get(form.get("refresh_token") or "")
    if refresh is None or refresh.revoked or state.portals[refresh.portal_id].installed_scopes is None:
        raise _bad_refresh_token()
    scopes = set(refresh.scopes) & state.portals[refresh.portal_id].installed_scopes
    if sandbox.rotate_refresh_tokens:
        refresh.revoked = True
        access, refresh = state.mint_tokens(refresh.portal_id, scopes, sandbox.access_token_lifetime)
    else:
        access, _ = state.mint_tokens(refresh.portal_id, scopes, sandbox.access_token_lifetime, refresh_token=refresh)
    return _token_response(ctx, access, refresh)


@route("/oauth/2026-03/token/introspect", ["POST"], auth=False)
def introspect(ctx):
    form = ctx.request.form
    _check_client(ctx, form)
    state, value, now = ctx.state, form.get("token", ""), time.time()
    hint = form.get("token_type_hint", "")
    lookups = [("access_token", state.access_tokens), ("refresh_token", state.refresh_tokens)]
    if hint == "refresh_token":
        lookups.reverse()
    for kind, table in lookups:
        token = table.get(value)
        if token is None or token.revoked or state.portals[token.portal_id].installed_scopes is None:
            continue
        if kind == "access_token" and token.expires_at <= now:
            continue
        portal = state.portals[token.portal_id]
        scopes = sorted(state.effective_scopes(token))
        body = {
            "active": True, "token_type": kind, "client_id": ctx.sandbox.client_id, "app_id": ctx.sandbox.app_id,
            "hub_id": portal.portal_id, "hub_domain": portal.hub_domain, "user": portal.user_email,
            "user_id": portal.user_id, "scope": " ".join(scopes), "scopes": scopes, "iat": int(token.issued_at),
        }
        if kind == "access_token":
            body["exp"] = int(token.expires_at)
            body["expires_in"] = int(token.expires_at - now)
        return 200, body
    return 200, {"active": False}


@route("/oauth/2026-03/token/revoke", ["POST"], auth=False)
def revoke(ctx):
    form = ctx.request.form
    _check_client(ctx, form)
    value = form.get("token", "")
    for table in (ctx.state.refresh_tokens, ctx.state.access_tokens):
        if value in table:
            table[value].revoked = True
    # RFC 7009: the answer is the same whether or not the token was known.
    return 200, None


@route("/oauth/v1/access-tokens/<token>", ["GET"], auth=False)
def access_token_info(ctx, token):
    state = ctx.state
    access = state.access_tokens.get(token)
    if access is None or access.revoked or state.portals[access.portal_id].installed_scopes is None:
        raise errors.HubSpotError(404, "Token not found", "OBJECT_NOT_FOUND")
    now = time.time()
    if access.expires_at <= now:
        raise errors.expired_authentication(now - access.expires_at)
    portal = state.portals[access.portal_id]
    return 200, {
        "token": access.token, "user": portal.user_email, "hub_domain": portal.hub_domain,
        "scopes": sorted(state.effective_scopes(access)), "hub_id": portal.portal_id, "app_id": ctx.sandbox.app_id,
        "expires_in": int(access.expires_at - now), "user_id": portal.user_id, "token_type": "access",
        "is_private_distribution": False,
        "signed_access_token": {"hublet": portal.data_hosting_location, "hubId": portal.portal_id},
    }


def _refresh_token_or_404(ctx, token):
    refresh = ctx.state.refresh_tokens.get(token)
    if refresh is None or refresh.revoked or ctx.state.portals[refresh.portal_id].installed_scopes is None:
        raise errors.HubSpotError(404, "Refresh token not found", "OBJECT_NOT_FOUND")
    return refresh


@route("/oauth/v1/refresh-tokens/<token>", ["GET"], auth=False)
def refresh_token_info(ctx, token):
    refresh = _refresh_token_or_404(ctx, token)
    portal = ctx.state.portals[refresh.portal_id]
    return 200, {
        "token": refresh.token, "user": portal.user_email, "hub_domain": portal.hub_domain,
        "scopes": sorted(set(refresh.scopes) & portal.installed_scopes), "hub_id": portal.portal_id,
        "client_id": ctx.sandbox.client_id, "user_id": portal.user_id, "token_type": "refresh",
    }


@route("/oauth/v1/refresh-tokens/<token>", ["DELETE"], auth=False)
def refresh_token_delete(ctx, token):
    _refresh_token_or_404(ctx, token).revoked = True
    return 204, None


# --- account ----------------------------------------------------------------------------------------------------------

@route("/account-info/v3/details", ["GET"])
def account_details(ctx):
    ctx.require_scopes("oauth")
    portal = ctx.portal
    return 200, {
        "portalId": portal.portal_id, "accountType": "STANDARD", "timeZone": portal.time_zone,
        "companyCurrency": portal.currency, "additionalCurrencies": crm_currencies.account_currencies(portal)[1:], "utcOffset": "+01:00",
        "utcOffsetMilliseconds": 3600000, "uiDomain": portal.ui_domain,
        "dataHostingLocation": portal.data_hosting_location,
    }
