"""
The HubSpot app's server-wide configuration on pretix's global settings page (Administration → Global settings).

Values set in pretix.cfg (section ``[hubspot]``) win over these fields; such fields are shown disabled, with a note
saying where the value comes from, so that nobody edits a field that has no effect.
"""
from collections import OrderedDict

from django import forms
from django.utils.translation import gettext_lazy as _
from pretix.base.forms import SecretKeySettingsField

from . import conf
from .hubspot_api import oauth


def fields() -> OrderedDict:
    result = OrderedDict([
        ("hubspot_client_id", forms.CharField(
            label=_("HubSpot app: Client ID"),
            required=False,
            help_text=_("From the HubSpot app's Auth settings. Register this redirect URL in the app: {url}").format(
                url=oauth.redirect_uri()),
        )),
        ("hubspot_client_secret", SecretKeySettingsField(
            label=_("HubSpot app: Client secret"),
            required=False,
        )),
        ("hubspot_api_url", forms.URLField(
            label=_("HubSpot API host"),
            required=False,
            help_text=_("Leave empty for {default}. Also used for the OAuth token endpoints.").format(
                default=conf.DEFAULTS["api_url"]),
        )),
        ("hubspot_auth_url", forms.URLField(
            label=_("HubSpot sign-in host"),
            required=False,
            help_text=_("Where users grant access. Leave empty for {default}.").format(
                default=conf.DEFAULTS["auth_url"]),
        )),
        ("hubspot_timeout", forms.IntegerField(
            label=_("HubSpot request timeout (seconds)"),
            required=False,
            min_value=1,
            max_value=300,
            help_text=_("Leave empty for {default} seconds.").format(default=conf.DEFAULTS["timeout"]),
        )),
        ("hubspot_disable_static_tokens", forms.BooleanField(
            label=_("Do not allow connecting with access tokens of single-account HubSpot apps"),
            required=False,
            help_text=_("Organizers can otherwise enter the static access token of their own HubSpot app in their "
                        "organizer settings, instead of connecting through the HubSpot app above."),
        )),
    ])
    for key, field in result.items():
        if key == "hubspot_disable_static_tokens":
            if conf.is_configured_in_file("allow_static_tokens"):
                field.disabled = True
                field.help_text = _("Set in the server's pretix.cfg (section [hubspot], option {option}); change it "
                                    "there.").format(option="allow_static_tokens")
            continue
        name = key[len("hubspot_"):]
        if conf.is_configured_in_file(name):
            field.disabled = True
            note = _("Set in the server's pretix.cfg (section [hubspot], option {option}); change it there.").format(
                option=name)
            field.help_text = f"{note} {field.help_text}" if field.help_text else note
            if not isinstance(field, SecretKeySettingsField):
                # Shows the value that is in effect; the stored global setting (if any) is ignored.
                field.widget.attrs["placeholder"] = conf.get(name)
    return result
