"""
Multi-currency: an account has a company currency (``Portal.currency``) and may add more
(``Portal.additional_currencies``). HubSpot's currency properties (``deal_currency_code`` on deals,
``hs_line_item_currency_code`` on line items) are enumerations whose options are exactly the account's currencies,
so a code the account does not have is refused like any other unknown option: 400 VALIDATION_ERROR with
INVALID_OPTION ("XYZ was not one of the allowed options: …").

The account's currencies can be read from ``/account-info/{version}/details`` (``companyCurrency``,
``additionalCurrencies``) and from the multi-currency settings API (scope ``multi-currency-read``):
``GET /settings/currencies/{version}/company-currency`` answers ``{"id": "EUR", "createdAt"}``;
``GET /settings/currencies/{version}/exchange-rates/current`` lists one current rate per additional currency,
``fromCurrencyCode`` the additional currency and ``toCurrencyCode`` the company currency (the direction is the
sandbox's reading of the docs, which show the shape only); the rates are made up (``EXCHANGE_RATES``).
"""
import time

from .routing import route
from .timeutil import iso

CURRENCY_PROPERTIES = (("deals", "deal_currency_code"), ("line_items", "hs_line_item_currency_code"))


def account_currencies(portal):
    return [portal.currency] + [c for c in portal.additional_currencies if c != portal.currency]


def apply(portal):
    """Makes the currency properties' options the account's currencies (company currency first)."""
    for object_type, name in CURRENCY_PROPERTIES:
        prop = portal.properties.get(object_type, {}).get(name)
        if prop is not None:
            prop["options"] = [{"label": code, "value": code, "displayOrder": i, "hidden": False}
                               for i, code in enumerate(account_currencies(portal))]


# Made-up rates into EUR; any other pair is derived from them.
EXCHANGE_RATES = {"EUR": "1", "USD": "0.92", "GBP": "1.17", "CHF": "1.05", "JPY": "0.0061", "SEK": "0.088"}


def _rate(from_code, to_code):
    from decimal import Decimal

    into_eur = Decimal(EXCHANGE_RATES.get(from_code, "1"))
    return float((into_eur / Decimal(EXCHANGE_RATES.get(to_code, "1"))).quantize(Decimal("0.000001")))


@route("/settings/v3/currencies/company-currency", ["GET"])
def company_currency(ctx):
    ctx.require_scopes("multi-currency-read")
    return 200, {"id": ctx.portal.currency, "createdAt": iso(ctx.state.created)}


@route("/settings/v3/currencies/exchange-rates/current", ["GET"])
def current_exchange_rates(ctx):
    ctx.require_scopes("multi-currency-read")
    portal = ctx.portal
    stamp = iso(ctx.state.created)
    return 200, {"results": [
        {"id": str(1000 + i), "fromCurrencyCode": code, "toCurrencyCode": portal.currency,
         "conversionRate": _rate(code, portal.currency), "effectiveAt": stamp, "createdAt": stamp,
         "updatedAt": iso(time.time()), "visibleInUI": True}
        for i, code in enumerate(account_currencies(portal)[1:])
    ]}
