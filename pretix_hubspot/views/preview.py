"""
"Preview HubSpot data" for one order: reached from the order page and from the mapping editor.

GET only: the page changes nothing, in pretix or in HubSpot. It reads from HubSpot, through the same client and
shared rate limit as the sync, so it needs the event to be connected. It shows current values from HubSpot, so
seeing it needs the permission to see orders and the permission to change the event's settings (see
``permissions.PREVIEW_PERMISSIONS``).
"""
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from pretix.control.permissions import EventPermissionRequiredMixin

from ..models import EventConnection
from ..organizer.preview import preview_order
from ..permissions import ORDERS_PERMISSION, may_preview


def preview_url(event, order=None, mapping=None):
    url = reverse("plugins:pretix_hubspot:preview", kwargs={"organizer": event.organizer.slug, "event": event.slug})
    params = []
    if order is not None:
        params.append("order=" + order.code)
    if mapping is not None:
        params.append("mapping={}".format(mapping.pk))
    return url + ("?" + "&".join(params) if params else "")


class PreviewView(EventPermissionRequiredMixin, TemplateView):
    permission = ORDERS_PERMISSION
    template_name = "pretix_hubspot/preview.html"
    http_method_names = ["get", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        # The mixin has checked ORDERS_PERMISSION; the preview needs the settings permission as well.
        if not may_preview(request, request.event):
            raise PermissionDenied(_("The preview shows data from HubSpot, so it needs the permissions to view "
                                     "orders and to change the event's settings."))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def code(self):
        return (self.request.GET.get("order") or "").strip()

    @cached_property
    def order(self):
        if not self.code:
            return None
        return self.request.event.orders.filter(code__iexact=self.code).first()

    @cached_property
    def mapping(self):
        """The mapping the organizer came from, when they came from the mapping editor."""
        pk = self.request.GET.get("mapping") or ""
        if not pk.isdigit():
            return None
        return self.request.event.hubspot_object_mappings.filter(pk=pk).first()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        event = self.request.event
        connected = EventConnection.objects.for_event(event) is not None
        has_mappings = event.hubspot_object_mappings.exists()
        ctx.update(code=self.code, order=self.order, mapping=self.mapping, connected=connected,
                   has_mappings=has_mappings, preview=None, not_found=bool(self.code) and self.order is None)
        if self.mapping is not None:
            ctx["mapping_url"] = reverse("plugins:pretix_hubspot:mappings.edit", kwargs={
                "organizer": event.organizer.slug, "event": event.slug, "mapping": self.mapping.pk})
        if self.order is not None:
            ctx["order_url"] = reverse("control:event.order", kwargs={
                "organizer": event.organizer.slug, "event": event.slug, "code": self.order.code})
            if self.mapping is not None:
                ctx["all_mappings_url"] = preview_url(event, self.order)
            if connected and has_mappings:
                mappings = [self.mapping] if self.mapping is not None else None
                ctx["preview"] = preview_order(event, self.order, mappings)
        ctx["page_title"] = _("Preview HubSpot data")
        return ctx
