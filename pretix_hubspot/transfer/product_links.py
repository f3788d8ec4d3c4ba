"""
Which HubSpot product each pretix product (or one of its variations) is, so that a line item names it.

The organizer links them on the "HubSpot products" page; the links live in the event's settings as
``{"<item id>": "<HubSpot product id>", "<item id>-<variation id>": …}``. A variation without a link of its own
takes its product's. The pretix field "HubSpot product" (``FIELD_KEY``) reads them, so that a property row
"HubSpot product → Product ID (hs_product_id)" of an "Order position → Line items" mapping carries the link into
HubSpot like any other value; a ticket of an unlinked product gives an empty value, and its line item names no product.
"""
from typing import Dict, Optional

from django.utils.translation import gettext_lazy as _
from pretix.base.models import Question

from ..datasync_api import CAT_PRODUCT, ORDER_POSITION, DataFieldInfo

SETTINGS_KEY = "hubspot_product_links"
FIELD_KEY = "hubspot_product_id"
# The line item property that names a product of the account's product library.
PRODUCT_PROPERTY = "hs_product_id"


def link_key(item_id, variation_id=None) -> str:
    return str(item_id) if variation_id is None else "{}-{}".format(item_id, variation_id)


def product_links(event) -> Dict[str, str]:
    links = event.settings.get(SETTINGS_KEY, as_type=dict, default=None) or {}
    return {str(k): str(v) for k, v in links.items() if v}


def save_product_links(event, links: Dict[str, str]):
    links = {k: str(v) for k, v in links.items() if v}
    if links:
        event.settings.set(SETTINGS_KEY, links)
    else:
        event.settings.delete(SETTINGS_KEY)


def product_for(links: Dict[str, str], item_id, variation_id=None) -> Optional[str]:
    if variation_id is not None and links.get(link_key(item_id, variation_id)):
        return links[link_key(item_id, variation_id)]
    return links.get(link_key(item_id)) or None


def translate_links(links: Dict[str, str], item_map, variation_map) -> Dict[str, str]:
    """The links of an event copied from another (pretix's ``event_copy_data`` maps old ids to the new objects)."""
    copied = {}
    for key, product in links.items():
        item_id, __, variation_id = key.partition("-")
        item = item_map.get(int(item_id)) if item_id.isdigit() else None
        if item is None:
            continue
        if variation_id:
            variation = variation_map.get(int(variation_id)) if variation_id.isdigit() else None
            if variation is None:
                continue
            copied[link_key(item.pk, variation.pk)] = product
        else:
            copied[link_key(item.pk)] = product
    return copied


def data_fields(event):
    """The plugin's own pretix fields: the linked HubSpot product of a ticket (read once per call)."""
    links = product_links(event)
    return [
        DataFieldInfo(
            ORDER_POSITION, CAT_PRODUCT, FIELD_KEY, _("HubSpot product"), Question.TYPE_NUMBER, None,
            lambda position: product_for(links, position.item_id, position.variation_id),
        ),
    ]
