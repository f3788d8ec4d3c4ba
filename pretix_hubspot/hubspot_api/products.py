"""
The product library of the connected HubSpot account: reading it for the "HubSpot products" page, and creating
products there for pretix products that have none (name and price of the pretix product).

Products need the optional scopes ``crm.objects.products.read``/``.write``; a connection made before the plugin
asked for them has to be renewed ("Reconnect to HubSpot") first.
"""
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, List, Tuple

import requests
import urllib3
from django.utils.translation import gettext_lazy as _
from hubspot.crm.products import ApiException as ProductsApiException

from ..datasync_api import BaseSyncError, SyncConfigError
from .client import HubSpotApi
from .errors import OAuthError, ReconnectRequired

logger = logging.getLogger(__name__)

READ_SCOPE = "crm.objects.products.read"
WRITE_SCOPE = "crm.objects.products.write"
PAGE_SIZE = 100
# A page lists at most this many products (HubSpot pages by 100: ten requests at most).
MAX_PRODUCTS = 1000
PROPERTIES = ["name", "price", "hs_sku"]

_FAILURES = (ReconnectRequired, OAuthError, BaseSyncError, ProductsApiException, urllib3.exceptions.HTTPError,
             requests.RequestException, OSError)


@dataclass(frozen=True)
class HubSpotProduct:
    id: str
    name: str
    price: str = ""
    sku: str = ""

    @property
    def label(self) -> str:
        details = ", ".join(x for x in (self.sku, self.price) if x)
        return "{} ({})".format(self.name or self.id, details) if details else (self.name or self.id)


class ProductsUnavailable(Exception):
    """HubSpot could not list or create products; ``message`` says why, in words for the organizer."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def may_read(connection) -> bool:
    return READ_SCOPE in (connection.scopes or [])


def may_write(connection) -> bool:
    return WRITE_SCOPE in (connection.scopes or [])


def _describe_failure(exc):
    status = getattr(exc, "status", None)
    if isinstance(exc, (ReconnectRequired, SyncConfigError)) and status in (None, 401):
        return _("HubSpot no longer accepts this connection. Please reconnect to HubSpot on the settings page.")
    if status == 403:
        return _("The HubSpot connection may not use the account's products. Please reconnect to HubSpot and grant "
                 "the permission for products.")
    if status == 429:
        return _("HubSpot is receiving too many requests right now. Please try again in a minute.")
    return _("HubSpot could not be reached. Please try again in a few minutes.")


def _product(obj) -> HubSpotProduct:
    props = obj.properties or {}
    return HubSpotProduct(id=str(obj.id), name=props.get("name") or "", price=props.get("price") or "",
                          sku=props.get("hs_sku") or "")


def list_products(connection) -> List[HubSpotProduct]:
    """The account's products (not archived), by name. Raises ``ProductsUnavailable``."""
    api = HubSpotApi.for_page(connection)
    products, after = [], None
    try:
        while len(products) < MAX_PRODUCTS:
            kwargs = {"limit": PAGE_SIZE, "properties": PROPERTIES, "archived": False}
            if after:
                kwargs["after"] = after
            page = api.call(api.sdk.crm.products.basic_api.get_page, **kwargs)
            products += [_product(obj) for obj in (page.results or [])]
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                break
    except _FAILURES as e:
        logger.warning("Could not list the HubSpot products of portal %s: %s %s", connection.portal_id,
                       type(e).__name__, getattr(e, "status", ""))
        raise ProductsUnavailable(_describe_failure(e))
    return sorted(products, key=lambda p: (p.name.lower(), p.id))


def _match(chunk, results) -> Dict[str, str]:
    """Which created product belongs to which input: by name (HubSpot does not promise the input order)."""
    waiting = {}
    for key, name, price in chunk:
        waiting.setdefault(name, []).append(key)
    matched = {}
    for obj in results:
        keys = waiting.get((obj.properties or {}).get("name") or "")
        if keys:
            matched[keys.pop(0)] = str(obj.id)
    return matched


def create_products(connection, wanted: List[Tuple[str, str, Decimal]]) -> Dict[str, str]:
    """
    Creates one product per ``(key, name, price)`` in one batch request (per 100) and returns ``{key: product id}``.
    Sent without automatic resending: a create HubSpot received but did not answer must not make two products.
    """
    api = HubSpotApi.for_page(connection)
    created = {}
    try:
        for start in range(0, len(wanted), PAGE_SIZE):
            chunk = wanted[start:start + PAGE_SIZE]
            body = {"inputs": [{"properties": {"name": name, "price": format(price, "f")}} for key, name, price
                               in chunk]}
            response = api.call(api.sdk_no_resend.crm.products.batch_api.create, body)
            created.update(_match(chunk, response.results or []))
    except _FAILURES as e:
        logger.warning("Could not create HubSpot products in portal %s: %s %s", connection.portal_id,
                       type(e).__name__, getattr(e, "status", ""))
        if created:
            return created
        raise ProductsUnavailable(_describe_failure(e))
    return created
