"""
Multi-currency: an account has a company currency (``Portal.currency``) and may add more
(``Portal.additional_currencies``). HubSpot's currency properties (``deal_currency_code`` on deals,
``hs_line_item_currency_code`` on line items) are enumerations whose options are exactly the account's currencies,
so a code the account does not have is refused like any other unknown option: 400 VALIDATION_ERROR with
INVALID_OPTION ("XYZ was not one of the allowed options: …").
"""
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
