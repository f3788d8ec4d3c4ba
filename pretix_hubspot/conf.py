"""
Server-wide configuration of the HubSpot app: credentials and hosts.

Every value can be set in pretix.cfg (section ``[hubspot]``), which wins, or on the global settings page
(Administration → Global settings → HubSpot), stored as ``hubspot_<name>`` global settings. Hosts are configurable
so that the plugin can talk to HubSpot's EU data centre, a staging system, or the project's local HubSpot sandbox.
"""
import logging
import re

from django.conf import settings
from pretix.base.settings import GlobalSettingsObject

logger = logging.getLogger(__name__)

CONFIG_SECTION = "hubspot"
API_VERSION_RE = re.compile(r"^\d{4}-\d{2}$")

DEFAULTS = {
    "client_id": "",
    "client_secret": "",
    # REST API host (also serves the OAuth token endpoints)
    "api_url": "https://api.hubapi.com",
    # Where the user is sent to grant access (…/oauth/authorize)
    "auth_url": "https://app.hubspot.com",
    # Seconds a single HTTP request to HubSpot may take
    "timeout": "20",
    # HubSpot's date-versioned API release (YYYY-MM) every request goes to; see api_paths.py
    "api_version": "2026-09",
}


def get(name: str) -> str:
    if settings.CONFIG_FILE.has_option(CONFIG_SECTION, name):
        return settings.CONFIG_FILE.get(CONFIG_SECTION, name)
    value = GlobalSettingsObject().settings.get("hubspot_" + name, default=None)
    if value:
        return str(value)
    return DEFAULTS[name]


def is_configured_in_file(name: str) -> bool:
    return settings.CONFIG_FILE.has_option(CONFIG_SECTION, name)


def api_url() -> str:
    return get("api_url").rstrip("/")


def auth_url() -> str:
    return get("auth_url").rstrip("/")


def request_timeout() -> float:
    try:
        return float(get("timeout"))
    except ValueError:
        return float(DEFAULTS["timeout"])


def api_version() -> str:
    """HubSpot's API release for the whole plugin (``[hubspot] api_version=2027-03`` moves every request at once)."""
    value = get("api_version").strip()
    if API_VERSION_RE.match(value):
        return value
    logger.error("Ignoring [hubspot] api_version=%r: HubSpot's API versions look like 2026-09.", value)
    return DEFAULTS["api_version"]


def static_tokens_allowed() -> bool:
    """
    Whether organizers may connect with the static access token of a single-account HubSpot app. On unless the
    administrator switches it off: ``allow_static_tokens=false`` in pretix.cfg, or the global settings page.
    """
    if settings.CONFIG_FILE.has_option(CONFIG_SECTION, "allow_static_tokens"):
        try:
            return settings.CONFIG_FILE.getboolean(CONFIG_SECTION, "allow_static_tokens")
        except ValueError:
            return False  # an unreadable value must not open what the administrator meant to close
    # Stored the other way round, so that an unticked box (the state of a page that never had it) keeps it on.
    return not GlobalSettingsObject().settings.get("hubspot_disable_static_tokens", as_type=bool, default=False)


def app_credentials():
    """Returns ``(client_id, client_secret)``; either may be empty when the administrator has not set them up."""
    return get("client_id"), get("client_secret")
