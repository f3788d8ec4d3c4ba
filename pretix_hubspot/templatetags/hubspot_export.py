"""The "Export existing orders" section of the settings page, which the settings view knows nothing about."""
from django import template
from django.urls import reverse

from .. import export
from ..models import OrderExport

register = template.Library()


@register.inclusion_tag("pretix_hubspot/fragments/export_section.html", takes_context=True)
def hubspot_export_section(context):
    request = context["request"]
    event = request.event
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    running = export.active_export(event)
    progress = export.export_progress(running) if running else None
    last = None if running else OrderExport.objects.filter(event=event).defer("order_ids").first()
    return {
        "csrf_token": context.get("csrf_token"),
        "running": running,
        "progress": progress,
        "last": last,
        "offer": export.resync_offer(event),
        "export_url": reverse("plugins:pretix_hubspot:export", kwargs=kwargs),
        "resync_url": reverse("plugins:pretix_hubspot:resync", kwargs=kwargs),
        "failed_jobs_url": reverse("control:event.datasync.failedjobs", kwargs=kwargs),
    }
