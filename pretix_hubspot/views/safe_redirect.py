"""
Where a form's ``next`` field may send the user after a click: back to a page below the event's HubSpot settings on
this site, nowhere else. Every view that reads ``next`` goes through here: an open redirect would turn its button into
a phishing helper (a link to pretix that ends on someone else's page).
"""
import posixpath
from urllib.parse import urlsplit

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, fallback: str) -> str:
    """
    The ``next`` of the POSTed form if it is a path on this site below ``fallback`` (e.g. the mapping editor below
    the settings page), else ``fallback``.
    """
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()) and _below(target, fallback):
        return target
    return fallback


def redirect_to_next(request, fallback: str):
    return redirect(next_url(request, fallback))


def _below(target: str, prefix: str) -> bool:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return False
    # "/…/hubspot/../../other/" starts with the prefix, but the browser would resolve it to a page outside.
    normalized = posixpath.normpath(parts.path) + ("/" if parts.path.endswith("/") else "")
    return normalized.startswith(prefix)
