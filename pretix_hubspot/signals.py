"""Signal receivers only: navigation, global settings, order triggers, event copy, deletions, order page, log entry types."""
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import resolve, reverse
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled
from pretix.base.logentrytypes import (
    ClearDataShredderMixin, EventLogEntryType, LogEntryType, NoOpShredderMixin, OrderLogEntryType, log_entry_types,
)
from pretix.base.models import Event, OrderRefund, Organizer
from pretix.base.signals import (
    checkin_annulled, checkin_created, event_copy_data, order_approved, order_canceled, order_changed, order_denied,
    order_expired, order_modified, order_paid, order_placed, order_reactivated, periodic_task, register_global_settings,
)
from pretix.control.signals import nav_event_settings, nav_organizer, order_info

from . import log_actions
from .datasync_api import OrderSyncQueue
from .models import HUBSPOT_OBJECT_TYPES, EventConnection, HubSpotConnection, ObjectMapping
# export is imported here, not in the receiver: this also registers the export's Celery task in every process.
from .organizer import export, identifier_property
from .permissions import ORDERS_PERMISSION, ORGANIZER_SETTINGS_PERMISSION, SETTINGS_PERMISSION, may_preview


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
    log_actions.MAPPING_CREATED: _("A HubSpot object mapping has been added."),
    log_actions.MAPPING_CHANGED: _("A HubSpot object mapping has been changed."),
    log_actions.MAPPING_DELETED: _("A HubSpot object mapping has been deleted."),
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
    from .datasync_api import translate_property_mappings

    if sender.hubspot_object_mappings.exists():
        return
    copies = {}
    for mapping in other.hubspot_object_mappings.all():
        # The identifier is a pretix field too, and may name a check-in list.
        identifier = translate_property_mappings([{"pretix_field": mapping.pretix_id_field}], checkin_list_map)
        copies[mapping.pk] = (mapping, sender.hubspot_object_mappings.create(
            position=mapping.position,
            pretix_model=mapping.pretix_model,
            external_object_type=mapping.external_object_type,
            pretix_id_field=identifier[0]["pretix_field"] if mapping.pretix_id_field else "",
            external_id_field=mapping.external_id_field,
            property_mappings=translate_property_mappings(mapping.property_mappings, checkin_list_map),
        ))
    # The association setup names earlier mappings by id: in the copy, the copies of those mappings.
    for original, copy in copies.values():
        rows = [{**row, "to_mapping": copies[row.get("to_mapping")][1].pk}
                for row in original.associations or [] if row.get("to_mapping") in copies]
        if rows:
            copy.associations = rows
            copy.save(update_fields=["associations"])


@receiver(event_copy_data, dispatch_uid="pretix_hubspot_copy_product_links")
def copy_product_links(sender, other, item_map, variation_map, **kwargs):
    """pretix copies the settings as they are: the HubSpot product links must name the copied products instead."""
    from .transfer.product_links import product_links, save_product_links, translate_links

    save_product_links(sender, translate_links(product_links(other), item_map, variation_map))


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


# pretix's order signals are event-plugin signals: they only reach us for events with the plugin enabled.
@receiver(list(ORDER_TRIGGERS), dispatch_uid="pretix_hubspot_sync_order_event")
def queue_on_order_event(sender, signal, order, **kwargs):
    from .transfer.triggers import queue_order
    queue_order(order, ORDER_TRIGGERS[signal])


@receiver(post_save, sender=OrderRefund, dispatch_uid="pretix_hubspot_sync_order_refunded")
def queue_on_refund(sender, instance, **kwargs):
    # pretix has no refund signal; post_save is global, so check the plugin ourselves.
    if instance.state != OrderRefund.REFUND_STATE_DONE:
        return
    order = instance.order
    if "pretix_hubspot" not in order.event.get_plugins():
        return
    from .transfer.triggers import queue_order
    queue_order(order, "order_refunded")


