"""
Companies identified by their domain (``Order → Companies`` with HubSpot's ``domain`` as identifier).

HubSpot does not keep ``domain`` unique, so neither a batch read by ``idProperty`` nor an upsert works on it; yet it is
the key HubSpot itself de-duplicates companies by. Such companies are always looked up before anything is written:
first in the plugin's own memory (the results stored for earlier transfers of the event's mapping, which has no
indexing lag), then, for the domains still unknown, with HubSpot's CRM search (one request for up to 100 domains).
Whatever neither finds is created. Domains are compared and sent in one form: ``https://www.Example.org/about`` is
``example.org``.
"""
import re

from ..models import HUBSPOT_COMPANIES
from .batches import as_record, chunks

COMPANY_DOMAIN = "domain"
# HubSpot takes up to 100 values in one IN filter of a search.
SEARCH_VALUES = 100
# A search answers at most 200 records per page; several companies with one domain are rare.
SEARCH_PAGE = 200

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def identifies_by_domain(object_type, property_name):
    return object_type == HUBSPOT_COMPANIES and property_name == COMPANY_DOMAIN


def normalize_domain(value):
    """``https://www.Example.org/about`` → ``example.org``; "" where nothing like a domain is left."""
    text = "" if value is None else str(value).strip().lower()
    text = _SCHEME.sub("", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]  # a login part ("user@") or an e-mail address: only the domain counts
    text = text.split(":", 1)[0].strip(".")
    if text.startswith("www."):
        text = text[len("www."):]
    return text


def search_by_domain(api, domains, properties=()):
    """
    The companies HubSpot's search knows for the domains, as ``{domain: record}``. Where several companies share one
    domain, the oldest (lowest id) is taken, so every run picks the same one. Search is eventually consistent: a
    company written moments ago may be missing (the caller asks its own memory first).
    """
    wanted = list(dict.fromkeys(d for d in (normalize_domain(v) for v in domains) if d))
    props = sorted(set(properties) | {COMPANY_DOMAIN})
    found = {}
    fn = api.sdk.crm.objects.search_api.do_search
    for chunk in chunks(wanted, SEARCH_VALUES):
        after = None
        while True:
            body = {"filterGroups": [{"filters": [{"propertyName": COMPANY_DOMAIN, "operator": "IN",
                                                   "values": chunk}]}],
                    "properties": props, "limit": SEARCH_PAGE}
            if after:
                body["after"] = after
            response = api.call(fn, HUBSPOT_COMPANIES, body)
            for obj in getattr(response, "results", None) or []:
                record = as_record(obj)
                domain = normalize_domain(record["properties"].get(COMPANY_DOMAIN))
                if domain in chunk and (domain not in found or int(record["id"]) < int(found[domain]["id"])):
                    found[domain] = record
            next_page = getattr(getattr(response, "paging", None), "next", None)
            after = getattr(next_page, "after", None)
            if not after:
                break
    return found
