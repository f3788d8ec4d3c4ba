"""Only users who may change the event's settings can see or change its HubSpot connection."""
import pytest
from django_scopes import scopes_disabled

from pretix_hubspot.hubspot_api import oauth
from pretix_hubspot.models import EventConnection, HubSpotConnection
from testbed.urls import hubspot_settings_url


@pytest.mark.django_db
def test_settings_page_and_tab_need_settings_permission(readonly_client, event, hubspot_app):
    assert readonly_client.get(hubspot_settings_url(event)).status_code == 403
    dashboard = readonly_client.get(f"/control/event/{event.organizer.slug}/{event.slug}/")
    assert hubspot_settings_url(event) not in dashboard.content.decode()


@pytest.mark.django_db
def test_settings_tab_shown_to_admins(admin_client, event, hubspot_app):
    page = admin_client.get(f"/control/event/{event.organizer.slug}/{event.slug}/settings/")
    assert hubspot_settings_url(event) in page.content.decode()


@pytest.mark.django_db
def test_request_access_needs_settings_permission(readonly_client, event, hubspot_app):
    response = readonly_client.post(hubspot_settings_url(event, "connect/"))
    assert response.status_code == 403
    assert hubspot_app.request_count() == 0


@pytest.mark.django_db
def test_disconnect_needs_settings_permission(readonly_client, connected_event, hubspot_app):
    event = connected_event
    assert readonly_client.get(hubspot_settings_url(event, "disconnect/")).status_code == 403
    assert readonly_client.post(hubspot_settings_url(event, "disconnect/")).status_code == 403
    with scopes_disabled():
        assert EventConnection.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_use_existing_connection_needs_settings_permission(readonly_client, event, connection, hubspot_app):
    response = readonly_client.post(hubspot_settings_url(event, "connect/existing/"), {"connection": connection.pk})
    assert response.status_code == 403
    with scopes_disabled():
        assert not EventConnection.objects.exists()


@pytest.mark.django_db
def test_identifier_property_needs_settings_permission(readonly_client, connected_event, hubspot_app):
    response = readonly_client.post(hubspot_settings_url(connected_event, "identifier-property/"),
                                    {"object_type": "contacts"})
    assert response.status_code == 403
    assert "pretix_order_id" not in {p["name"] for p in hubspot_app.properties("contacts")}


@pytest.mark.django_db
def test_oauth_return_rechecks_permission(admin_client, event, team, hubspot_app):
    response = admin_client.post(hubspot_settings_url(event, "connect/"))
    back = hubspot_app.consent(response["Location"])
    # While the user was on HubSpot, someone took away their right to change the event's settings.
    team.all_event_permissions = False
    team.limit_event_permissions = {"event.orders:read": True}
    team.save()

    assert admin_client.get(back).status_code == 403
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()
        assert not EventConnection.objects.exists()


@pytest.mark.django_db
def test_oauth_return_needs_login(admin_client, event, hubspot_app):
    response = admin_client.post(hubspot_settings_url(event, "connect/"))
    back = hubspot_app.consent(response["Location"])
    admin_client.logout()

    response = admin_client.get(back)
    assert response.status_code == 302
    assert response["Location"].startswith("/control/login")
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()


# --- the organizer's connection is the organizer's -------------------------------------------------------------------

@pytest.fixture
def event_only_client(client, organizer, event):
    """A team member who may change this event's settings (say, an agency running it), not the organizer's."""
    from pretix.base.models import Team, User
    with scopes_disabled():
        u = User.objects.create_user("agency@partner.example", "Password-2027-xyz")
        t = Team.objects.create(organizer=organizer, name="Agency", all_events=False,
                                limit_event_permissions={"event.settings.general:write": True,
                                                         "event.orders:read": True})
        t.limit_events.add(event)
        t.members.add(u)
    client.force_login(u)
    return client


@pytest.mark.django_db
def test_event_only_user_is_not_offered_the_organizers_connection(event_only_client, event, connection, hubspot_app):
    page = event_only_client.get(hubspot_settings_url(event)).content.decode()
    assert "Request access" in page
    assert "Use the existing connection" not in page
    assert str(connection.portal_id) not in page


@pytest.mark.django_db
def test_event_only_user_cannot_attach_the_organizers_connection(event_only_client, event, connection, hubspot_app):
    response = event_only_client.post(hubspot_settings_url(event, "connect/existing/"), {"connection": connection.pk})
    assert response.status_code == 403
    with scopes_disabled():
        assert not EventConnection.objects.exists()


@pytest.mark.django_db
def test_event_only_user_can_connect_through_hubspot(event_only_client, event, connect_via_hubspot):
    page = connect_via_hubspot(event_only_client, event)
    assert "The HubSpot integration is now active" in page.content.decode()
    with scopes_disabled():
        assert EventConnection.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_organizer_admin_is_offered_and_may_attach_the_connection(admin_client, event, connection, hubspot_app):
    page = admin_client.get(hubspot_settings_url(event)).content.decode()
    assert "Use the existing connection to HubSpot account" in page
    response = admin_client.post(hubspot_settings_url(event, "connect/existing/"), {"connection": connection.pk})
    assert response.status_code == 302
    with scopes_disabled():
        assert EventConnection.objects.get(event=event).connection == connection


# --- the OAuth return gets the checks of every /control/ page --------------------------------------------------------

def _back_from_hubspot(client, event, hubspot_app):
    response = client.post(hubspot_settings_url(event, "connect/"))
    return hubspot_app.consent(response["Location"])


def _nothing_connected(hubspot_app):
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()
        assert not EventConnection.objects.exists()
    assert hubspot_app.request_count(path_prefix=oauth.TOKEN_PATH) == 0


@pytest.mark.django_db
def test_oauth_return_asks_for_a_forced_password_change_first(admin_client, event, user, hubspot_app):
    back = _back_from_hubspot(admin_client, event, hubspot_app)
    user.needs_password_change = True
    user.save()

    response = admin_client.get(back)
    assert response.status_code == 302
    assert response["Location"].startswith("/control/settings/password/change")
    _nothing_connected(hubspot_app)


@pytest.mark.django_db
def test_oauth_return_asks_for_obligatory_two_factor_setup_first(admin_client, event, team, hubspot_app):
    back = _back_from_hubspot(admin_client, event, hubspot_app)
    team.require_2fa = True
    team.save()
    from django.core.cache import cache
    cache.clear()

    response = admin_client.get(back)
    assert response.status_code == 302
    assert response["Location"].startswith("/control/settings/2fa")
    _nothing_connected(hubspot_app)


@pytest.mark.django_db
def test_oauth_return_after_a_session_timeout_asks_to_log_in_again(admin_client, event, hubspot_app, settings):
    import time
    back = _back_from_hubspot(admin_client, event, hubspot_app)
    session = admin_client.session
    session["pretix_auth_last_used"] = int(time.time()) - settings.PRETIX_SESSION_TIMEOUT_RELATIVE - 60
    session.save()

    response = admin_client.get(back)
    assert response.status_code == 302
    assert response["Location"].startswith("/control/reauth")
    _nothing_connected(hubspot_app)
