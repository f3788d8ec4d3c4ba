"""The route table: handlers register themselves with ``@route`` and the app builds one Werkzeug ``Map`` from it."""
from dataclasses import dataclass
from typing import Callable

from werkzeug.routing import Rule


@dataclass
class Endpoint:
    handler: Callable
    # Needs a Bearer token (and counts against the portal's rate limit).
    auth: bool
    # Search has its own rate limit and no rate-limit headers.
    search: bool


RULES = []
ENDPOINTS = {}


def route(path, methods, *, auth=True, search=False):
    def register(handler):
        name = f"{handler.__module__}.{handler.__name__}"
        RULES.append(Rule(path, endpoint=name, methods=methods))
        ENDPOINTS[name] = Endpoint(handler, auth, search)
        return handler

    return register
