"""Signal receivers only: navigation, global settings, order triggers, event copy, order page, log entry types."""
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _
from pretix.base.logentrytypes import EventLogEntryType, NoOpShredderMixin, log_entry_types
from pretix.base.models import OrderRefund
from pretix.base.signals import (
    checkin_annulled, checkin_created, event_copy_data, order_approved, order_canceled, order_changed, order_denied,
    order_expired, order_modified, order_paid, order_placed, order_reactivated, periodic_task, register_global_settings,
)
from pretix.control.signals import nav_event_settings, order_info

from .models import HUBSPOT_OBJECT_TYPES, EventConnection, ObjectMapping
from .permissions import ORDERS_PERMISSION, SETTINGS_PERMISSION


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


# --- Sync: order triggers -------------------------------------------------------------------------------------------

ORDER_TRIGGERS = {
    order_placed: "order_placed",
    order_paid: "order_paid",
    order_changed: "order_changed",
    order_canceled: "order_canceled",
    order_expired: "order_expired",
    order_approved: "order_approved",
    order_denied: "order_denied",
    order_reactivated: "order_reactivated",
    # contact data, invoice address or answers edited
    order_modified: "order_modified",
}


def _order_trigger_receiver(trigger):
    def on_order_event(sender, order, **kwargs):
        from .triggers import queue_order
        queue_order(order, trigger)
    on_order_event.__name__ = "queue_on_" + trigger
    return on_order_event


for _signal, _trigger in ORDER_TRIGGERS.items():
    # pretix's order signals are event-plugin signals: they only reach us for events with the plugin enabled.
    _signal.connect(_order_trigger_receiver(_trigger), dispatch_uid="pretix_hubspot_sync_" + _trigger, weak=False)


@receiver(post_save, sender=OrderRefund, dispatch_uid="pretix_hubspot_sync_order_refunded")
def queue_on_refund(sender, instance, **kwargs):
    # pretix has no refund signal; post_save is global, so check the plugin ourselves.
    if instance.state != OrderRefund.REFUND_STATE_DONE:
        return
    order = instance.order
    if "pretix_hubspot" not in order.event.get_plugins():
        return
    from .triggers import queue_order
    queue_order(order, "order_refunded")


# --- Connection: global settings and log entries --------------------------------------------------------------------


@receiver(register_global_settings, dispatch_uid="pretix_hubspot_global_settings")
def hubspot_global_settings(sender, **kwargs):
    from .global_settings import fields

    return fields()


@log_entry_types.new_from_dict({
    "pretix_hubspot.connected": _("The event has been connected to HubSpot account {portal_id}."),
    "pretix_hubspot.disconnected": _("The event has been disconnected from HubSpot account {portal_id}."),
    "pretix_hubspot.connection.deleted": _("No event uses HubSpot account {portal_id} any more, so its access data "
                                           "has been deleted."),
    "pretix_hubspot.connection.reconnect_required": _("HubSpot no longer accepts the connection to account "
                                                      "{portal_id}. Please reconnect in Settings → HubSpot."),
    "pretix_hubspot.identifier_property.created": _("The property pretix-order-id has been created in HubSpot "
                                                    "account {portal_id} for {object_type}."),
})
class HubSpotConnectionLogEntryType(NoOpShredderMixin, EventLogEntryType):
    # The data holds the HubSpot account id and domain, never a token and nothing about a person.

    def display(self, logentry, data):
        if data.get("object_type"):
            # stored as HubSpot's identifier ("contacts"), shown in the user's language
            data = {**data, "object_type": str(dict(HUBSPOT_OBJECT_TYPES).get(data["object_type"], data["object_type"]))}
        return super().display(logentry, data)


# --- Export of existing orders: log entries -------------------------------------------------------------------------
@log_entry_types.new_from_dict({
    "pretix_hubspot.export.started": _("An export of {count} existing orders to HubSpot has been started."),
    "pretix_hubspot.export.cancelled": _("An export of existing orders to HubSpot has been cancelled; {removed} "
                                         "orders were taken out of the queue."),
    "pretix_hubspot.resync.started": _("{count} orders that had been transferred to HubSpot before are being sent "
                                       "again with the current settings."),
    "pretix_hubspot.resync.cancelled": _("Sending transferred orders to HubSpot again has been cancelled; {removed} "
                                         "orders were taken out of the queue."),
})
class HubSpotExportLogEntryType(NoOpShredderMixin, EventLogEntryType):
    # The data holds the run's id, its counts and the chosen filters (status, dates, product id): nothing personal.
    pass


# --- Preview: the order page's "Preview HubSpot data" box -----------------------------------------------------------


@receiver(order_info, dispatch_uid="pretix_hubspot_preview_order_info")
def preview_order_info(sender, order, request, **kwargs):
    from .views.preview import preview_url

    if not request.user.has_event_permission(request.organizer, sender, ORDERS_PERMISSION, request=request):
        return ""
    if not EventConnection.objects.filter(event=sender).exists() or not sender.hubspot_object_mappings.exists():
        return ""
    return render_to_string("pretix_hubspot/preview_order_info.html", {"preview_url": preview_url(sender, order)},
                            request=request)


# --- Marketing event: check-ins as attendance, settings log entries --------------------------------------------------


@receiver(checkin_created, dispatch_uid="pretix_hubspot_marketing_event_checkin")
def marketing_event_checkin(sender, checkin, **kwargs):
    from .checkins import record_checkin
    record_checkin(sender, checkin)


@receiver(checkin_annulled, dispatch_uid="pretix_hubspot_marketing_event_checkin_annulled")
def marketing_event_checkin_annulled(sender, checkin, **kwargs):
    from .checkins import forget_checkin
    forget_checkin(sender, checkin)


@receiver(periodic_task, dispatch_uid="pretix_hubspot_marketing_event_attendance")
def marketing_event_send_attendance(sender, **kwargs):
    # The safety net: check-ins whose scheduled run was lost, or that HubSpot refused last time.
    from .checkins import send_attendance
    send_attendance.apply_async()


@receiver(event_copy_data, dispatch_uid="pretix_hubspot_copy_marketing_event_settings")
def copy_marketing_event_settings(sender, other, checkin_list_map, **kwargs):
    """pretix copied the settings already; the check-in lists must be the copy's, and a problem stays behind."""
    from .marketing_events import MarketingEventSettings

    copied = MarketingEventSettings(sender)
    if not copied.enabled and not copied.checkin_list_ids:
        return
    copied.save(enabled=copied.enabled, participants=copied.participants, register_on=copied.register_on,
                checkin_list_ids=[checkin_list_map[i].pk for i in copied.checkin_list_ids if i in checkin_list_map])
    copied.set_problem("")


@log_entry_types.new_from_dict({
    "pretix_hubspot.marketing_event.changed": _("The HubSpot marketing event settings have been changed."),
})
class HubSpotMarketingEventLogEntryType(NoOpShredderMixin, EventLogEntryType):
    # The data holds the organizer's choices and check-in list ids: nothing personal.
    pass
