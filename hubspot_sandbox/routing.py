"""
The route table: handlers register themselves with ``@route`` and the app builds one Werkzeug ``Map`` from it.

Handlers are registered under HubSpot's numbered (legacy) path, e.g. ``/crm/v3/objects/<type_name>/batch/read``;
every numbered CRM or account-info path is also served at its date-versioned twin
(``/crm/objects/<api_version>/<type_name>/batch/read``, any ``YYYY-MM``; ``app`` checks the version), with the same
handler and behaviour. Numbered paths are marked ``legacy`` so that the sandbox can refuse them
(``HubSpotSandbox.refuse_legacy_paths``).
"""
import re
from dataclasses import dataclass
from typing import Callable

from werkzeug.routing import BaseConverter, Rule


class ApiVersionConverter(BaseConverter):
    """A date version in a path: ``2026-09``."""
    regex = r"\d{4}-\d{2}"


CONVERTERS = {"apiversion": ApiVersionConverter}

# Numbered path prefix → its date-versioned API (the version segment follows the API name).
DATED_PREFIXES = (
    ("/crm/v3/objects/", "/crm/objects/"),
    ("/crm/v4/objects/", "/crm/objects/"),
    ("/crm/v3/properties/", "/crm/properties/"),
    ("/crm/v3/pipelines/", "/crm/pipelines/"),
    ("/crm/v4/associations/", "/crm/associations/"),
    ("/account-info/v3/", "/account-info/"),
    ("/crm-object-schemas/v3/", "/crm-object-schemas/"),
    ("/settings/v3/currencies/", "/settings/currencies/"),
    ("/marketing/v3/marketing-events/", "/marketing/marketing-events/"),
)
LEGACY_PATH_RE = re.compile(r"/v\d+/")


@dataclass
class Endpoint:
    handler: Callable
    # Needs a Bearer token (and counts against the portal's rate limit).
    auth: bool
    # Search has its own rate limit and no rate-limit headers.
    search: bool
    # A numbered path (/v1/ … /v4/), which HubSpot retires in 2027.
    legacy: bool = False


RULES = []
ENDPOINTS = {}


def dated_path(path):
    """The date-versioned twin of a numbered path, with an ``<apiversion:api_version>`` segment, or None."""
    for legacy, api in DATED_PREFIXES:
        if path.startswith(legacy):
            return api + "<apiversion:api_version>/" + path[len(legacy):]
    return None


def route(path, methods, *, auth=True, search=False):
    def register(handler):
        name = f"{handler.__module__}.{handler.__name__}"
        legacy = bool(LEGACY_PATH_RE.search(path))
        RULES.append(Rule(path, endpoint=name, methods=methods))
        ENDPOINTS[name] = Endpoint(handler, auth, search, legacy)
        twin = dated_path(path) if legacy else None
        if twin:
            RULES.append(Rule(twin, endpoint=name + ":dated", methods=methods))
            ENDPOINTS[name + ":dated"] = Endpoint(handler, auth, search, False)
        return handler

    return register
