"""
Connecting an event to HubSpot, the way an organizer does it: Settings → HubSpot → Request access → HubSpot's
consent screens (the sandbox) → back on the settings page.
"""
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
from django.urls import resolve
from django_scopes import scopes_disabled
from pretix.base.models import LogEntry

from pretix_hubspot.hubspot_api import oauth, scopes, tokens
from pretix_hubspot.models import EventConnection, HubSpotConnection
from testbed.urls import hubspot_settings_url

SUCCESS = "The HubSpot integration is now active"


def page_text(response):
    return response.content.decode()


def assert_on_settings_page(response, event):
    assert response.status_code == 200
    match = resolve(response.wsgi_request.path)
    assert match.url_name == "settings" and match.namespace == "plugins:pretix_hubspot"
    assert match.kwargs == {"organizer": event.organizer.slug, "event": event.slug}


def assert_nothing_stored():
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()
        assert not EventConnection.objects.exists()
        assert not LogEntry.objects.filter(action_type__startswith="pretix_hubspot.").exists()


def replace_query(url, **changes):
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunparse(parts._replace(query=urlencode(query)))


@pytest.mark.django_db
def test_not_connected_page_offers_request_access(admin_client, event, hubspot_app):
    page = admin_client.get(hubspot_settings_url(event))
    assert page.status_code == 200
    text = page_text(page)
    assert "HubSpot Integration" in text
    assert "Request access" in text
    assert 'action="{}"'.format(hubspot_settings_url(event, "connect/")) in text
    assert "hubspot-status" not in text


@pytest.mark.django_db
def test_request_access_sends_user_to_hubspot_with_scopes_state_and_pkce(admin_client, event, hubspot_app):
    response = admin_client.post(hubspot_settings_url(event, "connect/"))
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == hubspot_app.url.rstrip("/")
    assert target.path == "/oauth/authorize"
    query = parse_qs(target.query)
    assert query["client_id"] == [hubspot_app.client_id]
    assert query["redirect_uri"] == ["http://example.com/_hubspot/oauth_return/"]
    assert set(query["scope"][0].split(" ")) == set(scopes.REQUIRED_SCOPES)
    assert set(query["optional_scope"][0].split(" ")) == set(scopes.OPTIONAL_SCOPES)
    assert len(query["state"][0]) >= 32
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    # A second attempt gets a state of its own.
    again = parse_qs(urlparse(admin_client.post(hubspot_settings_url(event, "connect/"))["Location"]).query)
    assert again["state"] != query["state"]


@pytest.mark.django_db
def test_request_access_is_post_only(admin_client, event, hubspot_app):
    assert admin_client.get(hubspot_settings_url(event, "connect/")).status_code == 405


@pytest.mark.django_db
def test_whole_journey_ends_with_active_integration_and_status_box(admin_client, event, user, hubspot_app,
                                                                   connect_via_hubspot):
    page = connect_via_hubspot(admin_client, event)

    assert_on_settings_page(page, event)
    text = page_text(page)
    assert SUCCESS in text
    assert "hubspot-status" in text
    assert "Request access" not in text
    assert str(hubspot_app.default_portal_id) in text
    assert user.email in text  # who connected it in pretix
    assert "crm.objects.contacts.write" in text  # granted scopes
    assert "Disconnect" in text

    with scopes_disabled():
        connection = HubSpotConnection.objects.get()
        event_connection = EventConnection.objects.get()
        assert connection.organizer == event.organizer
        assert connection.portal_id == hubspot_app.default_portal_id
        assert connection.connected_by == user
        assert set(scopes.REQUIRED_SCOPES) <= set(connection.scopes)
        assert connection.ui_domain
        assert connection.hubspot_user and connection.hubspot_user in text
        assert event_connection.event == event and event_connection.connection == connection
        assert event_connection.connected_by == user
        entry = LogEntry.objects.get(action_type="pretix_hubspot.connected")
        assert entry.event == event and entry.user == user
        assert entry.parsed_data["portal_id"] == hubspot_app.default_portal_id

    # The stored tokens work against HubSpot.
    assert oauth.account_details(tokens.valid_access_token(connection)).portal_id == connection.portal_id


@pytest.mark.django_db
def test_declining_on_hubspot_ends_on_settings_page(admin_client, event, hubspot_app, connect_via_hubspot):
    page = connect_via_hubspot(admin_client, event, decline=True)
    assert_on_settings_page(page, event)
    assert "You did not grant pretix access to HubSpot" in page_text(page)
    assert "Request access" in page_text(page)
    assert_nothing_stored()


@pytest.mark.django_db
def test_missing_required_scopes_are_refused(admin_client, event, hubspot_app, connect_via_hubspot):
    granted = [s for s in scopes.REQUIRED_SCOPES if s != "crm.objects.deals.write"]
    page = connect_via_hubspot(admin_client, event, grant_scopes=granted)
    assert_on_settings_page(page, event)
    text = page_text(page)
    assert "HubSpot did not grant all permissions" in text
    assert "crm.objects.deals.write" in text
    assert SUCCESS not in text
    assert_nothing_stored()


