"""The sandbox's OAuth: consent screens, token endpoints (v1 through the official client, 2026-03 over HTTP), info."""
import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.oauth import ApiException as OAuthApiException

from hubspot_sandbox import ConsentError


@pytest.fixture(autouse=True)
def legacy_paths_served(hubspot):
    """These tests drive the sandbox through the official client's typed APIs, which speak the numbered paths."""
    hubspot.refuse_legacy_paths = False


REDIRECT = "https://pretix.example/control/hubspot/oauth/return/"
SCOPES = "oauth crm.objects.contacts.read crm.objects.contacts.write crm.objects.deals.read"
OPTIONAL = "crm.schemas.contacts.write"


def authorize_url(hubspot, path="/oauth/authorize", **overrides):
    params = {"client_id": hubspot.client_id, "redirect_uri": REDIRECT, "scope": SCOPES, "optional_scope": OPTIONAL,
              "state": "st-123"}
    params.update(overrides)
    return hubspot.url + path + "?" + urlencode({k: v for k, v in params.items() if v is not None})


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def exchange_v1(hubspot, code, redirect_uri=REDIRECT):
    client = HubSpot(host=hubspot.url)
    return client.oauth.tokens_api.create(grant_type="authorization_code", code=code, redirect_uri=redirect_uri,
                                          client_id=hubspot.client_id, client_secret=hubspot.client_secret)


def post_2026(hubspot, path, **form):
    form.setdefault("client_id", hubspot.client_id)
    form.setdefault("client_secret", hubspot.client_secret)
    return requests.post(hubspot.url + "/oauth/2026-03/" + path, data=form)


def test_screens_show_the_user_guide_titles_and_requested_scopes(hubspot):
    browser = requests.Session()
    landing = browser.get(authorize_url(hubspot))
    assert landing.status_code == 200
    assert "Connecting your pretix account to HubSpot" in landing.text
    assert "Create a new HubSpot account" in landing.text and "Sign in to your HubSpot account" in landing.text
    flow = landing.text.split("flow=")[1].split('"')[0]
    choose = browser.get(f"{hubspot.url}/oauth/authorize/sign-in?flow={flow}")
    assert "Connecting pretix to HubSpot" in choose.text and "Choose account" in choose.text
    assert str(hubspot.default_portal_id) in choose.text and "87654321" in choose.text
    consent = browser.post(f"{hubspot.url}/oauth/authorize/choose", data={"flow": flow, "portal_id": "87654321"})
    assert "You're connecting an unverified app" in consent.text and "Connect app" in consent.text
    for scope in SCOPES.split() + [OPTIONAL]:
        assert scope in consent.text


def test_consent_redirects_back_with_code_and_state_and_code_gives_tokens(hubspot):
    final = hubspot.consent(authorize_url(hubspot))
    assert final.startswith(REDIRECT)
    params = query(final)
    assert params["state"] == "st-123"

    tokens = exchange_v1(hubspot, params["code"])
    assert tokens.token_type == "bearer" and tokens.expires_in == 1800
    info = HubSpot(host=hubspot.url).oauth.access_tokens_api.get(tokens.access_token)
    assert info.hub_id == hubspot.default_portal_id
    assert info.user == "organizer@techevents.example"
    assert set(info.scopes) == set(SCOPES.split()) | {OPTIONAL}


