"""What a fresh HubSpot account contains: property groups, HubSpot-defined properties and the default deal pipeline."""
from . import standard_objects
from .timeutil import iso

CONTACTS = "contacts"
DEALS = "deals"
OBJECT_TYPES = (CONTACTS, DEALS)
OBJECT_TYPE_IDS = {CONTACTS: "0-1", DEALS: "0-3"}
# Names HubSpot accepts for an object type in a path: plural, singular and the numeric type id.
OBJECT_TYPE_ALIASES = {
    "contacts": CONTACTS, "contact": CONTACTS, "0-1": CONTACTS,
    "deals": DEALS, "deal": DEALS, "0-3": DEALS,
}
# The record id HubSpot hands out first; contacts and deals share one sequence, so ids never collide across types.
FIRST_RECORD_ID = 151

# Association type ids and labels: ``crm_labels``.

# Every scope the registered app may ask for (required or optional); anything else makes the authorize page fail.
KNOWN_SCOPES = (
    "oauth",
    "crm.objects.contacts.read", "crm.objects.contacts.write",
    "crm.objects.deals.read", "crm.objects.deals.write",
    "crm.schemas.contacts.read", "crm.schemas.contacts.write",
    "crm.schemas.deals.read", "crm.schemas.deals.write",
    "crm.objects.marketing_events.read", "crm.objects.marketing_events.write",
)
# What ``issue_tokens`` grants by default: everything the plugin asks for, optional scopes included.
DEFAULT_GRANT = (
    "oauth",
    "crm.objects.contacts.read", "crm.objects.contacts.write",
    "crm.objects.deals.read", "crm.objects.deals.write",
    "crm.schemas.contacts.read", "crm.schemas.contacts.write",
    "crm.schemas.deals.read", "crm.schemas.deals.write",
    "crm.objects.marketing_events.read", "crm.objects.marketing_events.write",
)
SCOPE_DESCRIPTIONS = {
    "oauth": "Basic OAuth access",
    "crm.objects.contacts.read": "View properties and other details about contacts",
    "crm.objects.contacts.write": "View properties and create, delete, or make changes to contacts",
    "crm.objects.deals.read": "View properties and other details about deals",
    "crm.objects.deals.write": "View properties and create, delete, or make changes to deals",
    "crm.schemas.contacts.read": "View details about property settings for contacts",
    "crm.schemas.contacts.write": "Create, delete, or make changes to property settings for contacts",
    "crm.schemas.deals.read": "View details about property settings for deals",
    "crm.schemas.deals.write": "Create, delete, or make changes to property settings for deals",
    "crm.objects.marketing_events.read": "View details about marketing events",
    "crm.objects.marketing_events.write": "Create, delete, or make changes to marketing events",
}

# Properties every get/search returns besides the requested ones, and those returned when none are requested.
ALWAYS_RETURNED = {
    CONTACTS: ("createdate", "hs_object_id", "lastmodifieddate"),
    DEALS: ("createdate", "hs_lastmodifieddate", "hs_object_id"),
}
DEFAULT_RETURNED = {
    CONTACTS: ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    DEALS: ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id",
            "pipeline"),
}
# Properties a free-text ``query`` in search looks at.
QUERY_PROPERTIES = {
    CONTACTS: ("firstname", "lastname", "email", "phone", "company", "hs_additional_emails"),
    DEALS: ("dealname",),
}
LAST_MODIFIED = {CONTACTS: "lastmodifieddate", DEALS: "hs_lastmodifieddate"}

DEFAULT_GROUPS = {
    CONTACTS: (("contactinformation", "Contact information"), ("emailinformation", "Email information"),
               ("conversioninformation", "Conversion information")),
    DEALS: (("dealinformation", "Deal information"), ("deal_activity", "Deal activity")),
}

DEAL_STAGES = (
    # id, label, probability, closed
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
)

LIFECYCLE_STAGES = (
    ("subscriber", "Subscriber"), ("lead", "Lead"), ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"), ("opportunity", "Opportunity"), ("customer", "Customer"),
    ("evangelist", "Evangelist"), ("other", "Other"),
)


