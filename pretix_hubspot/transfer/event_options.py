"""
The event's transfer options on the HubSpot settings page (stored in the event's settings, not in a model).

Test-mode orders are left out by default: they are made up to try the shop, and their buyers are often real
colleagues' addresses that should not become contacts in the CRM.
"""
INCLUDE_TEST_ORDERS = "hubspot_include_test_orders"


def include_test_orders(event) -> bool:
    return event.settings.get(INCLUDE_TEST_ORDERS, as_type=bool, default=False)


def set_include_test_orders(event, value: bool):
    event.settings.set(INCLUDE_TEST_ORDERS, bool(value))


def transferable(orders, event):
    """The orders of a queryset that the event's options let go to HubSpot."""
    return orders if include_test_orders(event) else orders.filter(testmode=False)
