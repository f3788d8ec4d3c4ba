"""
The organizer's HubSpot page: connecting the organizer to a HubSpot account by the static access token of a
single-account app, which every event of the organizer can then use. Needs the organizer-level settings permission.
"""
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _, ngettext
from django.views import View
from django.views.generic import FormView
from pretix.control.permissions import OrganizerPermissionRequiredMixin
from pretix.control.views.organizer import OrganizerDetailViewMixin

from .. import conf
from ..hubspot_api import scopes
from ..models import HubSpotConnection
from ..organizer import static_tokens
from ..permissions import ORGANIZER_SETTINGS_PERMISSION


def organizer_settings_url(organizer) -> str:
    return reverse("plugins:pretix_hubspot:organizer.settings", kwargs={"organizer": organizer.slug})


def event_page_context(request) -> dict:
    """
    What the event's HubSpot page needs about connections by access token: whether the server allows them, and a
    link to this page for users who may enter a token.
    """
    may_enter = request.user.has_organizer_permission(request.organizer, ORGANIZER_SETTINGS_PERMISSION,
                                                      request=request)
    return {
        "static_tokens_allowed": conf.static_tokens_allowed(),
        "organizer_hubspot_url": organizer_settings_url(request.organizer) if may_enter else "",
    }


class StaticTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Access token"),
        max_length=1000,
        # Never rendered back, not even after a failed check: the page must not carry the token.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("From your HubSpot app: Development → Projects → your project → the app → Distribution (after "
                    "installing it in your account)."),
    )


class OrganizerSettingsView(OrganizerDetailViewMixin, OrganizerPermissionRequiredMixin, FormView):
    permission = ORGANIZER_SETTINGS_PERMISSION
    template_name = "pretix_hubspot/organizer_settings.html"
    form_class = StaticTokenForm

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["static_tokens_allowed"] = conf.static_tokens_allowed()
        ctx["token_connections"] = HubSpotConnection.objects.filter(
            organizer=self.request.organizer, auth_type=HubSpotConnection.AUTH_STATIC,
        ).select_related("connected_by").prefetch_related("event_connections__event").order_by("portal_id")
        ctx["required_scopes"] = scopes.REQUIRED_SCOPES
        ctx["optional_scopes"] = scopes.OPTIONAL_SCOPES
        return ctx

    def form_valid(self, form):
        try:
            result = static_tokens.save_token(self.request.organizer, self.request.user, form.cleaned_data["token"])
        except static_tokens.TokenCheckError as e:
            form.add_error("token", str(e))
            return self.form_invalid(form)
        if result.created:
            messages.success(self.request, _("The access token has been saved. The events of this organizer can now "
                                             "be connected to HubSpot account {portal_id} on their HubSpot page.")
                             .format(portal_id=result.connection.portal_id))
        else:
            messages.success(self.request, _("The access token for HubSpot account {portal_id} has been replaced. "
                                             "Events using it continue with the new token.")
                             .format(portal_id=result.connection.portal_id))
        return redirect(organizer_settings_url(self.request.organizer))


class RemoveTokenView(OrganizerPermissionRequiredMixin, View):
    permission = ORGANIZER_SETTINGS_PERMISSION
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        connection = get_object_or_404(HubSpotConnection, organizer=request.organizer, pk=kwargs["connection"],
                                       auth_type=HubSpotConnection.AUTH_STATIC)
        portal_id = connection.portal_id
        disconnected = static_tokens.remove_token(connection, request.user)
        messages.success(request, _("The access token for HubSpot account {portal_id} has been removed.").format(
            portal_id=portal_id))
        if disconnected:
            messages.info(request, ngettext("{count} event was disconnected from it.",
                                            "{count} events were disconnected from it.", disconnected).format(
                count=disconnected))
        return redirect(organizer_settings_url(request.organizer))