def options(pairs):
    return [{"label": label, "value": value, "displayOrder": i, "hidden": False} for i, (value, label) in enumerate(pairs)]


def make_property(name, label, type_, field_type, group, *, opts=None, read_only=False, unique=False,
                  hubspot_defined=True, description="", display_order=-1, created=0.0):
    """A property in the JSON shape of ``GET /crm/v3/properties/{objectType}``."""
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "description": description,
        "groupName": group,
        "options": list(opts or []),
        "displayOrder": display_order,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": bool(unique),
        "hidden": False,
        "hubspotDefined": bool(hubspot_defined),
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": bool(hubspot_defined),
            "readOnlyValue": bool(read_only),
        },
        "formField": not read_only,
        "dataSensitivity": "non_sensitive",
        "createdAt": iso(created),
        "updatedAt": iso(created),
        "archived": False,
    }


def default_properties(object_type, created):
    if object_type in standard_objects.TYPES:
        return standard_objects.default_properties(object_type, created, make_property, options, LIFECYCLE_STAGES,
                                                   DEFAULT_CURRENCIES)

    def p(*args, **kwargs):
        return make_property(*args, created=created, **kwargs)

    if object_type == CONTACTS:
        g = "contactinformation"
        return [
            p("email", "Email", "string", "text", g),
            p("firstname", "First Name", "string", "text", g),
            p("lastname", "Last Name", "string", "text", g),
            p("salutation", "Salutation", "string", "text", g),
            p("company", "Company Name", "string", "text", g),
            p("jobtitle", "Job Title", "string", "text", g),
            p("phone", "Phone Number", "string", "phonenumber", g),
            p("mobilephone", "Mobile Phone Number", "string", "phonenumber", g),
            p("address", "Street Address", "string", "text", g),
            p("city", "City", "string", "text", g),
            p("state", "State/Region", "string", "text", g),
            p("zip", "Postal Code", "string", "text", g),
            p("country", "Country/Region", "string", "text", g),
            p("website", "Website URL", "string", "text", g),
            p("industry", "Industry", "string", "text", g),
            p("message", "Message", "string", "textarea", g),
            p("date_of_birth", "Date of birth", "string", "text", g),
            p("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", g, opts=options(LIFECYCLE_STAGES)),
            p("hs_language", "Preferred language", "enumeration", "select", g,
              opts=options((("en", "English"), ("de", "German"), ("fr", "French"), ("es", "Spanish")))),
            p("hs_email_optout", "Unsubscribed from all email", "bool", "booleancheckbox", "emailinformation",
              opts=options((("true", "Yes"), ("false", "No")))),
            p("hs_additional_emails", "Additional email addresses", "enumeration", "checkbox", g, read_only=True),
            p("hs_object_id", "Record ID", "number", "number", g, read_only=True),
            p("createdate", "Create Date", "datetime", "date", g, read_only=True),
            p("lastmodifieddate", "Last Modified Date", "datetime", "date", g, read_only=True),
            p("first_conversion_date", "First Conversion Date", "datetime", "date", "conversioninformation",
              read_only=True),
        ]
    g = "dealinformation"
    return [
        p("dealname", "Deal Name", "string", "text", g),
        p("amount", "Amount", "number", "number", g),
        p("closedate", "Close Date", "datetime", "date", g),
        p("pipeline", "Pipeline", "enumeration", "select", g, opts=options((("default", "Sales Pipeline"),))),
        p("dealstage", "Deal Stage", "enumeration", "radio", g,
          opts=options([(stage_id, label) for stage_id, label, _, _ in DEAL_STAGES])),
        p("dealtype", "Deal Type", "enumeration", "radio", g,
          opts=options((("newbusiness", "New Business"), ("existingbusiness", "Existing Business")))),
        p("deal_currency_code", "Currency", "enumeration", "select", g,
          opts=options((("EUR", "Euro"), ("USD", "US Dollar"), ("GBP", "British Pound"), ("CHF", "Swiss Franc")))),
        p("description", "Deal Description", "string", "textarea", g),
        p("hs_priority", "Priority", "enumeration", "select", g,
          opts=options((("low", "Low"), ("medium", "Medium"), ("high", "High")))),
        p("hs_object_id", "Record ID", "number", "number", g, read_only=True),
        p("createdate", "Create Date", "datetime", "date", g, read_only=True),
        p("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", g, read_only=True),
        p("hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", "deal_activity", read_only=True,
          opts=options((("true", "True"), ("false", "False")))),
    ]


