"""The connection's tokens: refresh before expiry, once across workers, rejection → reconnect, and secrecy."""
import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection, connections as db_connections
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, LogEntry

from pretix_hubspot.hubspot_api import errors, oauth, tokens as token_lifecycle
from pretix_hubspot.models import EventConnection, HubSpotConnection
from testbed.urls import hubspot_settings_url


def make_expiring(connection, seconds=60):
    connection.access_token_expires = now() + timedelta(seconds=seconds)
    connection.save(update_fields=["access_token_expires"])


def token_accepted(hubspot_token):
    return oauth.account_details(hubspot_token).portal_id


@pytest.mark.django_db
def test_valid_token_is_used_without_asking_hubspot(connection, hubspot_app):
    token = token_lifecycle.valid_access_token(connection)
    assert token == connection.access_token
    assert hubspot_app.request_count(path_prefix=oauth.TOKEN_PATH) == 0


@pytest.mark.django_db
def test_token_is_refreshed_shortly_before_it_expires(connection, hubspot_app):
    old = connection.access_token
    make_expiring(connection, seconds=120)  # less than the five minutes a request may need

    token = token_lifecycle.valid_access_token(connection)

    assert token != old
    assert hubspot_app.request_count(method="POST", path_prefix=oauth.TOKEN_PATH) == 1
    assert token_accepted(token) == connection.portal_id
    with scopes_disabled():
        stored = HubSpotConnection.objects.get(pk=connection.pk)
    assert stored.access_token == token
    assert stored.access_token_expires > now() + timedelta(minutes=25)
    assert token not in stored.access_token_encrypted  # stored encrypted


@pytest.mark.django_db
def test_rotated_refresh_token_is_stored(connection, hubspot_app):
    hubspot_app.rotate_refresh_tokens = True
    old_refresh = connection.refresh_token
    make_expiring(connection)

    token_lifecycle.valid_access_token(connection)

    with scopes_disabled():
        stored = HubSpotConnection.objects.get(pk=connection.pk)
    assert stored.refresh_token != old_refresh
    # The new refresh token is the one that keeps working.
    make_expiring(stored)
    assert token_lifecycle.valid_access_token(stored)
    assert not stored.needs_reconnect


@pytest.mark.django_db
def test_worker_with_stale_copy_uses_token_another_worker_refreshed(connection, hubspot_app):
    make_expiring(connection)
    with scopes_disabled():
        first_worker = HubSpotConnection.objects.get(pk=connection.pk)
        second_worker = HubSpotConnection.objects.get(pk=connection.pk)

    fresh = token_lifecycle.valid_access_token(first_worker)
    # The second worker still holds the old, expiring token in memory; it must not refresh again.
    assert token_lifecycle.valid_access_token(second_worker) == fresh
    assert hubspot_app.request_count(path_prefix=oauth.TOKEN_PATH) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_refresh_once(organizer, user, hubspot_app):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) only exist on PostgreSQL; the SQLite variant is the test above")
    tokens = hubspot_app.issue_tokens(hubspot_app.default_portal_id)
    conn = HubSpotConnection(organizer=organizer, portal_id=hubspot_app.default_portal_id, scopes=tokens["scopes"],
                             access_token_expires=now() + timedelta(seconds=30))
    conn.access_token = tokens["access_token"]
    conn.refresh_token = tokens["refresh_token"]
    conn.save()
    # A slow HubSpot makes the workers overlap: each would refresh if the lock did not hold them back.
    hubspot_app.latency = 0.3
    results, errors = [], []
    start = threading.Barrier(4)

    def worker():
        try:
            with scopes_disabled():
                own_copy = HubSpotConnection.objects.get(pk=conn.pk)
            start.wait()
            results.append(token_lifecycle.valid_access_token(own_copy))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            db_connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert not errors
    assert len(results) == 4 and len(set(results)) == 1
    assert hubspot_app.request_count(path_prefix=oauth.TOKEN_PATH) == 1


@pytest.mark.django_db
def test_revoked_refresh_token_needs_reconnect_then_reconnect_works(admin_client, connected_event, connection,
                                                                    hubspot_app, connect_via_hubspot):
    hubspot_app.revoke_refresh_token(connection.refresh_token)
    make_expiring(connection)

    with pytest.raises(errors.ReconnectRequired) as excinfo:
        token_lifecycle.valid_access_token(connection)
    assert "reconnect in Settings → HubSpot" in str(excinfo.value)

    with scopes_disabled():
        connection.refresh_from_db()
        assert connection.needs_reconnect
        # Logged on the event, where the organizer looks when exports stop.
        entry = LogEntry.objects.get(action_type="pretix_hubspot.connection.reconnect_required")
        assert entry.event == connected_event
        assert entry.parsed_data == {"portal_id": connection.portal_id, "error": "invalid_grant"}
    # Later attempts fail at once, without bothering HubSpot.
    before = hubspot_app.request_count()
    with pytest.raises(errors.ReconnectRequired):
        token_lifecycle.valid_access_token(connection)
    assert hubspot_app.request_count() == before

    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert "HubSpot no longer accepts this connection." in page
    assert "Reconnect to HubSpot" in page

    page = connect_via_hubspot(admin_client, connected_event)
    assert "The HubSpot integration is now active" in page.content.decode()
    with scopes_disabled():
        assert HubSpotConnection.objects.count() == 1
        connection.refresh_from_db()
        event_connection = EventConnection.objects.get(event=connected_event)
    assert not connection.needs_reconnect
    assert event_connection.connected_at < now() - timedelta(minutes=30)  # reconnecting keeps the original start
    make_expiring(connection)
    assert token_accepted(token_lifecycle.valid_access_token(connection)) == connection.portal_id


