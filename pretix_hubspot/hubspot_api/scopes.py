"""
The HubSpot scopes the plugin asks for. Free of Django imports, so that the HubSpot app project can be generated
from them without a pretix installation (``python -m pretix_hubspot.hubspot_api.app_project``).
"""

# The scopes HubSpot must grant; without them the plugin cannot do its job. The same for an app with static auth:
# "oauth" is what HubSpot's account information API asks for, with any kind of token.
REQUIRED_SCOPES = (
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.schemas.contacts.read",
    "crm.schemas.deals.read",
)
# Only needed to create the pretix-order-id property from the settings page.
PROPERTY_SCOPES = (
    "crm.schemas.contacts.write",
    "crm.schemas.deals.write",
)
# Only needed for mappings onto companies, line items, tickets and custom objects, which not every event uses (a
# connection made before they existed lacks them; the settings page names the type that needs one).
OBJECT_SCOPES = (
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
    "crm.objects.line_items.read",
    "crm.objects.line_items.write",
    "crm.schemas.line_items.read",
    "crm.schemas.line_items.write",
    "crm.objects.tickets.read",
    "crm.objects.tickets.write",
    "crm.schemas.tickets.read",
    "crm.schemas.tickets.write",
    "crm.objects.custom.read",
    "crm.objects.custom.write",
    "crm.schemas.custom.read",
    # the product library: linking pretix products to HubSpot products for line items (product_links.py)
    "crm.objects.products.read",
    "crm.objects.products.write",
)
# Only needed for the "Marketing event" section (marketing_events.py).
MARKETING_EVENT_SCOPES = (
    "crm.objects.marketing_events.read",
    "crm.objects.marketing_events.write",
)
OPTIONAL_SCOPES = PROPERTY_SCOPES + OBJECT_SCOPES + MARKETING_EVENT_SCOPES
# What a mapping onto each object type needs: reading and writing its records and reading its properties.
OBJECT_TYPE_SCOPES = {
    object_type: ("crm.objects.{}.read".format(object_type), "crm.objects.{}.write".format(object_type),
                  "crm.schemas.{}.read".format(object_type))
    for object_type in ("contacts", "companies", "deals", "line_items", "tickets")
}
# What a mapping onto any of the account's custom objects needs (their type ids are the account's, "2-…").
CUSTOM_OBJECT_SCOPES = ("crm.objects.custom.read", "crm.objects.custom.write", "crm.schemas.custom.read")
