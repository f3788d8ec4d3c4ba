"""Disconnecting an event, and sharing one connection between the events of an organizer."""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, LogEntry, Organizer

from pretix_hubspot.hubspot_api import errors, oauth, tokens
from pretix_hubspot.models import EventConnection, HubSpotConnection
from testbed.urls import hubspot_settings_url

SUCCESS = "The HubSpot integration is now active"


@pytest.fixture
def second_event(organizer, event):
    return Event.objects.create(organizer=organizer, name="Winter Conf", slug="winterconf",
                                date_from=now() + timedelta(days=90), currency="EUR", plugins=event.plugins)


def refresh_works(refresh_token):
    try:
        oauth.refresh(refresh_token)
    except errors.GrantRejected:
        return False
    return True


@pytest.mark.django_db
def test_disconnect_asks_for_confirmation_first(admin_client, connected_event, hubspot_app):
    page = admin_client.get(hubspot_settings_url(connected_event, "disconnect/"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Do you really want to disconnect" in text
    assert "revoke" in text
    assert 'method="post"' in text
    with scopes_disabled():
        assert EventConnection.objects.filter(event=connected_event).exists()


@pytest.mark.django_db
def test_disconnect_revokes_and_deletes_tokens_of_last_event(admin_client, connected_event, connection, user,
                                                             hubspot_app):
    refresh_token = connection.refresh_token
    assert refresh_works(refresh_token)

    page = admin_client.post(hubspot_settings_url(connected_event, "disconnect/"), follow=True)

    assert page.status_code == 200
    text = page.content.decode()
    assert "no longer connected to HubSpot" in text
    assert "Request access" in text
    with scopes_disabled():
        assert not EventConnection.objects.exists()
        assert not HubSpotConnection.objects.exists()
        entry = LogEntry.objects.get(action_type="pretix_hubspot.disconnected")
        assert entry.event == connected_event and entry.user == user
    assert hubspot_app.request_count(method="POST", path_prefix=oauth.REVOKE_PATH) == 1
    # HubSpot no longer accepts the refresh token.
    assert not refresh_works(refresh_token)


@pytest.mark.django_db
def test_disconnect_keeps_connection_used_by_another_event(admin_client, connected_event, second_event,
                                                           connection, user, hubspot_app):
    with scopes_disabled():
        EventConnection.objects.create(event=second_event, connection=connection, connected_by=user)

    page = admin_client.post(hubspot_settings_url(connected_event, "disconnect/"), follow=True)

    assert "stays in place for the other events" in page.content.decode()
    with scopes_disabled():
        assert not EventConnection.objects.filter(event=connected_event).exists()
        assert EventConnection.objects.filter(event=second_event, connection=connection).exists()
        connection.refresh_from_db()
    assert hubspot_app.request_count(path_prefix=oauth.REVOKE_PATH) == 0
    assert oauth.account_details(tokens.valid_access_token(connection)).portal_id == connection.portal_id


@pytest.mark.django_db
def test_disconnect_when_hubspot_is_down_still_deletes_tokens(admin_client, connected_event, hubspot_app):
    hubspot_app.fail_next(1, 503, path_prefix=oauth.REVOKE_PATH)
    page = admin_client.post(hubspot_settings_url(connected_event, "disconnect/"), follow=True)
    assert "HubSpot could not be told to revoke it" in page.content.decode()
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()


@pytest.mark.django_db
def test_second_event_can_use_existing_connection_without_consent(admin_client, connected_event, second_event,
                                                                  connection, user, hubspot_app):
    page = admin_client.get(hubspot_settings_url(second_event))
    text = page.content.decode()
    assert f"Use the existing connection to HubSpot account {connection.portal_id}" in text
    assert "Request access" in text

    before = hubspot_app.request_count()
    response = admin_client.post(hubspot_settings_url(second_event, "connect/existing/"),
                                 {"connection": connection.pk})
    assert hubspot_app.request_count() == before  # no trip to HubSpot (the settings page then reads its fields)
    page = admin_client.get(response.url)

    assert SUCCESS in page.content.decode()
    assert "hubspot-status" in page.content.decode()
    with scopes_disabled():
        event_connection = EventConnection.objects.get(event=second_event)
        assert event_connection.connection == connection
        assert event_connection.connected_by == user
        assert now() - event_connection.connected_at < timedelta(minutes=1)
        assert HubSpotConnection.objects.count() == 1
        assert LogEntry.objects.filter(action_type="pretix_hubspot.connected", event=second_event).exists()


@pytest.mark.django_db
def test_consenting_again_for_the_same_account_reuses_the_connection(admin_client, connected_event, second_event,
                                                                     connection, hubspot_app, connect_via_hubspot):
    old_access_token = connection.access_token
    page = connect_via_hubspot(admin_client, second_event)
    assert SUCCESS in page.content.decode()
    with scopes_disabled():
        assert HubSpotConnection.objects.count() == 1
        connection.refresh_from_db()
        connected = set(EventConnection.objects.values_list("event_id", flat=True))
        assert connected == {connected_event.pk, second_event.pk}
    assert connection.access_token != old_access_token  # its tokens were renewed


@pytest.mark.django_db
def test_connections_of_other_organizers_are_neither_offered_nor_usable(admin_client, event, hubspot_app):
    other = Organizer.objects.create(name="Other Org", slug="otherorg")
    tokens = hubspot_app.issue_tokens(hubspot_app.default_portal_id)
    foreign = HubSpotConnection(organizer=other, portal_id=hubspot_app.default_portal_id, scopes=tokens["scopes"])
    foreign.access_token = tokens["access_token"]
    foreign.refresh_token = tokens["refresh_token"]
    foreign.save()

    assert "Use the existing connection" not in admin_client.get(hubspot_settings_url(event)).content.decode()
    response = admin_client.post(hubspot_settings_url(event, "connect/existing/"), {"connection": foreign.pk})
    assert response.status_code == 404
    with scopes_disabled():
        assert not EventConnection.objects.exists()


@pytest.mark.django_db
def test_event_copy_does_not_copy_the_connection(connected_event, organizer):
    copy = Event.objects.create(organizer=organizer, name="PyConf 2028", slug="pyconf28",
                                date_from=now() + timedelta(days=400), currency="EUR")
    with scopes_disabled():
        copy.copy_data_from(connected_event)
        copy.refresh_from_db()
        assert "pretix_hubspot" in copy.get_plugins()
        assert not EventConnection.objects.filter(event=copy).exists()
        assert EventConnection.objects.filter(event=connected_event).exists()


@pytest.mark.django_db
def test_switching_an_event_to_another_account_releases_the_old_connection(
        admin_client, connected_event, connection, hubspot_app, connect_via_hubspot):
    other_portal = hubspot_app.SECOND_PORTAL_ID
    old_refresh_token = connection.refresh_token

    page = connect_via_hubspot(admin_client, connected_event, portal_id=other_portal)

    assert SUCCESS in page.content.decode()
    with scopes_disabled():
        event_connection = EventConnection.objects.get(event=connected_event)
        assert event_connection.connection.portal_id == other_portal
        # Exports to the new account start now, not when the old one was connected.
        assert now() - event_connection.connected_at < timedelta(minutes=1)
        assert list(HubSpotConnection.objects.values_list("portal_id", flat=True)) == [other_portal]
        assert LogEntry.objects.filter(action_type="pretix_hubspot.connection.deleted", event=connected_event,
                                       data__contains=str(connection.portal_id)).exists()
    assert not refresh_works(old_refresh_token)


@pytest.mark.django_db
def test_connection_that_needs_reconnect_cannot_be_reused(admin_client, event, connection, hubspot_app):
    connection.needs_reconnect = True
    connection.save()
    page = admin_client.post(hubspot_settings_url(event, "connect/existing/"), {"connection": connection.pk},
                             follow=True)
    assert "HubSpot no longer accepts this connection" in page.content.decode()
    with scopes_disabled():
        assert not EventConnection.objects.exists()


# --- deleting events and organizers ----------------------------------------------------------------------------------

def delete_event(client, event):
    """pretix's "Delete event", which asks for a recent login."""
    import time
    session = client.session
    session["pretix_auth_login_time"] = int(time.time())
    session.save()
    response = client.post(f"/control/event/{event.organizer.slug}/{event.slug}/delete/", {"slug": event.slug})
    assert response.status_code == 302, response.status_code
    return response


@pytest.mark.django_db
def test_deleting_the_last_event_revokes_its_connection(admin_client, connected_event, connection, hubspot_app,
                                                        django_capture_on_commit_callbacks):
    refresh_token = connection.refresh_token
    with django_capture_on_commit_callbacks(execute=True):
        delete_event(admin_client, connected_event)
    with scopes_disabled():
        assert not Event.objects.filter(pk=connected_event.pk).exists()
        assert not HubSpotConnection.objects.exists()
    assert hubspot_app.request_count(method="POST", path_prefix=oauth.REVOKE_PATH) == 1
    assert not refresh_works(refresh_token)


@pytest.mark.django_db
def test_deleting_an_event_keeps_the_connection_other_events_use(admin_client, connected_event, second_event,
                                                                 connection, user, hubspot_app,
                                                                 django_capture_on_commit_callbacks):
    with scopes_disabled():
        EventConnection.objects.create(event=second_event, connection=connection, connected_by=user)
    with django_capture_on_commit_callbacks(execute=True):
        delete_event(admin_client, connected_event)
    with scopes_disabled():
        assert not Event.objects.filter(pk=connected_event.pk).exists()
        assert EventConnection.objects.filter(event=second_event, connection=connection).exists()
    assert hubspot_app.request_count(path_prefix=oauth.REVOKE_PATH) == 0
    assert refresh_works(connection.refresh_token)


@pytest.mark.django_db
def test_deleting_an_organizer_revokes_its_connections(organizer, connected_event, connection, hubspot_app,
                                                       django_capture_on_commit_callbacks):
    from django.db import transaction
    hubspot_app.create_portal(7654321)
    tokens = hubspot_app.issue_tokens(7654321)
    with scopes_disabled():
        unused = HubSpotConnection(organizer=organizer, portal_id=7654321, scopes=tokens["scopes"])
        unused.refresh_token = tokens["refresh_token"]
        unused.save()
    refresh_tokens = [connection.refresh_token, tokens["refresh_token"]]

    # What pretix's "Delete organizer" does (control/views/organizer.py).
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled(), transaction.atomic():
        organizer.delete_sub_objects()
        organizer.delete()

    with scopes_disabled():
        assert not Organizer.objects.filter(pk=organizer.pk).exists()
        assert not HubSpotConnection.objects.exists()
    assert hubspot_app.request_count(method="POST", path_prefix=oauth.REVOKE_PATH) == 2
    assert not any(refresh_works(t) for t in refresh_tokens)
