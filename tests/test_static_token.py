"""
Connecting by the static access token of a single-account HubSpot app, entered in the organizer's settings: who may
enter it, that it never shows up again, that the organizer's events (and only those) can use it, what happens when
HubSpot stops accepting it, and that an administrator can switch the whole way off.
"""
import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, LogEntry, Organizer, Team, User
from pretix.base.models.auth import StaffSession
from pretix.base.settings import GlobalSettingsObject

from pretix_hubspot.models import EventConnection, HubSpotConnection
from testbed.orders import make_order
from testbed.sync import (
    add_identifier_properties, contacts_mapping, enqueue, fast_client, log_actions, queue_rows, records_by, run_queue,
)
from testbed.urls import hubspot_settings_url

pytestmark = pytest.mark.django_db


def organizer_url(organizer, action=""):
    return f"/control/organizer/{organizer.slug}/hubspot/{action}"


@pytest.fixture
def static_only(hubspot):
    """A server without the OAuth app: only the API host points at the sandbox."""
    GlobalSettingsObject().settings.set("hubspot_api_url", hubspot.url)
    return hubspot


@pytest.fixture
def token(static_only):
    return static_only.issue_static_token(static_only.default_portal_id)


def enter_token(client, organizer, value):
    return client.post(organizer_url(organizer), {"token": value}, follow=True)


def static_connection(organizer):
    with scopes_disabled():
        return HubSpotConnection.objects.get(organizer=organizer, auth_type=HubSpotConnection.AUTH_STATIC)


@pytest.fixture
def event_admin(organizer, event):
    """May change every event's settings, but not the organizer's."""
    u = User.objects.create_user("events@techevents.example", "Password-2027-xyz")
    t = Team.objects.create(organizer=organizer, name="Event admins", all_events=True, all_event_permissions=True,
                            limit_organizer_permissions={"organizer.events:create": True})
    t.members.add(u)
    return u


# --- the organizer's page ---------------------------------------------------------------------------------------------


def test_organizer_page_needs_organizer_settings_permission(client, event_admin, organizer, token, static_only):
    client.force_login(event_admin)
    assert client.get(organizer_url(organizer)).status_code == 403
    assert client.post(organizer_url(organizer), {"token": token}).status_code == 403
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()
    assert static_only.request_count() == 0
    # Neither the organizer's navigation nor the event's HubSpot page links to it.
    assert organizer_url(organizer) not in client.get(f"/control/organizer/{organizer.slug}/").content.decode()
    assert organizer_url(organizer) not in client.get(hubspot_settings_url(event_admin_event(organizer))).content.decode()


def test_removing_a_token_needs_organizer_settings_permission(client, admin_client, event_admin, organizer, token,
                                                              static_only):
    enter_token(admin_client, organizer, token)
    connection = static_connection(organizer)
    client.force_login(event_admin)
    assert client.post(organizer_url(organizer, f"tokens/{connection.pk}/remove/")).status_code == 403
    with scopes_disabled():
        assert HubSpotConnection.objects.filter(pk=connection.pk).exists()


def event_admin_event(organizer):
    with scopes_disabled():
        return Event.objects.get(organizer=organizer, slug="pyconf")


def test_organizer_page_is_linked_for_organizer_admins(admin_client, organizer, event, static_only):
    assert organizer_url(organizer) in admin_client.get(f"/control/organizer/{organizer.slug}/").content.decode()
    event_page = admin_client.get(hubspot_settings_url(event)).content.decode()
    assert organizer_url(organizer) in event_page
    # A server without the OAuth app says so, and points to the access token instead.
    assert "The HubSpot app is not set up on this server yet." in event_page
    assert "an organizer with a single HubSpot account can connect it with the access token" in event_page