@pytest.mark.django_db
def test_uninstalled_app_needs_reconnect(connected_event, connection, hubspot_app):
    hubspot_app.uninstall(connection.portal_id)
    make_expiring(connection)
    with pytest.raises(errors.ReconnectRequired):
        token_lifecycle.valid_access_token(connection)
    with scopes_disabled():
        connection.refresh_from_db()
    assert connection.needs_reconnect


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [503, 429])
def test_hubspot_down_during_refresh_is_temporary(admin_client, connected_event, connection, hubspot_app, kind):
    make_expiring(connection)
    hubspot_app.fail_next(1, kind, path_prefix=oauth.TOKEN_PATH)

    with pytest.raises(errors.HubSpotUnavailable):
        token_lifecycle.valid_access_token(connection)

    with scopes_disabled():
        connection.refresh_from_db()
    assert not connection.needs_reconnect
    page = admin_client.get(hubspot_settings_url(connected_event)).content.decode()
    assert "Renewal failed" in page
    # The next attempt succeeds and clears the warning.
    assert token_accepted(token_lifecycle.valid_access_token(connection)) == connection.portal_id
    assert "Renewal failed" not in admin_client.get(hubspot_settings_url(connected_event)).content.decode()


@pytest.mark.django_db
def test_wrong_app_secret_is_not_mistaken_for_a_revoked_connection(connection, hubspot_app):
    from pretix.base.settings import GlobalSettingsObject
    GlobalSettingsObject().settings.set("hubspot_client_secret", "not-the-secret")
    make_expiring(connection)
    with pytest.raises(errors.GrantRejected):
        token_lifecycle.valid_access_token(connection)
    with scopes_disabled():
        connection.refresh_from_db()
    assert not connection.needs_reconnect
    assert connection.last_refresh_error


@pytest.mark.django_db
def test_tokens_are_encrypted_and_never_shown_or_logged(admin_client, event, hubspot_app, connect_via_hubspot,
                                                        caplog):
    caplog.set_level(logging.DEBUG)
    pages = [connect_via_hubspot(admin_client, event).content.decode()]
    with scopes_disabled():
        connection = HubSpotConnection.objects.get()
    first_tokens = {connection.access_token, connection.refresh_token}
    make_expiring(connection)
    token_lifecycle.valid_access_token(connection)
    with scopes_disabled():
        connection.refresh_from_db()
    tokens = first_tokens | {connection.access_token, connection.refresh_token}
    assert all(len(t) > 10 for t in tokens)

    pages.append(admin_client.get(hubspot_settings_url(event)).content.decode())
    pages.append(admin_client.get(hubspot_settings_url(event, "disconnect/")).content.decode())
    event_log = admin_client.get(f"/control/event/{event.organizer.slug}/{event.slug}/logs/")
    assert event_log.status_code == 200
    pages.append(event_log.content.decode())
    assert f"The event has been connected to HubSpot account {connection.portal_id}." in pages[-1]
    organizer_log = admin_client.get(f"/control/organizer/{event.organizer.slug}/logs")
    assert organizer_log.status_code == 200
    pages.append(organizer_log.content.decode())
    # Encrypted at rest: the columns hold ciphertext only.
    for token in tokens:
        assert token not in connection.access_token_encrypted
        assert token not in connection.refresh_token_encrypted
    pages.append(admin_client.post(hubspot_settings_url(event, "disconnect/"), follow=True).content.decode())

    with scopes_disabled():
        log_data = [str(e.data) for e in LogEntry.objects.all()]
        assert LogEntry.objects.filter(action_type__startswith="pretix_hubspot.").count() >= 3
    log_records = [r.getMessage() for r in caplog.records]
    for token in tokens:
        for page in pages:
            assert token not in page
        for data in log_data:
            assert token not in data
        for record in log_records:
            assert token not in record


@pytest.mark.django_db
def test_reconnect_notice_shown_to_every_event_using_the_connection(admin_client, connected_event, connection,
                                                                    organizer, user, hubspot_app):
    second = Event.objects.create(organizer=organizer, name="Winter Conf", slug="winter", date_from=now(),
                                  plugins=connected_event.plugins)
    with scopes_disabled():
        EventConnection.objects.create(event=second, connection=connection, connected_by=user)
    hubspot_app.revoke_refresh_token(connection.refresh_token)
    make_expiring(connection)
    with pytest.raises(errors.ReconnectRequired):
        token_lifecycle.valid_access_token(connection)
    for ev in (connected_event, second):
        assert "Reconnect to HubSpot" in admin_client.get(hubspot_settings_url(ev)).content.decode()
    # A connection that needs reconnecting is not offered for reuse.
    third = Event.objects.create(organizer=organizer, name="Spring Conf", slug="spring", date_from=now(),
                                 plugins=connected_event.plugins)
    assert "Use the existing connection" not in admin_client.get(hubspot_settings_url(third)).content.decode()
