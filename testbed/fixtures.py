"""
pytest fixtures of the pretix side, shared by the test suite and the tools: an organizer with an event that has the
plugin, a product, users and teams, the server's HubSpot app pointing at the sandbox, a connection to the
sandbox's default account and an event connected through it. Load with ``pytest_plugins = ["testbed.fixtures"]``.
"""
import inspect
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.utils import translation
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, Item, Organizer, Question, Team, User

from pretix_hubspot.hubspot_api import ratelimit
from testbed.urls import hubspot_settings_url

# The HubSpot side: the sandbox server (``hubspot``) that the app, connection and connected event point at.
pytest_plugins = ["hubspot_sandbox.pytest_plugin"]

PLUGIN = "pretix_hubspot"


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    # Same trick as pretix's own test suite: plain fixtures may touch scoped models freely.
    if inspect.isgeneratorfunction(fixturedef.func):
        yield
    else:
        with scopes_disabled():
            yield


@pytest.fixture(autouse=True)
def reset_locale():
    translation.activate("en")


@pytest.fixture(autouse=True)
def fresh_cache():
    # pretix caches settings per object id, and the plugin its request budget, in Django's cache, which outlives each
    # test's database rollback: the next test's event, which gets the same id again, would see the settings of the last.
    for cache in caches.all():
        cache.clear()
    # Without a working cache (the test settings' DummyCache) the request budget is counted per process: each test
    # starts with a full one, as a test that follows a busy one would otherwise wait for, or give up on, HubSpot.
    with ratelimit._local_lock:
        ratelimit._local_windows.clear()
        ratelimit._local_pauses.clear()


@pytest.fixture
def organizer():
    return Organizer.objects.create(name="Tech Events Ltd", slug="techevents")


@pytest.fixture
def event(organizer):
    return Event.objects.create(
        organizer=organizer, name="PyConf 2027", slug="pyconf",
        date_from=now() + timedelta(days=30), currency="EUR", live=True,
        plugins="pretix.plugins.banktransfer," + PLUGIN,
    )


@pytest.fixture
def event_without_plugin(organizer):
    return Event.objects.create(
        organizer=organizer, name="Other Conf", slug="otherconf",
        date_from=now() + timedelta(days=60), currency="EUR", live=True,
        plugins="pretix.plugins.banktransfer",
    )


@pytest.fixture
def item(event):
    return Item.objects.create(event=event, name="Conference ticket", default_price=Decimal("120.00"), admission=True)


@pytest.fixture
def question(event, item):
    q = Question.objects.create(
        event=event, question="Job title", type=Question.TYPE_STRING, identifier="JOBTITLE", required=False,
    )
    q.items.add(item)
    return q


@pytest.fixture
def user():
    return User.objects.create_user("admin@techevents.example", "Password-2027-xyz")


@pytest.fixture
def team(organizer, event, user):
    t = Team.objects.create(organizer=organizer, name="Admins", all_events=True, all_event_permissions=True,
                            all_organizer_permissions=True)
    t.members.add(user)
    return t


@pytest.fixture
def readonly_user(organizer, event):
    """A team member who may see orders but not change the event's settings."""
    u = User.objects.create_user("viewer@techevents.example", "Password-2027-xyz")
    t = Team.objects.create(organizer=organizer, name="Viewers", all_events=True,
                            limit_event_permissions={"event.orders:read": True})
    t.members.add(u)
    return u


@pytest.fixture
def admin_client(client, team, user):
    client.force_login(user)
    return client


@pytest.fixture
def readonly_client(client, readonly_user):
    client.force_login(readonly_user)
    return client


@pytest.fixture
def hubspot_app(db, hubspot):
    """The server's HubSpot app configuration, pointing at the sandbox (as an administrator would in pretix.cfg)."""
    from pretix.base.settings import GlobalSettingsObject
    gs = GlobalSettingsObject()
    gs.settings.set("hubspot_client_id", hubspot.client_id)
    gs.settings.set("hubspot_client_secret", hubspot.client_secret)
    gs.settings.set("hubspot_api_url", hubspot.url)
    gs.settings.set("hubspot_auth_url", hubspot.url)
    return hubspot


@pytest.fixture
def connection(organizer, user, hubspot_app):
    """An organizer-level connection to the sandbox's default HubSpot account, with fresh tokens."""
    from pretix_hubspot.models import HubSpotConnection
    tokens = hubspot_app.issue_tokens(hubspot_app.default_portal_id)
    conn = HubSpotConnection(
        organizer=organizer, portal_id=hubspot_app.default_portal_id, hub_domain="techevents.example",
        ui_domain="app.hubspot.com", hubspot_user="organizer@techevents.example", scopes=tokens["scopes"],
        connected_by=user, access_token_expires=now() + timedelta(seconds=tokens["expires_in"]),
    )
    conn.access_token = tokens["access_token"]
    conn.refresh_token = tokens["refresh_token"]
    conn.save()
    return conn


@pytest.fixture
def sync_event(connected_event, hubspot_app, monkeypatch):
    """A connected event ready to sync: the identifier properties exist in HubSpot, and retries and waits are short."""
    from testbed.sync import add_identifier_properties, fast_client
    fast_client(monkeypatch)
    add_identifier_properties(hubspot_app)
    return connected_event


@pytest.fixture
def connected_event(event, connection, user):
    """The event, connected to HubSpot (an hour ago, so orders placed in the test count as new)."""
    from pretix_hubspot.models import EventConnection
    EventConnection.objects.create(event=event, connection=connection, connected_by=user,
                                   connected_at=now() - timedelta(hours=1))
    return event


# --- Connection -----------------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def allow_http_to_local_hubspot(settings):
    # pretix blocks HTTP to private addresses (SSRF protection); the sandbox listens on 127.0.0.1.
    settings.ALLOW_HTTP_TO_PRIVATE_NETWORKS = True


@pytest.fixture
def connect_via_hubspot(hubspot_app):
    """
    Drives "Request access" → HubSpot's consent screens → the OAuth return through the given logged-in test client,
    and returns the settings page the user lands on (messages included).
    """
    # The app registration in HubSpot lists pretix's one redirect URL; HubSpot refuses any other.
    hubspot_app.redirect_uris = ["http://example.com/_hubspot/oauth_return/"]

    def run(client, event, *, portal_id=None, decline=False, grant_scopes=None):
        response = client.post(hubspot_settings_url(event, "connect/"))
        assert response.status_code == 302, response.status_code
        back = hubspot_app.consent(response["Location"], portal_id=portal_id, decline=decline,
                                   grant_scopes=grant_scopes)
        return client.get(back, follow=True)
    return run
