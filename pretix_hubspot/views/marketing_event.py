"""The "Marketing event" section of the settings page: saving the organizer's choices, sending past check-ins."""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from pretix.control.permissions import EventPermissionRequiredMixin

from .. import log_actions
from ..models import EventConnection
from ..organizer.forms import MarketingEventForm
from ..permissions import SETTINGS_PERMISSION
from ..transfer import checkins
from ..transfer.marketing_events import MarketingEventSettings
from .connection import settings_url


class MarketingEventSettingsView(EventPermissionRequiredMixin, View):
    permission = SETTINGS_PERMISSION
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        event = request.event
        form = MarketingEventForm(request.POST, event=event)
        if not form.is_valid():
            messages.error(request, _("Your changes could not be saved: {errors}").format(
                errors=" ".join(str(e) for errs in form.errors.values() for e in errs)))
            return redirect(settings_url(event) + "#hubspot-marketing-event")
        data = form.cleaned_data
        MarketingEventSettings(event).save(enabled=data["enabled"], participants=data["participants"],
                                           register_on=data["register_on"],
                                           checkin_list_ids=[int(i) for i in data["checkin_lists"]])
        event.log_action(log_actions.MARKETING_EVENT_CHANGED, user=request.user, data={
            "enabled": data["enabled"], "participants": data["participants"], "register_on": data["register_on"],
            "checkin_lists": [int(i) for i in data["checkin_lists"]],
        })
        if data["enabled"]:
            messages.success(request, _("The marketing event is switched on. New and changed orders are sent with "
                                        "it; to include existing orders, export them below."))
        else:
            messages.success(request, _("The marketing event is switched off."))
        return redirect(settings_url(event) + "#hubspot-marketing-event")


class PastCheckinsView(EventPermissionRequiredMixin, View):
    """Queues the check-ins made so far (e.g. before the section was switched on) as attendance."""
    permission = SETTINGS_PERMISSION
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        event = request.event
        if not MarketingEventSettings(event).enabled or EventConnection.objects.for_event(event) is None:
            messages.error(request, _("Please connect the event and switch the marketing event on first."))
            return redirect(settings_url(event) + "#hubspot-marketing-event")
        count = checkins.queue_past_checkins(event)
        checkins.schedule_sending()
        messages.success(request, _("{count} check-ins are queued for HubSpot as attendance.").format(count=count))
        return redirect(settings_url(event) + "#hubspot-marketing-event")
