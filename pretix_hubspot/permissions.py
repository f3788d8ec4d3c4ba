"""The pretix permissions the plugin's pages ask for."""

# Connecting, mappings, exports: everything that changes what goes to HubSpot.
SETTINGS_PERMISSION = "event.settings.general:write"
# Seeing orders; the preview needs it together with SETTINGS_PERMISSION (see PREVIEW_PERMISSIONS).
ORDERS_PERMISSION = "event.orders:read"
# The organizer's HubSpot settings (access tokens of single-account apps), which every event of it may then use, and
# the organizer's connections: attaching one to an event (without HubSpot's consent screens) hands that event the
# organizer's CRM, so it needs the right to change the organizer's settings.
ORGANIZER_SETTINGS_PERMISSION = "organizer.settings.general:write"
# The preview shows the current values of HubSpot records (any contact whose e-mail an order carries), i.e. data
# from the CRM, not only from pretix. Only people who may also change what is written there (the mappings) see it;
# seeing orders alone is not enough.
PREVIEW_PERMISSIONS = (ORDERS_PERMISSION, SETTINGS_PERMISSION)


def may_preview(request, event) -> bool:
    return all(request.user.has_event_permission(event.organizer, event, p, request=request)
               for p in PREVIEW_PERMISSIONS)


def may_use_organizer_connections(request, organizer) -> bool:
    return request.user.has_organizer_permission(organizer, ORGANIZER_SETTINGS_PERMISSION, request=request)