def test_token_is_checked_stored_encrypted_and_never_shown_again(admin_client, organizer, token, static_only, caplog):
    caplog.set_level(logging.DEBUG)
    page = enter_token(admin_client, organizer, token)

    html = page.content.decode()
    assert "The access token has been saved" in html
    assert str(static_only.default_portal_id) in html
    assert token not in html
    assert token not in admin_client.get(organizer_url(organizer)).content.decode()
    connection = static_connection(organizer)
    assert connection.is_static
    assert token not in connection.access_token_encrypted
    assert connection.access_token == token
    assert connection.refresh_token == ""
    assert {"oauth", "crm.objects.deals.read", "crm.schemas.contacts.read"} <= set(connection.scopes)
    # The account, then one read per read scope; the token itself never travels in a URL.
    assert static_only.request_count("GET", "/account-info/") == 1
    assert all(token not in str(e["path"]) + str(e["query"]) for e in static_only.request_log)
    with scopes_disabled():
        entries = list(LogEntry.objects.filter(action_type__startswith="pretix_hubspot."))
    assert [e.action_type for e in entries] == ["pretix_hubspot.static_token.saved"]
    assert all(token not in e.data for e in entries)
    assert token not in caplog.text


def test_token_hubspot_does_not_accept_is_refused_and_not_echoed(admin_client, organizer, static_only, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "pat-na1-00000000-0000-0000-0000-000000000000"
    page = enter_token(admin_client, organizer, wrong)
    html = page.content.decode()
    assert "HubSpot did not accept this access token" in html
    assert wrong not in html
    assert wrong not in caplog.text
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()


@pytest.mark.parametrize("scopes, named", [
    (["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"],
     "crm.objects.deals.read, crm.schemas.contacts.read, crm.schemas.deals.read"),
    (["crm.objects.contacts.read", "crm.objects.deals.read"], "(oauth)"),
])
def test_token_without_the_needed_scopes_is_refused(admin_client, organizer, static_only, scopes, named):
    weak = static_only.issue_static_token(static_only.default_portal_id, scopes=scopes)
    html = enter_token(admin_client, organizer, weak).content.decode()
    assert "lacks permissions the integration needs" in html
    assert named in html
    assert weak not in html
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()


def test_new_token_for_the_same_account_replaces_the_old(admin_client, organizer, token, static_only):
    enter_token(admin_client, organizer, token)
    rotated = static_only.rotate_static_token(token)
    html = enter_token(admin_client, organizer, rotated).content.decode()
    assert "has been replaced" in html
    with scopes_disabled():
        assert HubSpotConnection.objects.count() == 1
    assert static_connection(organizer).access_token == rotated


def test_account_connected_by_sign_in_is_not_taken_over_by_a_token(admin_client, organizer, connection, hubspot_app):
    token = hubspot_app.issue_static_token(hubspot_app.default_portal_id)
    html = enter_token(admin_client, organizer, token).content.decode()
    assert "already connected to HubSpot account" in html
    connection.refresh_from_db()
    assert not connection.is_static and connection.refresh_token


# --- events using the token --------------------------------------------------------------------------------------------


def connect_event_by_token(client, event):
    connection = static_connection(event.organizer)
    page = client.get(hubspot_settings_url(event)).content.decode()
    assert "Use the existing connection to HubSpot account" in page and "(access token)" in page
    return client.post(hubspot_settings_url(event, "connect/existing/"), {"connection": connection.pk}, follow=True)


def test_event_connects_without_consent_and_a_sync_runs(admin_client, organizer, event, item, token, static_only,
                                                        monkeypatch):
    fast_client(monkeypatch)
    add_identifier_properties(static_only)
    enter_token(admin_client, organizer, token)

    page = connect_event_by_token(admin_client, event).content.decode()

    assert "The HubSpot integration is now active" in page
    assert "it does not expire" in page
    assert token not in page
    with scopes_disabled():
        event_connection = EventConnection.objects.get(event=event)
        event_connection.connected_at = now() - timedelta(hours=1)
        event_connection.save()
        contacts_mapping(event)
        order = make_order(event, item, code="TOK01", email="token.buyer@example.org")
    enqueue(order)
    run_queue()

    assert queue_rows(order) == []
    assert records_by(static_only, "contacts", "email", "token.buyer@example.org")
    # No consent screen, no OAuth token endpoint: the static token is used as it is.
    assert static_only.request_count(path_prefix="/oauth/2026-03/") == 0
    assert static_only.request_count(path_prefix="/oauth/v1/") == 0


def test_rotated_token_is_a_clear_message_and_orders_wait_for_the_new_one(admin_client, organizer, event, item, token,
                                                                          static_only, monkeypatch):
    fast_client(monkeypatch)
    add_identifier_properties(static_only)
    enter_token(admin_client, organizer, token)
    connect_event_by_token(admin_client, event)
    with scopes_disabled():
        EventConnection.objects.filter(event=event).update(connected_at=now() - timedelta(hours=1))
        contacts_mapping(event)
        order = make_order(event, item, code="TOK02", email="rotated@example.org")
    new_token = static_only.rotate_static_token(token)

    enqueue(order)
    run_queue()

    # The order waits for a working token instead of failing (as for an OAuth connection that needs a reconnect).
    [row] = queue_rows(order)
    assert row.need_manual_retry is None and row.failed_attempts == 0
    actions = log_actions(order)
    assert "pretix_hubspot.sync.waiting_for_reconnect" in [a for a, d in actions]
    assert token not in str(actions)
    assert static_only.request_count(path_prefix="/oauth/2026-03/token") == 0
    assert static_connection(organizer).needs_reconnect
    page = admin_client.get(hubspot_settings_url(event)).content.decode()
    assert "revoked or rotated" in page and organizer_url(organizer) in page
    with scopes_disabled():
        assert LogEntry.objects.filter(action_type="pretix_hubspot.static_token.rejected").count() == 1

    # Entering the new token lets the waiting order through.
    enter_token(admin_client, organizer, new_token)
    assert not static_connection(organizer).needs_reconnect
    run_queue()
    assert queue_rows(order) == []
    assert records_by(static_only, "contacts", "email", "rotated@example.org")


def test_other_organizer_cannot_use_the_token(admin_client, organizer, user, token, static_only):
    other = Organizer.objects.create(name="Other Org", slug="otherorg")
    other_event = Event.objects.create(organizer=other, name="Other Event", slug="otherevent", date_from=now(),
                                       currency="EUR", plugins="pretix_hubspot")
    team = Team.objects.create(organizer=other, name="Admins", all_events=True, all_event_permissions=True,
                               all_organizer_permissions=True)
    team.members.add(user)
    enter_token(admin_client, organizer, token)
    connection = static_connection(organizer)

    page = admin_client.get(hubspot_settings_url(other_event)).content.decode()
    assert "Use the existing connection" not in page
    response = admin_client.post(hubspot_settings_url(other_event, "connect/existing/"), {"connection": connection.pk})
    assert response.status_code == 404
    assert admin_client.post(organizer_url(other, f"tokens/{connection.pk}/remove/")).status_code == 404
    with scopes_disabled():
        assert not EventConnection.objects.filter(event=other_event).exists()
        assert HubSpotConnection.objects.filter(pk=connection.pk).exists()


def test_disconnecting_the_last_event_keeps_the_organizer_s_token(admin_client, organizer, event, token, static_only):
    enter_token(admin_client, organizer, token)
    connect_event_by_token(admin_client, event)

    page = admin_client.post(hubspot_settings_url(event, "disconnect/"), follow=True).content.decode()

    assert "no longer connected to HubSpot" in page
    assert "could not be told" not in page
    with scopes_disabled():
        assert not EventConnection.objects.filter(event=event).exists()
    assert static_connection(organizer).access_token == token
    # The event can use it again right away.
    assert "Use the existing connection to HubSpot account" in admin_client.get(
        hubspot_settings_url(event)).content.decode()


def test_removing_the_token_disconnects_the_events(admin_client, organizer, event, token, static_only):
    enter_token(admin_client, organizer, token)
    connect_event_by_token(admin_client, event)
    connection = static_connection(organizer)

    assert admin_client.get(organizer_url(organizer, f"tokens/{connection.pk}/remove/")).status_code == 405
    html = admin_client.post(organizer_url(organizer, f"tokens/{connection.pk}/remove/"), follow=True).content.decode()

    assert "has been removed" in html and "1 event was disconnected" in html
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()
        assert not EventConnection.objects.exists()
        assert [e.action_type for e in LogEntry.objects.filter(action_type="pretix_hubspot.disconnected")] == [
            "pretix_hubspot.disconnected"]


# --- switched off by the administrator ----------------------------------------------------------------------------------


@pytest.fixture(params=["pretix.cfg", "global settings"])
def switch_off(request):
    parser = settings.CONFIG_FILE.cp  # the parsed pretix.cfg behind pretix's environment-aware wrapper
    assert not parser.has_section("hubspot")

    def run():
        if request.param == "pretix.cfg":
            parser.add_section("hubspot")
            parser.set("hubspot", "allow_static_tokens", "false")
        else:
            GlobalSettingsObject().settings.set("hubspot_disable_static_tokens", True)
    yield run
    if parser.has_section("hubspot"):
        parser.remove_section("hubspot")


def become_staff(client, user):
    user.is_staff = True
    user.save()
    session = client.session
    session.save()
    StaffSession.objects.create(user=user, session_key=session.session_key)


def test_pretix_cfg_option_wins_over_the_global_settings_field(admin_client, user, static_only):
    parser = settings.CONFIG_FILE.cp
    parser.add_section("hubspot")
    try:
        parser.set("hubspot", "allow_static_tokens", "true")
        GlobalSettingsObject().settings.set("hubspot_disable_static_tokens", True)
        become_staff(admin_client, user)
        page = admin_client.get("/control/global/settings/")
        assert page.context["form"].fields["hubspot_disable_static_tokens"].disabled
        assert "option allow_static_tokens" in page.content.decode()
        from pretix_hubspot import conf
        assert conf.static_tokens_allowed()
    finally:
        parser.remove_section("hubspot")


def test_global_settings_page_switches_tokens_off(admin_client, user, organizer, token, static_only):
    become_staff(admin_client, user)
    page = admin_client.get("/control/global/settings/")
    form = page.context["form"]
    assert not form.fields["hubspot_disable_static_tokens"].disabled
    data = {}
    for name, field in form.fields.items():  # the page as it is, as the browser would send it back
        value = form[name].value()
        if value in (None, "") and field.initial is not None:
            value = field.initial
        if hasattr(field.widget, "widgets"):  # multi-language fields: one input per language
            for i, v in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = v or ""
        elif value not in (None, False):
            data[name] = value
    data["hubspot_disable_static_tokens"] = "on"
    response = admin_client.post("/control/global/settings/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response

    assert "has been switched off on this server" in enter_token(admin_client, organizer, token).content.decode()
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()


def test_switched_off_organizer_page_refuses_tokens(admin_client, organizer, token, static_only, switch_off):
    switch_off()
    page = admin_client.get(organizer_url(organizer)).content.decode()
    assert "has been switched off on this server" in page
    assert 'name="token"' not in page
    page = enter_token(admin_client, organizer, token).content.decode()
    assert "has been switched off on this server" in page
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()
    assert static_only.request_count() == 0


def test_switched_off_tokens_are_neither_offered_nor_used(admin_client, organizer, event, item, token, static_only,
                                                          switch_off, monkeypatch):
    fast_client(monkeypatch)
    add_identifier_properties(static_only)
    enter_token(admin_client, organizer, token)
    connect_event_by_token(admin_client, event)
    with scopes_disabled():
        EventConnection.objects.filter(event=event).update(connected_at=now() - timedelta(hours=1))
        contacts_mapping(event)
        order = make_order(event, item, code="TOK03", email="off@example.org")
        other_event = Event.objects.create(organizer=organizer, name="Second", slug="second", date_from=now(),
                                           currency="EUR", plugins="pretix_hubspot")
    switch_off()

    page = admin_client.get(hubspot_settings_url(other_event)).content.decode()
    assert "Use the existing connection" not in page
    response = admin_client.post(hubspot_settings_url(other_event, "connect/existing/"),
                                 {"connection": static_connection(organizer).pk}, follow=True)
    assert "has been switched off on this server" in response.content.decode()
    with scopes_disabled():
        assert not EventConnection.objects.filter(event=other_event).exists()

    crm_requests = static_only.request_count(path_prefix="/crm/")
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry == "config"
    failed = [d for a, d in log_actions(order) if a.startswith("pretix.event.order.data_sync.failed")]
    assert "switched off on this server" in " ".join(failed[-1]["error"])
    assert static_only.request_count(path_prefix="/crm/") == crm_requests
    assert "Switched off" in admin_client.get(hubspot_settings_url(event)).content.decode()
