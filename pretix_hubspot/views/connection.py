"""
The HubSpot settings page of an event and everything about its connection: request access, the OAuth return,
reusing an organizer's connection, disconnecting, and creating the identifier property.
"""
import logging
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django_scopes import scope, scopes_disabled
from pretix.base.models import Event
from pretix.control.permissions import EventPermissionRequiredMixin
from pretix.control.views.event import EventSettingsViewMixin
from pretix.helpers.security import (
    Session2FASetupRequired, SessionInvalid, SessionPasswordChangeRequired, SessionReauthRequired, assert_session_valid,
)

from .. import conf, log_actions
from ..hubspot_api import errors, oauth, schema, scope_descriptions, scopes, tokens
from ..hubspot_api.scopes import CUSTOM_OBJECT_SCOPES, OBJECT_TYPE_SCOPES, PROPERTY_SCOPES
from ..models import (
    HUBSPOT_CONTACTS, HUBSPOT_DEALS, HUBSPOT_OBJECT_TYPES, EventConnection, HubSpotConnection, MarketingEventLink,
    PendingAttendance,
)
from ..organizer import connections, export, identifier_property, oauth_state
from ..organizer.forms import MarketingEventForm, object_mapping_formset_for
from ..permissions import SETTINGS_PERMISSION, may_use_organizer_connections
from ..transfer import event_options
from ..transfer.marketing_events import MarketingEventSettings, marketing_event_url
from .organizer import event_page_context
from .safe_redirect import redirect_to_next

logger = logging.getLogger(__name__)

SUCCESS_MESSAGE = _("The HubSpot integration is now active")

STATE_MESSAGES = {
    "missing": _("HubSpot sent you back without the information we need to finish connecting. Please try again."),
    "unknown": _("This link back from HubSpot is not valid (any more): it was already used or belongs to another "
                 "browser session. Please request access again."),
    "expired": _("Connecting to HubSpot took too long. Please request access again."),
    "other_user": _("This link back from HubSpot was started by another user. Please request access again."),
}


def settings_url(event) -> str:
    return reverse("plugins:pretix_hubspot:settings", kwargs={
        "organizer": event.organizer.slug, "event": event.slug,
    })


def missing_credentials() -> list:
    """Names of the app credentials the administrator still has to configure."""
    client_id, client_secret = conf.app_credentials()
    return [name for name, value in (("client_id", client_id), ("client_secret", client_secret)) if not value]


