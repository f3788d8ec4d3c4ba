from datetime import timedelta
from typing import Optional

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from django_scopes import ScopedManager
from pretix.base.models import LoggedModel

from . import crypto

HUBSPOT_CONTACTS = "contacts"
HUBSPOT_DEALS = "deals"
HUBSPOT_COMPANIES = "companies"
HUBSPOT_LINE_ITEMS = "line_items"
HUBSPOT_TICKETS = "tickets"
HUBSPOT_OBJECT_TYPES = (
    (HUBSPOT_CONTACTS, pgettext_lazy("hubspot", "Contacts")),
    (HUBSPOT_COMPANIES, pgettext_lazy("hubspot", "Companies")),
    (HUBSPOT_DEALS, pgettext_lazy("hubspot", "Deals")),
    (HUBSPOT_LINE_ITEMS, pgettext_lazy("hubspot", "Line items")),
    (HUBSPOT_TICKETS, pgettext_lazy("hubspot", "Tickets")),
)
# HubSpot's numeric object type ids, used in record URLs (…/record/0-1/<id>).
HUBSPOT_OBJECT_TYPE_IDS = {HUBSPOT_CONTACTS: "0-1", HUBSPOT_COMPANIES: "0-2", HUBSPOT_DEALS: "0-3",
                           HUBSPOT_TICKETS: "0-5", HUBSPOT_LINE_ITEMS: "0-8"}

PRETIX_ORDER = "Order"
PRETIX_ORDER_POSITION = "OrderPosition"
PRETIX_MODELS = (
    (PRETIX_ORDER, _("Order")),
    (PRETIX_ORDER_POSITION, _("Order position")),
)


class HubSpotConnection(models.Model):
    """
    An installation of a HubSpot app in one HubSpot account (portal), owned by an organizer.

    Either the server's OAuth app (access and refresh token, ``AUTH_OAUTH``), or a single-account app of the
    organizer whose static access token someone entered in the organizer's settings (``AUTH_STATIC``; it never
    expires and cannot be refreshed, see ``static_tokens``). Any event of the organizer can use it; consenting once
    is enough for all of them. The tokens are stored encrypted (see ``crypto``) and are never rendered, logged or
    copied with an event.
    """

    AUTH_OAUTH = "oauth"
    AUTH_STATIC = "static"
    AUTH_TYPES = (
        (AUTH_OAUTH, _("HubSpot sign-in (OAuth)")),
        (AUTH_STATIC, _("Access token of a single-account app")),
    )

    organizer = models.ForeignKey("pretixbase.Organizer", on_delete=models.CASCADE, related_name="hubspot_connections")
    portal_id = models.BigIntegerField(verbose_name=_("HubSpot account ID"))
    hub_domain = models.CharField(max_length=255, blank=True, verbose_name=_("HubSpot account domain"))
    # The account's name, where HubSpot's account details tell it ("portalName"); empty otherwise.
    account_name = models.CharField(max_length=255, blank=True, verbose_name=_("HubSpot account name"))
    ui_domain = models.CharField(max_length=255, default="app.hubspot.com")
    data_hosting_location = models.CharField(max_length=16, blank=True)
    hubspot_user = models.CharField(max_length=255, blank=True, verbose_name=_("Connected HubSpot user"))
    scopes = models.JSONField(default=list)
    connected_by = models.ForeignKey("pretixbase.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    access_token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    access_token_expires = models.DateTimeField(null=True, blank=True)
    # Set when HubSpot rejected the refresh token (app uninstalled, token revoked): a person has to consent again.
    needs_reconnect = models.BooleanField(default=False)
    last_refresh_error = models.TextField(blank=True)
    auth_type = models.CharField(max_length=16, choices=AUTH_TYPES, default=AUTH_OAUTH)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        unique_together = (("organizer", "portal_id"),)

    @property
    def is_static(self) -> bool:
        return self.auth_type == self.AUTH_STATIC

    def __str__(self):
        return f"HubSpot {self.portal_id}"

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_encrypted)

    @access_token.setter
    def access_token(self, value: str):
        self.access_token_encrypted = crypto.encrypt(value)

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_encrypted)

    @refresh_token.setter
    def refresh_token(self, value: str):
        self.refresh_token_encrypted = crypto.encrypt(value)

    def access_token_valid_for(self, margin: timedelta) -> bool:
        if self.is_static:
            # A static token has no expiry; HubSpot's 401 is what ends it.
            return bool(self.access_token_encrypted) and not self.needs_reconnect
        return bool(
            self.access_token_encrypted
            and self.access_token_expires
            and self.access_token_expires - margin > now()
        )

    def account_url(self) -> str:
        """The account in HubSpot's web interface (its contacts, where the transferred records are)."""
        return "https://{domain}/contacts/{portal}".format(domain=self.ui_domain or "app.hubspot.com",
                                                           portal=self.portal_id)

    def record_url(self, object_type: str, record_id) -> str:
        return "https://{domain}/contacts/{portal}/record/{type_id}/{id}".format(
            domain=self.ui_domain or "app.hubspot.com",
            portal=self.portal_id,
            # a custom object is stored by its type id ("2-…") already
            type_id=HUBSPOT_OBJECT_TYPE_IDS.get(object_type, object_type),
            id=record_id,
        )


