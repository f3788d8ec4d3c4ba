"""The pretix permissions the plugin's pages ask for."""

# Connecting, mappings, exports: everything that changes what goes to HubSpot.
SETTINGS_PERMISSION = "event.settings.general:write"
# The preview shows order data, so seeing orders is enough.
ORDERS_PERMISSION = "event.orders:read"
