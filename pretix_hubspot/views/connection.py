from django.views.generic import TemplateView
from pretix.control.permissions import EventPermissionRequiredMixin
from pretix.control.views.event import EventSettingsViewMixin

from ..signals import SETTINGS_PERMISSION


class SettingsView(EventSettingsViewMixin, EventPermissionRequiredMixin, TemplateView):
    permission = SETTINGS_PERMISSION
    template_name = "pretix_hubspot/settings.html"