def test_token_response_carries_hub_id_and_scopes(hubspot):
    code = query(hubspot.consent(authorize_url(hubspot), portal_id=87654321))["code"]
    response = post_2026(hubspot, "token", grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200
    body = response.json()
    assert body["hub_id"] == 87654321
    assert body["expires_in"] == 1800 and body["token_type"] == "bearer"
    assert set(body["scopes"]) == set(SCOPES.split()) | {OPTIONAL}


def test_decline_redirects_with_access_denied(hubspot):
    final = hubspot.consent(authorize_url(hubspot), decline=True)
    params = query(final)
    assert params["error"] == "access_denied" and params["state"] == "st-123" and "code" not in params


def test_grant_scopes_simulates_fewer_scopes_granted(hubspot):
    code = query(hubspot.consent(authorize_url(hubspot), grant_scopes=["oauth", "crm.objects.contacts.read"]))["code"]
    body = post_2026(hubspot, "token", grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    assert body["scopes"] == ["crm.objects.contacts.read", "oauth"]


def test_code_is_single_use_and_short_lived(hubspot):
    code = query(hubspot.consent(authorize_url(hubspot)))["code"]
    exchange_v1(hubspot, code)
    with pytest.raises(OAuthApiException) as exc:
        exchange_v1(hubspot, code)
    assert exc.value.status == 400
    assert json.loads(exc.value.body)["error"] == "invalid_grant"

    hubspot.code_lifetime = 0.1
    code = query(hubspot.consent(authorize_url(hubspot)))["code"]
    time.sleep(0.2)
    response = post_2026(hubspot, "token", grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 400 and response.json()["status"] == "BAD_AUTH_CODE"


def test_registered_redirect_uris_must_match(hubspot):
    hubspot.redirect_uris = [REDIRECT]
    with pytest.raises(ConsentError) as exc:
        hubspot.consent(authorize_url(hubspot, redirect_uri="https://evil.example/cb"))
    assert exc.value.code == "redirect_uri_mismatch"

    code = query(hubspot.consent(authorize_url(hubspot)))["code"]
    with pytest.raises(OAuthApiException) as exc:
        exchange_v1(hubspot, code, redirect_uri=REDIRECT + "other/")
    assert exc.value.status == 400 and json.loads(exc.value.body)["error"] == "invalid_grant"


@pytest.mark.parametrize("overrides,code", [
    ({"client_id": "someone-else"}, "invalid_client"),
    ({"scope": "oauth crm.objects.quotes.read"}, "invalid_scope"),
    ({"scope": None}, "invalid_scope"),
])
def test_authorize_rejects_bad_requests_with_an_error_page(hubspot, overrides, code):
    with pytest.raises(ConsentError) as exc:
        hubspot.consent(authorize_url(hubspot, **overrides))
    assert exc.value.code == code


def test_token_endpoint_rejects_wrong_client_secret(hubspot):
    code = query(hubspot.consent(authorize_url(hubspot)))["code"]
    response = post_2026(hubspot, "token", grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                         client_secret="wrong")
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_pkce_requires_the_matching_verifier(hubspot):
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = authorize_url(hubspot, code_challenge=challenge, code_challenge_method="S256")

    code = query(hubspot.consent(url))["code"]
    response = post_2026(hubspot, "token", grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                         code_verifier="w" * 64)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"

    code = query(hubspot.consent(url))["code"]
    response = post_2026(hubspot, "token", grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                         code_verifier=verifier)
    assert response.status_code == 200 and response.json()["access_token"]


def test_pinned_authorize_url_offers_only_that_account(hubspot):
    final = hubspot.consent(authorize_url(hubspot, path="/oauth/87654321/authorize"))
    body = post_2026(hubspot, "token", grant_type="authorization_code", code=query(final)["code"],
                     redirect_uri=REDIRECT).json()
    assert body["hub_id"] == 87654321
    with pytest.raises(ConsentError):
        hubspot.consent(authorize_url(hubspot, path="/oauth/87654321/authorize"), portal_id=hubspot.default_portal_id)


def test_refresh_returns_a_new_access_token_and_by_default_the_same_refresh_token(hubspot):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    client = HubSpot(host=hubspot.url)
    refreshed = client.oauth.tokens_api.create(grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                                               client_id=hubspot.client_id, client_secret=hubspot.client_secret)
    assert refreshed.access_token != tokens["access_token"]
    assert refreshed.refresh_token == tokens["refresh_token"]
    assert refreshed.expires_in == 1800


def test_rotating_refresh_tokens_kills_the_old_one(hubspot):
    hubspot.rotate_refresh_tokens = True
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    body = post_2026(hubspot, "token", grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert body["refresh_token"] != tokens["refresh_token"]
    again = post_2026(hubspot, "token", grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 400


def test_revoked_refresh_token_gives_invalid_grant_body(hubspot):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    hubspot.revoke_refresh_token(tokens["refresh_token"])
    response = post_2026(hubspot, "token", grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == "refresh token is invalid, expired or revoked"
    assert body["status"] == "BAD_REFRESH_TOKEN"
    assert body["message"] == "missing or invalid refresh token"
    with pytest.raises(OAuthApiException) as exc:
        HubSpot(host=hubspot.url).oauth.tokens_api.create(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=hubspot.client_id,
            client_secret=hubspot.client_secret)
    assert exc.value.status == 400


def test_refresh_token_info_and_delete_through_the_client(hubspot):
    tokens = hubspot.issue_tokens(87654321, scopes=["oauth", "crm.objects.contacts.read"])
    api = HubSpot(host=hubspot.url).oauth.refresh_tokens_api
    info = api.get(tokens["refresh_token"])
    assert info.hub_id == 87654321 and info.client_id == hubspot.client_id
    assert sorted(info.scopes) == ["crm.objects.contacts.read", "oauth"]
    _, status, _ = api.archive_with_http_info(tokens["refresh_token"])
    assert status == 204
    with pytest.raises(OAuthApiException) as exc:
        api.get(tokens["refresh_token"])
    assert exc.value.status == 404
    # The access token lives on until it expires.
    contacts = HubSpot(access_token=tokens["access_token"], host=hubspot.url).crm.contacts.basic_api
    assert contacts.get_page(limit=1).results == []


def test_introspect_and_revoke_2026_03(hubspot):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    body = post_2026(hubspot, "token/introspect", token=tokens["access_token"]).json()
    assert body["active"] is True and body["hub_id"] == hubspot.default_portal_id
    assert body["token_type"] == "access_token" and "crm.objects.contacts.write" in body["scopes"]
    body = post_2026(hubspot, "token/introspect", token=tokens["refresh_token"],
                     token_type_hint="refresh_token").json()
    assert body["active"] is True and body["token_type"] == "refresh_token"

    assert post_2026(hubspot, "token/revoke", token=tokens["refresh_token"],
                     token_type_hint="refresh_token").status_code == 200
    assert post_2026(hubspot, "token/introspect", token=tokens["refresh_token"]).json() == {"active": False}
    assert post_2026(hubspot, "token", grant_type="refresh_token",
                     refresh_token=tokens["refresh_token"]).status_code == 400


def test_expired_access_token_is_inactive_and_refreshable(hubspot):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    hubspot.expire_access_tokens()
    assert post_2026(hubspot, "token/introspect", token=tokens["access_token"]).json()["active"] is False
    with pytest.raises(OAuthApiException) as exc:
        HubSpot(host=hubspot.url).oauth.access_tokens_api.get(tokens["access_token"])
    assert exc.value.status == 401
    body = post_2026(hubspot, "token", grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    contacts = HubSpot(access_token=body["access_token"], host=hubspot.url).crm.contacts.basic_api
    assert contacts.get_page(limit=1).results == []


def test_uninstall_kills_every_token_of_the_account(hubspot):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    other = hubspot.issue_tokens(87654321)
    hubspot.uninstall(hubspot.default_portal_id)
    assert post_2026(hubspot, "token", grant_type="refresh_token",
                     refresh_token=tokens["refresh_token"]).json()["error"] == "invalid_grant"
    with pytest.raises(ContactsApiException) as exc:
        HubSpot(access_token=tokens["access_token"], host=hubspot.url).crm.contacts.basic_api.get_page()
    assert exc.value.status == 401
    assert HubSpot(access_token=other["access_token"], host=hubspot.url).crm.contacts.basic_api.get_page().results == []


def test_account_info_details(hubspot):
    hubspot.create_portal(55555, ui_domain="app-eu1.hubspot.com")
    tokens = hubspot.issue_tokens(55555)
    response = requests.get(hubspot.url + "/account-info/v3/details",
                            headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200
    body = response.json()
    assert body["portalId"] == 55555 and body["uiDomain"] == "app-eu1.hubspot.com"
    assert body["dataHostingLocation"] == "eu1"
    assert tokens["access_token"].startswith("eu1-")


def test_signup_creates_a_new_account_and_connects_it(hubspot):
    browser = requests.Session()
    landing = browser.get(authorize_url(hubspot))
    flow = landing.text.split("flow=")[1].split('"')[0]
    consent = browser.get(f"{hubspot.url}/signup?flow={flow}")
    assert "Connect app" in consent.text
    final = browser.post(f"{hubspot.url}/oauth/authorize/connect",
                         data={"flow": flow, "action": "connect", "scope": SCOPES.split()}, allow_redirects=False)
    body = post_2026(hubspot, "token", grant_type="authorization_code", code=query(final.headers["Location"])["code"],
                     redirect_uri=REDIRECT).json()
    assert body["hub_id"] not in (hubspot.default_portal_id, 87654321)