def default_pipelines(created):
    stamp = iso(created)
    stages = [
        {"id": stage_id, "label": label, "displayOrder": i,
         "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
         "createdAt": stamp, "updatedAt": stamp, "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}
        for i, (stage_id, label, probability, closed) in enumerate(DEAL_STAGES)
    ]
    return {
        DEALS: [{"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "stages": stages,
                 "createdAt": stamp, "updatedAt": stamp, "archived": False}],
        standard_objects.TICKETS: standard_objects.ticket_pipelines(created),
    }


# --- companies, line items, products, tickets (``standard_objects``) and custom objects (``crm_schemas``) -----------
# The currencies a fresh account has: its company currency first, then additional currencies (multi-currency);
# ``crm_currencies`` keeps the currency properties' options in line with an account's own list.
DEFAULT_CURRENCIES = ("EUR", "USD", "GBP", "CHF")
OBJECT_TYPES = OBJECT_TYPES + standard_objects.TYPES
OBJECT_TYPE_IDS.update(standard_objects.TYPE_IDS)
OBJECT_TYPE_ALIASES.update(standard_objects.ALIASES)
ALWAYS_RETURNED.update(standard_objects.ALWAYS_RETURNED)
DEFAULT_RETURNED.update(standard_objects.DEFAULT_RETURNED)
QUERY_PROPERTIES.update(standard_objects.QUERY_PROPERTIES)
LAST_MODIFIED.update(standard_objects.LAST_MODIFIED)
DEFAULT_GROUPS.update(standard_objects.GROUPS)
NEW_SCOPES = (
    "crm.objects.companies.read", "crm.objects.companies.write",
    "crm.schemas.companies.read", "crm.schemas.companies.write",
    "crm.objects.line_items.read", "crm.objects.line_items.write",
    "crm.schemas.line_items.read", "crm.schemas.line_items.write",
    "crm.objects.products.read", "crm.objects.products.write",
    "tickets", "crm.objects.tickets.read", "crm.objects.tickets.write",
    "crm.schemas.tickets.read", "crm.schemas.tickets.write",
    "crm.objects.custom.read", "crm.objects.custom.write",
    "crm.schemas.custom.read", "crm.schemas.custom.write",
    "multi-currency-read",
)
KNOWN_SCOPES = KNOWN_SCOPES + NEW_SCOPES
DEFAULT_GRANT = DEFAULT_GRANT + NEW_SCOPES
for _scope in NEW_SCOPES:
    SCOPE_DESCRIPTIONS.setdefault(_scope, "{} ({})".format(
        "View details" if _scope.endswith(".read") else "Access and make changes", _scope))
# Older app scopes HubSpot still honours next to the granular ones: a request needing the first passes with any.
SCOPE_ALTERNATIVES = {
    "crm.objects.tickets.read": ("tickets",), "crm.objects.tickets.write": ("tickets",),
    "crm.objects.products.read": ("e-commerce",), "crm.objects.products.write": ("e-commerce",),
    "crm.schemas.products.read": ("e-commerce", "crm.objects.products.read"),
    "crm.schemas.products.write": ("e-commerce", "crm.objects.products.write"),
}


def custom_type_defaults(fully_qualified_name, primary_display_property):
    """Registers the read defaults of a custom object type (keyed by its fully qualified name, unique per account)."""
    returned = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
    ALWAYS_RETURNED[fully_qualified_name] = returned
    DEFAULT_RETURNED[fully_qualified_name] = tuple(sorted(set(returned) | {primary_display_property}))
    QUERY_PROPERTIES[fully_qualified_name] = (primary_display_property,)
    LAST_MODIFIED[fully_qualified_name] = "hs_lastmodifieddate"
    CREATED[fully_qualified_name] = "hs_createdate"


# The create-date property of a type (custom objects use ``hs_createdate``).
CREATED = {}
