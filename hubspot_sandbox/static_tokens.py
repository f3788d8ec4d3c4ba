"""
Static access tokens of single-account ("static auth") apps, separate from the OAuth app: ``HubSpotSandbox
.issue_static_token`` installs such an app in one account and hands out its token; ``rotate_static_token`` replaces
it (the old one answers 401 from then on, as after rotating it in HubSpot).

The token is a Bearer token like an OAuth access token, with a ``pat-<hublet>-`` prefix; it does not expire, its
scopes are its own app's (uninstalling the OAuth app or removing a scope from it does not touch it), and every
endpoint treats it like any access token (the account details need its ``oauth`` scope, as with OAuth tokens).
"""
import math
import secrets
import time

from .state import AccessToken


def issue(state, portal_id, scopes):
    portal = state.portals[int(portal_id)]
    token = AccessToken(
        token=f"pat-{portal.data_hosting_location}-" + "-".join(secrets.token_hex(n) for n in (4, 2, 2, 2, 6)),
        portal_id=portal.portal_id, scopes=set(scopes), expires_at=math.inf, refresh_token="",
        issued_at=time.time(), static=True,
    )
    state.access_tokens[token.token] = token
    return token.token
