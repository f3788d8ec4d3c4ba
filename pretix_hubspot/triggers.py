"""
Which order events put an order into the HubSpot queue.

Only orders of a connected event with at least one mapping are queued, and only if they were placed at or after
the moment the event was connected: older orders are exported on request ("Sync now", or the export of existing
orders), never as a side effect of someone touching them.
"""
from .models import EventConnection


def queue_order(order, triggered_by):
    from .sync import HubSpotSync

    event = order.event
    try:
        event_connection = event.hubspot_connection
    except EventConnection.DoesNotExist:
        return None
    if order.datetime < event_connection.connected_at:
        return None
    if not event.hubspot_object_mappings.exists():
        return None
    queue_item, created = HubSpotSync.enqueue_order(order, triggered_by)
    return queue_item