class EventConnectionManager(models.Manager):
    """
    The one answer to "which HubSpot connection does this event use". Always a query, never the relation cached on
    the event object (``event.hubspot_connection``): that one outlives a disconnect, e.g. in a sync run or a request
    that looked before someone disconnected.
    """

    def for_event(self, event, related=()) -> Optional["EventConnection"]:
        """
        The event's link to its connection (with the connection), or None when it is not connected. ``related``:
        further relations to load with it, e.g. who connected.
        """
        return self.filter(event_id=event.pk).select_related("connection", *related).first()

    def connection_for(self, event) -> Optional["HubSpotConnection"]:
        """The connection the event exports to, or None. A connection that needs a reconnect is returned, too."""
        link = self.for_event(event)
        return link.connection if link is not None else None


class EventConnection(models.Model):
    """
    Links an event to the HubSpot connection its orders are exported to.

    ``connected_at`` matters: only orders placed from that moment on are queued automatically.
    """

    event = models.OneToOneField("pretixbase.Event", on_delete=models.CASCADE, related_name="hubspot_connection")
    connection = models.ForeignKey(HubSpotConnection, on_delete=models.CASCADE, related_name="event_connections")
    connected_at = models.DateTimeField(default=now)
    connected_by = models.ForeignKey("pretixbase.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager(organizer="event__organizer",
                            _manager_class=EventConnectionManager)

    def __str__(self):
        return f"{self.event} → {self.connection}"


class ObjectMapping(LoggedModel):
    """
    One "pretix object → HubSpot object" row of the settings page.

    It presents itself to pretix's data-sync framework as an ``ObjectMapping`` (id, pretix_model,
    external_object_type, pretix_id_field, external_id_field, property_mappings). ``property_mappings`` holds the
    list that ``PropertyMappingFormSet.to_property_mappings_list()`` produces, in row order, so pretix's own
    helpers (``get_properties``, ``assign_properties``, ``translate_property_mappings``) work on it unchanged.
    """

    event = models.ForeignKey("pretixbase.Event", on_delete=models.CASCADE, related_name="hubspot_object_mappings")
    position = models.PositiveIntegerField(default=0)
    pretix_model = models.CharField(max_length=32, choices=PRETIX_MODELS, verbose_name=_("pretix object type"))
    external_object_type = models.CharField(
        max_length=32, choices=HUBSPOT_OBJECT_TYPES, verbose_name=_("HubSpot object type")
    )
    pretix_id_field = models.CharField(max_length=255, blank=True, verbose_name=_("pretix field"))
    external_id_field = models.CharField(max_length=255, blank=True, verbose_name=_("HubSpot field"))
    property_mappings = models.JSONField(default=list)
    # The "Association setup": rows of ``associations.AssociationRow.as_json()``, each naming an earlier mapping.
    associations = models.JSONField(default=list)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("position", "id")

    def __str__(self):
        return "{} → {}".format(self.get_pretix_model_display(), self.get_external_object_type_display())


