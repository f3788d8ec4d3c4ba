"""Signal receivers only: navigation, order triggers, event copy, log entry types."""
from django.dispatch import receiver
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _
from pretix.control.signals import nav_event_settings

SETTINGS_PERMISSION = "event.settings.general:write"


@receiver(nav_event_settings, dispatch_uid="pretix_hubspot_nav_settings")
def navbar_settings(sender, request, **kwargs):
    if not request.user.has_event_permission(request.organizer, request.event, SETTINGS_PERMISSION, request=request):
        return []
    url = resolve(request.path_info)
    return [{
        "label": _("HubSpot"),
        "url": reverse("plugins:pretix_hubspot:settings", kwargs={
            "event": request.event.slug,
            "organizer": request.organizer.slug,
        }),
        "active": url.namespace == "plugins:pretix_hubspot",
    }]
