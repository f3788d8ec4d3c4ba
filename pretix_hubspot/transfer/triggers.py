"""
Which order events put an order into the HubSpot queue.

Only orders of a connected event with at least one mapping are queued, and only if they were placed at or after
the moment the event was connected: older orders are exported on request ("Sync now", or the export of existing
orders), never as a side effect of someone touching them. Test-mode orders only if the event's option says so.
"""
from django_scopes import scopes_disabled

from ..models import EventConnection
from . import marketing_events
from .event_options import include_test_orders


def queue_order(order, triggered_by):
    from .sync import HubSpotSync

    event = order.event
    with scopes_disabled():  # looked up by the event's primary key
        link = EventConnection.objects.for_event(event)
    if link is None or order.datetime < link.connected_at:
        return None
    if not event.hubspot_object_mappings.exists() and not marketing_events.enabled(event):
        return None
    if order.testmode and not include_test_orders(event):
        return None
    queue_item, created = HubSpotSync.enqueue_order(order, triggered_by)
    return queue_item
