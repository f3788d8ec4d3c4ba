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


# --- Object mappings: log entries and event copy ---------------------------------------------------------------------
from pretix.base.logentrytypes import EventLogEntryType, NoOpShredderMixin, log_entry_types  # noqa: E402
from pretix.base.signals import event_copy_data  # noqa: E402

from .models import ObjectMapping  # noqa: E402


@log_entry_types.new_from_dict({
    "pretix_hubspot.mapping.created": _("A HubSpot object mapping has been added."),
    "pretix_hubspot.mapping.changed": _("A HubSpot object mapping has been changed."),
    "pretix_hubspot.mapping.deleted": _("A HubSpot object mapping has been deleted."),
})
class HubSpotMappingLogEntryType(NoOpShredderMixin, EventLogEntryType):
    # The data holds field names and value maps, nothing about a person.
    content_type = ObjectMapping
    object_link_wrapper = _("Mapping {val}")
    object_link_viewname = "plugins:pretix_hubspot:mappings.edit"
    object_link_argname = "mapping"


@receiver(event_copy_data, dispatch_uid="pretix_hubspot_copy_object_mappings")
def copy_object_mappings(sender, other, checkin_list_map, **kwargs):
    """A copied event gets the mappings of the original; check-in list fields follow the copied lists."""
    from pretix.base.datasync.utils import translate_property_mappings

    if sender.hubspot_object_mappings.exists():
        return
    for mapping in other.hubspot_object_mappings.all():
        # The identifier is a pretix field too, and may name a check-in list.
        identifier = translate_property_mappings([{"pretix_field": mapping.pretix_id_field}], checkin_list_map)
        sender.hubspot_object_mappings.create(
            position=mapping.position,
            pretix_model=mapping.pretix_model,
            external_object_type=mapping.external_object_type,
            pretix_id_field=identifier[0]["pretix_field"] if mapping.pretix_id_field else "",
            external_id_field=mapping.external_id_field,
            property_mappings=translate_property_mappings(mapping.property_mappings, checkin_list_map),
        )
