"""What the permissions (OAuth scopes) of a HubSpot connection allow, in words an organizer understands."""
from django.utils.translation import gettext_lazy as _

# (scopes that must all be granted, what they allow); "oauth" only lets the app identify the account.
DESCRIPTIONS = (
    (("crm.objects.contacts.read", "crm.objects.contacts.write"), _("read and change contacts")),
    (("crm.objects.deals.read", "crm.objects.deals.write"), _("read and change deals")),
    (("crm.schemas.contacts.read", "crm.schemas.deals.read"),
     _("read which properties contacts and deals have, and the deal pipelines")),
    (("crm.schemas.contacts.write", "crm.schemas.deals.write"), _("create properties for contacts and deals")),
    (("crm.objects.products.read", "crm.objects.products.write"), _("read and create products of the product library")),
)


def describe(scopes):
    """The sentences for the granted scopes; a scope that is part of no sentence is left to the list of codes."""
    granted = set(scopes or [])
    return [str(text) for needed, text in DESCRIPTIONS if granted.issuperset(needed)]
