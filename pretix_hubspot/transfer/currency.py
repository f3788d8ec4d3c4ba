"""
Money keeps its currency: deals and line items carry the event's currency in HubSpot's currency code property.

A bare amount lands in the account's company currency, so a USD event's deals would show up as EUR in a EUR account.
HubSpot's currency code properties are enumerations of the account's currencies (the company currency and the
additional ones of its multi-currency settings): where the event's currency is not among them, nothing is written,
and the organizer is told at save time (validation) and with the transfer (sync) what to do.
"""
from typing import Iterable, Optional

from django.utils.translation import gettext_lazy as _

from ..models import HUBSPOT_DEALS, HUBSPOT_LINE_ITEMS

CURRENCY_PROPERTIES = {HUBSPOT_DEALS: "deal_currency_code", HUBSPOT_LINE_ITEMS: "hs_line_item_currency_code"}
# A deal carries money only where its amount is written; a line item always has a price (its own, or its product's).
AMOUNT_PROPERTIES = {HUBSPOT_DEALS: ("amount",)}


def currency_property(object_type, mapped_properties: Iterable[str]) -> Optional[str]:
    """
    The property that gets the event's currency for a mapping onto ``object_type`` writing ``mapped_properties``, or
    None: for other types, deals without an amount, and where a row of the mapping fills the property itself.
    """
    name = CURRENCY_PROPERTIES.get(object_type)
    mapped = set(mapped_properties)
    if name is None or name in mapped:
        return None
    amounts = AMOUNT_PROPERTIES.get(object_type)
    if amounts is not None and not mapped & set(amounts):
        return None
    return name


def currency_missing(currency, options) -> bool:
    """Whether the account lacks ``currency`` among the currency property's options (no options: not checkable)."""
    return bool(options) and currency not in options


def missing_currency_message(currency):
    return _("Your HubSpot account has no currency “{currency}”, the currency of this event, so the amounts would be "
             "recorded in a wrong currency. Add {currency} to the account's currencies in HubSpot (Settings → Account "
             "management → Currencies); until then, this mapping transfers no orders.").format(currency=currency)