# --- Connection: deleting events and organizers ---------------------------------------------------------------------


@receiver(pre_delete, sender=Event, dispatch_uid="pretix_hubspot_release_connection_of_deleted_event")
def release_connection_of_deleted_event(sender, instance, **kwargs):
    """
    pretix deletes an event (control, API, or with its organizer) with ``Event.delete()``; the event's link goes by
    cascade. Once that is committed, the connection is released like on "Disconnect": revoked and deleted when no
    other event uses it. Not before the commit: a deletion that is rolled back must not have revoked anything.
    """
    from .organizer.connections import release_after_event_deletion

    with scopes_disabled():
        connection = EventConnection.objects.connection_for(instance)
    if connection is not None:
        connection_id = connection.pk
        transaction.on_commit(lambda: release_after_event_deletion(connection_id))


@receiver(pre_delete, sender=Organizer, dispatch_uid="pretix_hubspot_revoke_connections_of_deleted_organizer")
def revoke_connections_of_deleted_organizer(sender, instance, **kwargs):
    """
    Deleting an organizer deletes its connections by cascade (after its events, whose releases then find nothing
    left to release). Their tokens are read first and revoked at HubSpot once the deletion is committed.
    """
    from .organizer.connections import revoke_after_organizer_deletion

    with scopes_disabled():
        tokens = list(HubSpotConnection.objects.filter(organizer_id=instance.pk).values_list(
            "portal_id", "refresh_token_encrypted"))
    if tokens:
        transaction.on_commit(lambda: revoke_after_organizer_deletion(tokens))


# --- Connection: global settings and log entries --------------------------------------------------------------------


@receiver(register_global_settings, dispatch_uid="pretix_hubspot_global_settings")
def hubspot_global_settings(sender, **kwargs):
    from .global_settings import fields

    return fields()


@log_entry_types.new_from_dict({
    log_actions.CONNECTED: _("The event has been connected to HubSpot account {portal_id}."),
    log_actions.DISCONNECTED: _("The event has been disconnected from HubSpot account {portal_id}."),
    log_actions.CONNECTION_DELETED: _("No event uses HubSpot account {portal_id} any more, so its access data "
                                      "has been deleted."),
    log_actions.RECONNECT_REQUIRED: _("HubSpot no longer accepts the connection to account "
                                      "{portal_id}. Please reconnect in Settings → HubSpot."),
    log_actions.OPTIONS_CHANGED: _("The HubSpot transfer options have been changed."),
    log_actions.PRODUCTS_CHANGED: _("The HubSpot products of the event's products have been changed."),
    log_actions.PRODUCTS_CREATED: _("Products have been created in HubSpot for the event's products."),
    log_actions.IDENTIFIER_PROPERTY_CREATED: _("The property {property} has been created in HubSpot "
                                               "account {portal_id} for {object_type}."),
    log_actions.STATIC_TOKEN_REJECTED: _("HubSpot no longer accepts the access token of HubSpot account "
                                         "{portal_id}. Please enter a new one in the organizer's HubSpot "
                                         "settings."),
})
class HubSpotConnectionLogEntryType(NoOpShredderMixin, EventLogEntryType):
    # The data holds the HubSpot account id and domain, never a token and nothing about a person.

    def display(self, logentry, data):
        if data.get("object_type"):
            # stored as HubSpot's identifier ("contacts"), shown in the user's language
            data = {**data, "object_type": str(dict(HUBSPOT_OBJECT_TYPES).get(data["object_type"], data["object_type"]))}
        if data.get("property"):
            # stored by its name ("pretix_company_id"), shown by its label as HubSpot shows it
            data = {**data, "property": identifier_property.LABELS.get(data["property"], data["property"])}
        return super().display(logentry, data)


# --- Sync: the order's history ----------------------------------------------------------------------------------------