class SettingsView(EventSettingsViewMixin, EventPermissionRequiredMixin, TemplateView):
    """
    The settings page. Shows how to connect, or the connection's status and its sections: the object mappings
    (``fragments/object_mappings.html``; subclasses may add the handling of that form), the export of existing orders
    and the marketing event. Like pretix's own settings views, it builds the context of all of them; the templates
    only render it.
    """
    permission = SETTINGS_PERMISSION
    template_name = "pretix_hubspot/settings.html"

    @cached_property
    def event_connection(self):
        return EventConnection.objects.for_event(
            self.request.event, related=("connected_by", "connection__connected_by"),
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        event_connection = self.event_connection
        connection = event_connection.connection if event_connection else None
        ctx.update({
            "missing_credentials": missing_credentials(),
            "redirect_uri": oauth.redirect_uri(),
            "event_connection": event_connection,
            "connection": connection,
            "reusable_connections": self.reusable_connections(connection),
            "object_types": HUBSPOT_OBJECT_TYPES,
            "include_test_orders": event_options.include_test_orders(self.request.event),
        })
        if connection:
            ctx.update({
                "granted_scopes": sorted(connection.scopes or []),
                "permissions_in_words": scope_descriptions.describe(connection.scopes),
                "identifier_properties": self.identifier_properties(connection),
                "missing_optional_scopes": [s for s in PROPERTY_SCOPES if s not in (connection.scopes or [])],
                "types_lacking_permission": self.types_lacking_permission(connection),
                "token_valid": connection.access_token_valid_for(tokens.REFRESH_MARGIN),
                "other_events_count": connection.event_connections.exclude(event=self.request.event).count(),
                "hubspot_export": export.summary(self.request.event),
                "marketing_event": self.marketing_event_context(connection),
            })
            if "object_mapping_formset" not in ctx:  # else the list that failed to save, with its errors
                ctx["object_mapping_formset"] = object_mapping_formset_for(self.request.event)
        # Connections by access token (the organizer's HubSpot page)
        ctx.update(event_page_context(self.request))
        return ctx

    def marketing_event_context(self, connection):
        """The "Marketing event" section: the organizer's choices, what HubSpot has, what waits to be sent."""
        event = self.request.event
        granted = set(connection.scopes or [])
        links = list(MarketingEventLink.objects.filter(event=event).exclude(object_id="").order_by("pk"))
        for link in links:
            link.url = marketing_event_url(connection, link.object_id)
        kwargs = {"organizer": event.organizer.slug, "event": event.slug}
        return {
            "form": MarketingEventForm(event=event),
            "settings": MarketingEventSettings(event),
            "missing_scopes": [s for s in scopes.MARKETING_EVENT_SCOPES if s not in granted],
            "links": links,
            "pending_checkins": PendingAttendance.objects.filter(event=event, sent__isnull=True).count(),
            "save_url": reverse("plugins:pretix_hubspot:marketing_event", kwargs=kwargs),
            "past_checkins_url": reverse("plugins:pretix_hubspot:marketing_event.past_checkins", kwargs=kwargs),
            "connect_url": reverse("plugins:pretix_hubspot:connect", kwargs=kwargs),
        }

    def types_lacking_permission(self, connection):
        """The object types whose mappings the connection cannot write, e.g. made before the plugin supported them."""
        granted = set(connection.scopes or [])
        lacking = [label for object_type, label in HUBSPOT_OBJECT_TYPES
                   if not set(OBJECT_TYPE_SCOPES.get(object_type, ())) <= granted]
        # Custom objects only where a mapping uses one: accounts below Enterprise have none, and HubSpot does not
        # grant them the optional custom-object scopes.
        standard = [object_type for object_type, label in HUBSPOT_OBJECT_TYPES]
        uses_custom = self.request.event.hubspot_object_mappings.exclude(external_object_type__in=standard).exists()
        if uses_custom and not set(CUSTOM_OBJECT_SCOPES) <= granted:
            lacking.append(_("Custom objects"))
        return lacking

    def identifier_properties(self, connection):
        """
        Per HubSpot object type: whether its identifier property (pretix-order-id, for companies pretix-company-id)
        exists there ("unique", "not_unique", "missing"), or
        "unknown" when HubSpot cannot be asked right now. Uses the editor's field list, kept for a few minutes.

        After a failed renewal HubSpot is not asked: the "Access" line reports that failure, and a page view must not
        hide it by renewing on the side (the next transfer tries again).
        """
        may_ask = not connection.needs_reconnect and not connection.last_refresh_error
        states = []
        # Contacts and deals always (the guide's mappings), other types once a mapping of the event uses them: each
        # type listed costs a request to HubSpot when its fields are not cached.
        used = set(self.request.event.hubspot_object_mappings.values_list("external_object_type", flat=True))
        for object_type, label in HUBSPOT_OBJECT_TYPES:
            if object_type not in (HUBSPOT_CONTACTS, HUBSPOT_DEALS) and object_type not in used:
                continue
            try:
                properties = (schema.get_properties(connection, object_type) if may_ask
                              else schema.cached_properties(connection, object_type))
            except errors.SchemaUnavailable:
                properties = None
            identifier = identifier_property.property_for(object_type)
            prop = (properties or {}).get(identifier.name)
            if properties is None:
                state = "unknown"
            else:
                state = "missing" if prop is None else ("unique" if prop.has_unique_value else "not_unique")
            states.append({"object_type": object_type, "label": label, "state": state, "property": identifier.label})
        return states

    def reusable_connections(self, current):
        """The organizer's other working connections, offered only to those who may hand them to an event."""
        if not may_use_organizer_connections(self.request, self.request.organizer):
            return HubSpotConnection.objects.none()
        connections = HubSpotConnection.objects.filter(
            organizer=self.request.organizer, needs_reconnect=False,
        ).exclude(pk=getattr(current, "pk", None)).order_by("portal_id")
        if not conf.static_tokens_allowed():
            # The administrator switched connecting by access token off.
            connections = connections.exclude(auth_type=HubSpotConnection.AUTH_STATIC)
        return connections


class EventActionView(EventPermissionRequiredMixin, View):
    """A state-changing action on the settings page: POST only, back to the settings page afterwards."""
    permission = SETTINGS_PERMISSION
    http_method_names = ["post"]

    def back(self):
        return redirect(settings_url(self.request.event))


class RequestAccessView(EventActionView):
    """Sends the user to HubSpot to choose an account and grant access."""

    def post(self, request, *args, **kwargs):
        if missing_credentials():
            messages.error(request, _("The HubSpot app is not configured on this server yet. Please ask your "
                                      "administrator to set it up."))
            return self.back()
        pending = oauth_state.begin(request.session, request.event, request.user)
        return redirect(oauth.authorize_url(pending.state, pending.code_challenge))


class UseExistingConnectionView(EventActionView):
    """Connects the event to a HubSpot account the organizer has connected before, without a new consent."""

    def post(self, request, *args, **kwargs):
        if not may_use_organizer_connections(request, request.organizer):
            # Without the organizer's own rights, an event gets HubSpot only through HubSpot's consent screens.
            raise PermissionDenied(_("Only users who may change the organizer's settings can use the organizer's "
                                     "existing HubSpot connection. Please use \"Request access\" instead."))
        try:
            connection_id = int(request.POST.get("connection", ""))
        except ValueError:
            raise Http404()
        connection = get_object_or_404(HubSpotConnection, organizer=request.organizer, pk=connection_id)
        if connection.needs_reconnect:
            messages.error(request, _("HubSpot no longer accepts this connection. Please request access again."))
            return self.back()
        if connection.is_static and not conf.static_tokens_allowed():
            messages.error(request, _("Connecting with an access token has been switched off on this server."))
            return self.back()
        connections.reuse_connection(request.event, request.user, connection)
        messages.success(request, SUCCESS_MESSAGE)
        return self.back()


class TransferOptionsView(EventActionView):
    """The event's transfer options (test-mode orders)."""

    def post(self, request, *args, **kwargs):
        include = request.POST.get("include_test_orders") == "on"
        if include != event_options.include_test_orders(request.event):
            event_options.set_include_test_orders(request.event, include)
            request.event.log_action(log_actions.OPTIONS_CHANGED, user=request.user,
                                     data={"include_test_orders": include})
        messages.success(request, _("Your changes have been saved."))
        return self.back()


class DisconnectView(EventSettingsViewMixin, EventPermissionRequiredMixin, TemplateView):
    """GET asks for confirmation, POST disconnects."""
    permission = SETTINGS_PERMISSION
    template_name = "pretix_hubspot/disconnect.html"

    def dispatch(self, request, *args, **kwargs):
        self.event_connection = EventConnection.objects.for_event(request.event)
        if self.event_connection is None:
            messages.info(request, _("This event is not connected to HubSpot."))
            return redirect(settings_url(request.event))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        connection = self.event_connection.connection
        ctx["connection"] = connection
        ctx["other_events_count"] = connection.event_connections.exclude(event=self.request.event).count()
        return ctx

    def post(self, request, *args, **kwargs):
        result = connections.disconnect_event(request.event, request.user)
        messages.success(request, _("This event is no longer connected to HubSpot. Orders will not be exported "
                                    "any more."))
        if result.still_used_by:
            messages.info(request, _("The connection to the HubSpot account stays in place for the other events of "
                                     "your organizer that use it."))
        elif result.revoke_failed:
            messages.warning(request, _("The access data has been deleted here, but HubSpot could not be told to "
                                        "revoke it. To be sure, uninstall the app in your HubSpot account."))
        return redirect(settings_url(request.event))


class IdentifierPropertyCreateView(EventActionView):
    """Creates the identifier property (see ``identifier_property.property_for``) of an object type in HubSpot."""

    def back(self):
        # The mapping editor offers this button too: back there.
        return redirect_to_next(self.request, settings_url(self.request.event))

    def post(self, request, *args, **kwargs):
        object_type = request.POST.get("object_type")
        labels = dict(HUBSPOT_OBJECT_TYPES)
        if object_type not in labels:
            messages.error(request, _("Please choose the HubSpot object type to create the property for."))
            return self.back()
        connection = EventConnection.objects.connection_for(request.event)
        if connection is None:
            messages.error(request, _("Please connect this event to HubSpot first."))
            return self.back()
        try:
            outcome = identifier_property.create_identifier_property(connection, object_type)
        except errors.ReconnectRequired as e:
            messages.error(request, str(e))
            return self.back()
        except errors.PropertyError as e:
            messages.error(request, str(e))
            return self.back()

        identifier = identifier_property.property_for(object_type)
        texts = {"property": identifier.label, "object_type": labels[object_type]}
        if outcome == identifier_property.Outcome.CREATED:
            schema.forget(connection)  # the editor's cached field list does not know the new property yet
            request.event.log_action(log_actions.IDENTIFIER_PROPERTY_CREATED, user=request.user, data={
                "portal_id": connection.portal_id, "object_type": object_type,
                "property": identifier.name,
            })
            messages.success(request, _('The property "{property}" has been created in HubSpot for {object_type}.')
                             .format(**texts))
        elif outcome == identifier_property.Outcome.EXISTS:
            messages.info(request, _('The property "{property}" already exists in HubSpot for {object_type}.')
                          .format(**texts))
        else:
            messages.warning(request, _(
                'A property "{property}" already exists in HubSpot for {object_type}, but it does not require '
                'unique values. HubSpot only accepts properties with unique values as identifiers; please create '
                'another property with unique values in HubSpot.'
            ).format(**texts))
        return self.back()


def _event_if_allowed(request, event_id):
    """The event the OAuth attempt was started for, if the current user may still change its settings."""
    if not event_id:
        return None
    # The event is only known by id here (the return URL is global, outside any organizer); the permission check
    # right after is what decides whether the user gets to touch it.
    with scopes_disabled():
        event = Event.objects.filter(pk=event_id).select_related("organizer").first()
    if event is None:
        return None
    if not request.user.has_event_permission(event.organizer, event, SETTINGS_PERMISSION, request=request):
        return None
    return event


def _control_session_check(request):
    """
    The checks pretix's ``PermissionMiddleware`` makes for every /control/ page, which this global URL is not part
    of: session timeouts, a forced password change, obligatory two-factor authentication. Returns where to send the
    user instead, or None. They run before the OAuth state is used up, so that after re-authenticating the user comes
    back here (``next``) and connecting goes on.
    """
    try:
        assert_session_valid(request)
    except SessionInvalid:
        logout(request)
        return redirect_to_login(request.get_full_path(), reverse("control:auth.login"))
    except SessionReauthRequired:
        return redirect(reverse("control:user.reauth") + "?next=" + quote(request.get_full_path()))
    except SessionPasswordChangeRequired:
        return redirect(reverse("control:user.settings.password.change") + "?next=" + quote(request.get_full_path()))
    except Session2FASetupRequired:
        return redirect(reverse("control:user.settings.2fa"))
    return None


def oauth_return(request, *args, **kwargs):
    """
    Where HubSpot sends the user back to (one global URL for all events). The state tells which event and user the
    attempt belongs to; the user's login and permission are checked again, since this URL is outside the control
    panel's own checks.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("control:auth.login"))
    blocked = _control_session_check(request)
    if blocked is not None:
        return blocked

    try:
        pending = oauth_state.consume(request.session, request.GET.get("state", ""), request.user)
    except oauth_state.StateInvalid as e:
        messages.error(request, STATE_MESSAGES[e.reason])
        event = _event_if_allowed(request, e.event_id)
        return redirect(settings_url(event) if event else reverse("control:index"))

    event = _event_if_allowed(request, pending.event_id)
    if event is None:
        raise PermissionDenied(_("You do not have permission to change the settings of this event."))

    with scope(organizer=event.organizer):
        if request.GET.get("error"):
            if request.GET.get("error") == "access_denied":
                messages.error(request, _("You did not grant pretix access to HubSpot, so the event has not been "
                                          "connected."))
            else:
                messages.error(request, _("HubSpot did not grant access, so the event has not been connected."))
            return redirect(settings_url(event))
        if not request.GET.get("code"):
            messages.error(request, STATE_MESSAGES["missing"])
            return redirect(settings_url(event))

        try:
            connections.complete_consent(event, request.user, request.GET["code"],
                                         oauth.Secret(pending.code_verifier))
        except errors.GrantRejected:
            messages.error(request, _("HubSpot did not accept the authorization (it may have expired or been used "
                                      "already). Please request access again."))
            return redirect(settings_url(event))
        except errors.OAuthError as e:
            messages.error(request, _("Connecting to HubSpot failed: {reason}").format(reason=e))
            return redirect(settings_url(event))
        except errors.RequiredScopesMissing as e:
            messages.error(request, _("HubSpot did not grant all permissions the integration needs ({scopes}). "
                                      "Please request access again and grant all of them.").format(
                scopes=", ".join(e.scopes)))
            return redirect(settings_url(event))
    messages.success(request, SUCCESS_MESSAGE)
    return redirect(settings_url(event))
