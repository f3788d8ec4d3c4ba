"""
Static access tokens of single-account ("static auth") apps, separate from the OAuth app: ``HubSpotSandbox
.issue_static_token`` installs such an app in one account and hands out its token; ``rotate_static_token`` replaces
it (the old one answers 401 from then on, as after rotating it in HubSpot).

- The token is a Bearer token like an OAuth access token, with a ``pat-<hublet>-`` prefix; it does not expire and
  its scopes are its own app's (uninstalling the OAuth app does not touch it).
- ``POST /oauth/v2/private-apps/get/access-token-info`` with ``{"tokenKey": …}`` tells its account and scopes
  (``userId``, ``hubId``, ``appId``, ``scopes``), without client credentials; an unknown, rotated or revoked token
  is 404 OBJECT_NOT_FOUND.
"""
import math
import secrets
import time

from . import errors
from .routing import route
from .state import AccessToken

STATIC_APP_ID = 4200042


def issue(state, portal_id, scopes):
    portal = state.portals[int(portal_id)]
    token = AccessToken(
        token=f"pat-{portal.data_hosting_location}-" + "-".join(secrets.token_hex(n) for n in (4, 2, 2, 2, 6)),
        portal_id=portal.portal_id, scopes=set(scopes), expires_at=math.inf, refresh_token="",
        issued_at=time.time(), static=True,
    )
    state.access_tokens[token.token] = token
    return token.token


@route("/oauth/v2/private-apps/get/access-token-info", ["POST"], auth=False)
def access_token_info(ctx):
    body = ctx.json() or {}
    token = ctx.state.access_tokens.get(str(body.get("tokenKey") or ""))
    if token is None or not token.static or token.revoked:
        raise errors.HubSpotError(404, "Token not found", "OBJECT_NOT_FOUND")
    portal = ctx.state.portals[token.portal_id]
    return 200, {"userId": portal.user_id, "hubId": portal.portal_id, "appId": STATIC_APP_ID,
                 "scopes": sorted(token.scopes)}
