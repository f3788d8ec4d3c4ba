"""The "Marketing event" section of the settings page, which the settings view knows nothing about."""
from django import template
from django.urls import reverse

from .. import conf
from ..marketing_events import MarketingEventSettings, marketing_event_url
from ..models import EventConnection, MarketingEventLink, PendingAttendance

register = template.Library()


@register.inclusion_tag("pretix_hubspot/fragments/marketing_event.html", takes_context=True)
def hubspot_marketing_event_section(context):
    from ..views.marketing_event import MarketingEventForm

    request = context["request"]
    event = request.event
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    connection = EventConnection.objects.connection_for(event)
    granted = set(connection.scopes or []) if connection else set()
    links = list(MarketingEventLink.objects.filter(event=event).exclude(object_id="").order_by("pk"))
    for link in links:
        link.url = marketing_event_url(connection, link.object_id) if connection else ""
    settings = MarketingEventSettings(event)
    return {
        "csrf_token": context.get("csrf_token"),
        "form": MarketingEventForm(event=event),
        "settings": settings,
        "missing_scopes": [s for s in conf.MARKETING_EVENT_SCOPES if s not in granted],
        "links": links,
        "pending_checkins": PendingAttendance.objects.filter(event=event, sent__isnull=True).count(),
        "save_url": reverse("plugins:pretix_hubspot:marketing_event", kwargs=kwargs),
        "past_checkins_url": reverse("plugins:pretix_hubspot:marketing_event.past_checkins", kwargs=kwargs),
        "connect_url": reverse("plugins:pretix_hubspot:connect", kwargs=kwargs),
    }