def _consented_return_url(client, event, hubspot):
    response = client.post(hubspot_settings_url(event, "connect/"))
    return hubspot.consent(response["Location"])


@pytest.mark.django_db
def test_return_without_state_fails_cleanly(admin_client, event, hubspot_app):
    back = _consented_return_url(admin_client, event, hubspot_app)
    page = admin_client.get(replace_query(back, state=None), follow=True)
    assert_on_settings_page(page, event)
    assert "without the information we need" in page_text(page)
    assert_nothing_stored()


@pytest.mark.django_db
def test_return_with_forged_state_fails_cleanly(admin_client, event, hubspot_app):
    back = _consented_return_url(admin_client, event, hubspot_app)
    page = admin_client.get(replace_query(back, state="x" * 43), follow=True)
    assert_on_settings_page(page, event)
    assert "not valid" in page_text(page)
    assert_nothing_stored()


@pytest.mark.django_db
def test_return_with_expired_state_fails_cleanly(admin_client, event, hubspot_app):
    from pretix_hubspot.organizer import oauth_state

    back = _consented_return_url(admin_client, event, hubspot_app)
    session = admin_client.session
    pending = session[oauth_state.SESSION_KEY]
    for p in pending:
        p["created"] -= oauth_state.LIFETIME_SECONDS + 1
    session[oauth_state.SESSION_KEY] = pending
    session.save()

    page = admin_client.get(back, follow=True)
    assert_on_settings_page(page, event)
    assert "took too long" in page_text(page)
    assert_nothing_stored()


@pytest.mark.django_db
def test_replayed_state_is_refused(admin_client, event, hubspot_app):
    back = _consented_return_url(admin_client, event, hubspot_app)
    assert SUCCESS in page_text(admin_client.get(back, follow=True))

    page = admin_client.get(back, follow=True)
    assert_on_settings_page(page, event)
    assert "not valid" in page_text(page)
    with scopes_disabled():
        assert LogEntry.objects.filter(action_type="pretix_hubspot.connected").count() == 1


@pytest.mark.django_db
def test_state_from_another_browser_session_is_refused(client, admin_client, event, user, hubspot_app):
    back = _consented_return_url(admin_client, event, hubspot_app)
    # The same user, logged in elsewhere (another session), opens the link: the state is not theirs to use.
    from django.test import Client
    other = Client()
    other.force_login(user)
    page = other.get(back, follow=True)
    assert page.status_code == 200
    assert "not valid" in page_text(page)
    assert_nothing_stored()


@pytest.mark.django_db
def test_state_is_bound_to_the_event_it_was_requested_for(admin_client, event, organizer, hubspot_app):
    from pretix.base.models import Event
    other_event = Event.objects.create(organizer=organizer, name="Second Conf", slug="second",
                                       date_from=event.date_from, plugins=event.plugins)
    first = admin_client.post(hubspot_settings_url(event, "connect/"))["Location"]
    admin_client.post(hubspot_settings_url(other_event, "connect/"))

    page = admin_client.get(hubspot_app.consent(first), follow=True)
    assert_on_settings_page(page, event)
    assert SUCCESS in page_text(page)
    with scopes_disabled():
        assert list(EventConnection.objects.values_list("event__slug", flat=True)) == [event.slug]


@pytest.mark.django_db
def test_rejected_code_fails_cleanly(admin_client, event, hubspot_app):
    back = _consented_return_url(admin_client, event, hubspot_app)
    page = admin_client.get(replace_query(back, code="not-a-code-hubspot-issued"), follow=True)
    assert_on_settings_page(page, event)
    assert "HubSpot did not accept the authorization" in page_text(page)
    assert_nothing_stored()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [500, 502, 503, "timeout"])
def test_hubspot_failing_during_token_exchange_fails_cleanly(admin_client, event, hubspot_app, kind):
    from pretix.base.settings import GlobalSettingsObject
    GlobalSettingsObject().settings.set("hubspot_timeout", "1")  # HubSpot "hangs": give up after a second
    back = _consented_return_url(admin_client, event, hubspot_app)
    hubspot_app.fail_next(1, kind, path_prefix=oauth.TOKEN_PATH)
    page = admin_client.get(back, follow=True)
    assert_on_settings_page(page, event)
    text = page_text(page)
    assert "Connecting to HubSpot failed" in text
    assert "try again" in text
    assert_nothing_stored()


@pytest.mark.django_db
def test_hubspot_failing_while_reading_account_details_fails_cleanly(admin_client, event, hubspot_app):
    back = _consented_return_url(admin_client, event, hubspot_app)
    hubspot_app.fail_next(1, 503, path_prefix="/account-info/2026-09/details")
    page = admin_client.get(back, follow=True)
    assert_on_settings_page(page, event)
    assert "Connecting to HubSpot failed" in page_text(page)
    assert_nothing_stored()
