"""
The HubSpot scopes the plugin asks for. Free of Django imports, so that the HubSpot app project can be generated
from them without a pretix installation (``python -m pretix_hubspot.hubspot_app``).
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
# Only needed for the "Marketing event" section (marketing_events.py).
MARKETING_EVENT_SCOPES = (
    "crm.objects.marketing_events.read",
    "crm.objects.marketing_events.write",
)
OPTIONAL_SCOPES = PROPERTY_SCOPES + MARKETING_EVENT_SCOPES
