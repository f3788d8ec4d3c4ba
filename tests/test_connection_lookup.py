"""Which connection an event uses: one query on the manager, which never trusts a relation cached on the event."""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scope
from pretix.base.models import Event

from pretix_hubspot.datasync_api import SyncConfigError
from pretix_hubspot.models import EventConnection
from pretix_hubspot.organizer import connections
from pretix_hubspot.transfer.sync import HubSpotSync


@pytest.mark.django_db
def test_lookup_ignores_a_connection_the_event_object_still_remembers(connected_event, connection, user, hubspot_app):
    with scope(organizer=connected_event.organizer):
        # A long-lived object (a sync run, a request) looked at its connection before someone disconnected.
        assert connected_event.hubspot_connection.connection == connection
        assert EventConnection.objects.connection_for(connected_event) == connection
        provider = HubSpotSync(connected_event)

        connections.disconnect_event(Event.objects.get(pk=connected_event.pk), user)

        assert connected_event.hubspot_connection.connection == connection  # Django's cache still says so
        assert EventConnection.objects.for_event(connected_event) is None
        assert EventConnection.objects.connection_for(connected_event) is None
        with pytest.raises(SyncConfigError):
            provider.connection()


@pytest.mark.django_db
def test_lookup_returns_a_connection_that_needs_a_reconnect(connected_event, connection):
    # The settings page has to show it (with "Reconnect"); the engine decides itself not to write with it.
    connection.needs_reconnect = True
    connection.save()
    with scope(organizer=connected_event.organizer):
        assert EventConnection.objects.connection_for(connected_event) == connection
        assert HubSpotSync(connected_event)._connection_needs_reconnect()


@pytest.mark.django_db
def test_lookup_answers_for_the_event_asked_about(connected_event, connection, organizer):
    other = Event.objects.create(organizer=organizer, name="Winter Conf", slug="winterconf",
                                 date_from=now() + timedelta(days=90), currency="EUR", plugins=connected_event.plugins)
    with scope(organizer=organizer):
        assert EventConnection.objects.for_event(other) is None
        link = EventConnection.objects.for_event(connected_event)
        assert link.event_id == connected_event.pk and link.connection == connection