# The states of an export that is not over yet, named outside ``OrderExport`` so that its Meta can use them too.
EXPORT_STATE_QUEUEING = "queueing"
EXPORT_STATE_RUNNING = "running"
EXPORT_ACTIVE_STATES = (EXPORT_STATE_QUEUEING, EXPORT_STATE_RUNNING)


class OrderExport(models.Model):
    """
    One run of "Export existing orders" (or of "Send again" after a settings change).

    The orders themselves travel through pretix's own sync queue (``OrderSyncQueue``); the queue rows this run
    created carry ``triggered_by = self.queue_tag`` so they can be counted and cancelled. The selected order ids are
    kept here because pretix deletes a queue row once its order has been transferred: without them, progress could
    not be counted after the fact, or after a server restart.
    """

    KIND_EXPORT = "export"
    KIND_RESYNC = "resync"
    KINDS = (
        (KIND_EXPORT, _("Export of existing orders")),
        (KIND_RESYNC, _("Sending transferred orders again")),
    )
    # "queueing" while the orders are being put into the queue, "running" while the queue drains.
    STATE_QUEUEING = EXPORT_STATE_QUEUEING
    STATE_RUNNING = EXPORT_STATE_RUNNING
    STATE_FINISHED = "finished"
    STATE_CANCELLED = "cancelled"
    ACTIVE_STATES = EXPORT_ACTIVE_STATES
    STATES = (
        (STATE_QUEUEING, _("Queueing")),
        (STATE_RUNNING, _("Running")),
        (STATE_FINISHED, _("Finished")),
        (STATE_CANCELLED, _("Cancelled")),
    )

    event = models.ForeignKey("pretixbase.Event", on_delete=models.CASCADE, related_name="hubspot_exports")
    kind = models.CharField(max_length=16, choices=KINDS, default=KIND_EXPORT)
    state = models.CharField(max_length=16, choices=STATES, default=STATE_QUEUEING)
    created = models.DateTimeField(default=now)
    created_by = models.ForeignKey("pretixbase.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The choices made on the form (status, dates, product), as shown back on the page.
    filters = models.JSONField(default=dict)
    order_ids = models.JSONField(default=list)
    selected_count = models.PositiveIntegerField(default=0)
    # Orders this run put into the queue; the others were waiting in it already (and are sent anyway).
    queued_count = models.PositiveIntegerField(default=0)
    # The highest order id queued so far: queueing that starts again (a second task, a restart) goes on from here,
    # so that no order is queued twice by the same export.
    queued_through = models.BigIntegerField(default=0)
    finished = models.DateTimeField(null=True, blank=True)
    cancelled = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey("pretixbase.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Queue rows a cancellation removed before they were sent.
    removed_count = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("-created", "-id")
        constraints = [
            # The database, not a check in the view, makes a second click on "Start" harmless.
            models.UniqueConstraint(
                fields=["event"], condition=models.Q(state__in=EXPORT_ACTIVE_STATES), name="pretix_hubspot_one_active_export",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def queue_tag(self) -> str:
        return f"pretix_hubspot.export:{self.pk}"


# --- Marketing events (marketing_events.py, checkins.py) ------------------------------------------------------------


class MarketingEventLink(models.Model):
    """The HubSpot marketing event of an event, or of one date of an event series, as last written."""

    event = models.ForeignKey("pretixbase.Event", on_delete=models.CASCADE, related_name="hubspot_marketing_events")
    subevent = models.ForeignKey("pretixbase.SubEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    external_event_id = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255, blank=True)
    # What was sent last time: the event is only written again when this changes.
    payload_hash = models.CharField(max_length=64, blank=True)
    sent = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        unique_together = (("event", "external_event_id"),)


class PendingAttendance(models.Model):
    """
    A check-in on its way to HubSpot as "attended". One row per ticket: a repeated scan or a check-out does not add
    a second one. The row stays (with ``sent`` set) once HubSpot has it, and stays unsent while HubSpot fails.
    """

    event = models.ForeignKey("pretixbase.Event", on_delete=models.CASCADE, related_name="+")
    position = models.OneToOneField("pretixbase.OrderPosition", on_delete=models.CASCADE,
                                    related_name="hubspot_attendance")
    checked_in_at = models.DateTimeField()
    created = models.DateTimeField(default=now)
    sent = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        indexes = [models.Index(fields=("event", "sent"))]