@log_entry_types.new_from_dict({
    log_actions.SYNC_FAILED_TEMPORARY: _("Transferring data to HubSpot failed temporarily (attempt {attempt} of "
                                         "{max_attempts}); it will be tried again at {next_attempt_display}:"),
})
class HubSpotTemporaryFailureLogEntryType(ClearDataShredderMixin, OrderLogEntryType):
    # The data holds the messages (which may quote a value HubSpot rejected, such as an e-mail address), never a token.

    def display(self, logentry, data):
        data = dict(data or {})
        data.setdefault("attempt", "?")
        data.setdefault("max_attempts", "?")
        data["next_attempt_display"] = _next_attempt_display(logentry, data.get("next_attempt"))
        messages = data.get("error") or []
        if not isinstance(messages, list):
            messages = [messages]
        return mark_safe(escape(super().display(logentry, data)) + "".join(
            "<p>" + escape(m) + "</p>" for m in messages))


def _next_attempt_display(logentry, value):
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "?"
    if logentry.event:
        moment = moment.astimezone(logentry.event.timezone)
    return date_format(moment, "SHORT_DATETIME_FORMAT")


@log_entry_types.new_from_dict({
    log_actions.SYNC_WAITING_FOR_RECONNECT: _("The transfer to HubSpot waits until the connection to HubSpot has "
                                              "been reconnected in Settings → HubSpot; it then runs by itself."),
})
class HubSpotOrderLogEntryType(NoOpShredderMixin, OrderLogEntryType):
    # The data holds the provider's identifier and HubSpot's reasons, never a token.
    pass


# --- Export of existing orders: restarting stopped ones, log entries ------------------------------------------------


@receiver(periodic_task, dispatch_uid="pretix_hubspot_export_restart_stopped")
def export_restart_stopped(sender, **kwargs):
    # The safety net: an export whose queueing stopped half-way (its worker died) is queued to the end.
    export.restart_stopped_exports()


@log_entry_types.new_from_dict({
    log_actions.EXPORT_STARTED: _("An export of {count} existing orders to HubSpot has been started."),
    log_actions.EXPORT_CANCELLED: _("An export of existing orders to HubSpot has been cancelled; {removed} "
                                    "orders were taken out of the queue."),
    log_actions.RESYNC_STARTED: _("{count} orders that had been transferred to HubSpot before are being sent "
                                  "again with the current settings."),
    log_actions.RESYNC_CANCELLED: _("Sending transferred orders to HubSpot again has been cancelled; {removed} "
                                    "orders were taken out of the queue."),
})
class HubSpotExportLogEntryType(NoOpShredderMixin, EventLogEntryType):
    # The data holds the run's id, its counts and the chosen filters (status, dates, product id): nothing personal.
    pass


# --- Order page: why a transfer is being retried ---------------------------------------------------------------------


@receiver(order_info, dispatch_uid="pretix_hubspot_retry_order_info")
def retry_order_info(sender, order, request, **kwargs):
    """
    pretix's "Data transfer to external systems" box says "Error. Retry n of m", not why. While an order waits for
    another attempt (or for a reconnect), this box gives the reason from the order's history.
    """
    if not request.user.has_event_permission(request.organizer, sender, ORDERS_PERMISSION, request=request):
        return ""
    row = OrderSyncQueue.objects.filter(order=order, sync_provider=log_actions.PROVIDER, need_manual_retry__isnull=True).filter(
        Q(failed_attempts__gt=0) | Q(not_before__gt=now())).order_by("-triggered").first()
    if row is None:
        return ""
    entry = order.all_logentries().filter(
        action_type__in=(log_actions.SYNC_FAILED_TEMPORARY, log_actions.SYNC_WAITING_FOR_RECONNECT),
        datetime__gte=row.triggered,
    ).order_by("-datetime", "-pk").first()
    if entry is None:
        return ""
    return render_to_string("pretix_hubspot/retry_order_info.html", {
        "reason": entry.display(), "waiting_for_reconnect": entry.action_type.endswith("waiting_for_reconnect"),
        "settings_url": reverse("plugins:pretix_hubspot:settings", kwargs={
            "organizer": sender.organizer.slug, "event": sender.slug}),
    }, request=request)


