"""
The names this plugin files its records under in pretix: the data-sync provider id (on queue rows and results) and
the action types of its log entries.

Stored in pretix's tables, so they outlive every release: change one only with a data migration. What pretix shows
for each log entry is in ``signals`` (its log entry types), keyed by these names.
"""

# pretix's data-sync framework knows the provider by this id (``HubSpotSync.identifier``).
PROVIDER = "hubspot"

# The event's connection (logged on the event)
CONNECTED = "pretix_hubspot.connected"
DISCONNECTED = "pretix_hubspot.disconnected"
CONNECTION_DELETED = "pretix_hubspot.connection.deleted"
RECONNECT_REQUIRED = "pretix_hubspot.connection.reconnect_required"
STATIC_TOKEN_REJECTED = "pretix_hubspot.static_token.rejected"
OPTIONS_CHANGED = "pretix_hubspot.options.changed"
IDENTIFIER_PROPERTY_CREATED = "pretix_hubspot.identifier_property.created"
MARKETING_EVENT_CHANGED = "pretix_hubspot.marketing_event.changed"
PRODUCTS_CHANGED = "pretix_hubspot.products.changed"
PRODUCTS_CREATED = "pretix_hubspot.products.created"

# The organizer's access tokens (logged on the organizer)
STATIC_TOKEN_SAVED = "pretix_hubspot.static_token.saved"
STATIC_TOKEN_REMOVED = "pretix_hubspot.static_token.removed"

# Object mappings; a change means transferred orders may be out of date (``export``)
MAPPING_PREFIX = "pretix_hubspot.mapping."
MAPPING_CREATED = MAPPING_PREFIX + "created"
MAPPING_CHANGED = MAPPING_PREFIX + "changed"
MAPPING_DELETED = MAPPING_PREFIX + "deleted"

# An order's transfer (logged on the order)
SYNC_FAILED_TEMPORARY = "pretix_hubspot.sync.failed.temporary"
SYNC_WAITING_FOR_RECONNECT = "pretix_hubspot.sync.waiting_for_reconnect"

# Exports of existing orders and sending transferred orders again
EXPORT_STARTED = "pretix_hubspot.export.started"
EXPORT_CANCELLED = "pretix_hubspot.export.cancelled"
RESYNC_STARTED = "pretix_hubspot.resync.started"
RESYNC_CANCELLED = "pretix_hubspot.resync.cancelled"
