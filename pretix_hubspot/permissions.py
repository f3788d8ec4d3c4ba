"""The pretix permissions the plugin's pages ask for."""

# Connecting, mappings, exports: everything that changes what goes to HubSpot.
SETTINGS_PERMISSION = "event.settings.general:write"
# The preview shows order data, so seeing orders is enough.
ORDERS_PERMISSION = "event.orders:read"
# The organizer's HubSpot settings (access tokens of single-account apps), which every event of it may then use.
ORGANIZER_SETTINGS_PERMISSION = "organizer.settings.general:write"