# --- Preview: the order page's "Preview HubSpot data" box -----------------------------------------------------------


@receiver(order_info, dispatch_uid="pretix_hubspot_preview_order_info")
def preview_order_info(sender, order, request, **kwargs):
    from .views.preview import preview_url

    if not may_preview(request, sender):
        return ""
    if EventConnection.objects.for_event(sender) is None or not sender.hubspot_object_mappings.exists():
        return ""
    return render_to_string("pretix_hubspot/preview_order_info.html", {"preview_url": preview_url(sender, order)},
                            request=request)


# --- The organizer's HubSpot page: access tokens of single-account apps ---------------------------------------------


@receiver(nav_organizer, dispatch_uid="pretix_hubspot_nav_organizer")
def navbar_organizer(sender, request, **kwargs):
    if not request.user.has_organizer_permission(request.organizer, ORGANIZER_SETTINGS_PERMISSION, request=request):
        return []
    url = resolve(request.path_info)
    return [{
        "label": _("HubSpot"),
        "url": reverse("plugins:pretix_hubspot:organizer.settings", kwargs={"organizer": request.organizer.slug}),
        "icon": "exchange",
        "active": url.namespace == "plugins:pretix_hubspot" and url.url_name.startswith("organizer."),
    }]


@log_entry_types.new_from_dict({
    log_actions.STATIC_TOKEN_SAVED: _("An access token for HubSpot account {portal_id} has been saved."),
    log_actions.STATIC_TOKEN_REMOVED: _("The access token for HubSpot account {portal_id} has been removed."),
})
class HubSpotOrganizerLogEntryType(NoOpShredderMixin, LogEntryType):
    # The data holds the HubSpot account id and counts, never a token.
    pass


# --- Marketing event: check-ins as attendance, settings log entries --------------------------------------------------


@receiver(checkin_created, dispatch_uid="pretix_hubspot_marketing_event_checkin")
def marketing_event_checkin(sender, checkin, **kwargs):
    from .transfer.checkins import record_checkin
    record_checkin(sender, checkin)


@receiver(checkin_annulled, dispatch_uid="pretix_hubspot_marketing_event_checkin_annulled")
def marketing_event_checkin_annulled(sender, checkin, **kwargs):
    from .transfer.checkins import forget_checkin
    forget_checkin(sender, checkin)


@receiver(periodic_task, dispatch_uid="pretix_hubspot_marketing_event_attendance")
def marketing_event_send_attendance(sender, **kwargs):
    # The safety net: check-ins whose scheduled run was lost, or that HubSpot refused last time.
    from .transfer.checkins import send_attendance
    send_attendance.apply_async()


@receiver(event_copy_data, dispatch_uid="pretix_hubspot_copy_marketing_event_settings")
def copy_marketing_event_settings(sender, other, checkin_list_map, **kwargs):
    """pretix copied the settings already; the check-in lists must be the copy's, and a problem stays behind."""
    from .transfer.marketing_events import MarketingEventSettings

    copied = MarketingEventSettings(sender)
    if not copied.enabled and not copied.checkin_list_ids:
        return
    copied.save(enabled=copied.enabled, participants=copied.participants, register_on=copied.register_on,
                checkin_list_ids=[checkin_list_map[i].pk for i in copied.checkin_list_ids if i in checkin_list_map])
    copied.set_problem("")


@log_entry_types.new_from_dict({
    log_actions.MARKETING_EVENT_CHANGED: _("The HubSpot marketing event settings have been changed."),
})
class HubSpotMarketingEventLogEntryType(NoOpShredderMixin, EventLogEntryType):
    # The data holds the organizer's choices and check-in list ids: nothing personal.
    pass
