"""
Companies, line items, products and tickets as a fresh HubSpot account has them: type ids, path names, property
groups, HubSpot-defined properties (names, labels, types and options as HubSpot's object definitions list them), the
properties reads return, and the default ticket pipeline. ``defaults`` registers them next to contacts and deals.
"""
from .timeutil import iso

COMPANIES = "companies"
LINE_ITEMS = "line_items"
PRODUCTS = "products"
TICKETS = "tickets"
TYPES = (COMPANIES, LINE_ITEMS, PRODUCTS, TICKETS)

TYPE_IDS = {COMPANIES: "0-2", PRODUCTS: "0-7", LINE_ITEMS: "0-8", TICKETS: "0-5"}
ALIASES = {
    "companies": COMPANIES, "company": COMPANIES, "0-2": COMPANIES,
    "line_items": LINE_ITEMS, "line_item": LINE_ITEMS, "lineitems": LINE_ITEMS, "lineitem": LINE_ITEMS,
    "0-8": LINE_ITEMS,
    "products": PRODUCTS, "product": PRODUCTS, "0-7": PRODUCTS,
    "tickets": TICKETS, "ticket": TICKETS, "0-5": TICKETS,
}
# "Company already exists …" and the OBJECT_NOT_FOUND messages name the type like this.
LABELS = {COMPANIES: "Company", LINE_ITEMS: "Line item", PRODUCTS: "Product", TICKETS: "Ticket"}
UPPER_NAMES = {COMPANIES: "COMPANY", LINE_ITEMS: "LINE_ITEM", PRODUCTS: "PRODUCT", TICKETS: "TICKET"}
SINGULAR = {COMPANIES: "company", LINE_ITEMS: "line_item", PRODUCTS: "product", TICKETS: "ticket"}

ALWAYS_RETURNED = {
    COMPANIES: ("createdate", "hs_lastmodifieddate", "hs_object_id"),
    LINE_ITEMS: ("createdate", "hs_lastmodifieddate", "hs_object_id"),
    PRODUCTS: ("createdate", "hs_lastmodifieddate", "hs_object_id"),
    TICKETS: ("createdate", "hs_lastmodifieddate", "hs_object_id"),
}
DEFAULT_RETURNED = {
    COMPANIES: ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    LINE_ITEMS: ("amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_product_id", "name", "price",
                 "quantity"),
    PRODUCTS: ("createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"),
    TICKETS: ("content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline", "hs_pipeline_stage",
              "hs_ticket_category", "hs_ticket_priority", "subject"),
}
QUERY_PROPERTIES = {
    COMPANIES: ("name", "domain", "website", "phone"),
    LINE_ITEMS: ("name", "hs_sku"),
    PRODUCTS: ("name", "hs_sku", "description"),
    TICKETS: ("subject", "content"),
}
LAST_MODIFIED = {t: "hs_lastmodifieddate" for t in TYPES}
GROUPS = {
    COMPANIES: (("companyinformation", "Company information"), ("company_activity", "Company activity")),
    LINE_ITEMS: (("lineiteminformation", "Line item information"),),
    PRODUCTS: (("productinformation", "Product information"),),
    TICKETS: (("ticketinformation", "Ticket information"),),
}
# Created with HubSpot's own properties a record needs on creation (HubSpot refuses tickets without them).
REQUIRED_ON_CREATE = {TICKETS: ("hs_pipeline", "hs_pipeline_stage")}

TICKET_STAGES = (
    # id, label, ticket state
    ("1", "New", "OPEN"),
    ("2", "Waiting on contact", "OPEN"),
    ("3", "Waiting on us", "OPEN"),
    ("4", "Closed", "CLOSED"),
)
INDUSTRIES = (
    ("ACCOUNTING", "Accounting"), ("COMPUTER_SOFTWARE", "Computer Software"),
    ("EDUCATION_MANAGEMENT", "Education Management"),
    ("EVENTS_SERVICES", "Events Services"), ("FINANCIAL_SERVICES", "Financial Services"),
    ("HOSPITALITY", "Hospitality"), ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services"),
    ("MARKETING_AND_ADVERTISING", "Marketing and Advertising"),
    ("NONPROFIT_ORGANIZATION_MANAGEMENT", "Non-Profit Organization Management"),
    ("RESEARCH", "Research"),
)


def default_properties(object_type, created, make_property, options, lifecycle_stages, currencies):
    def p(*args, **kwargs):
        return make_property(*args, created=created, **kwargs)

    def system(group):
        return [
            p("hs_object_id", "Record ID", "number", "number", group, read_only=True),
            p("createdate", "Create Date", "datetime", "date", group, read_only=True),
            p("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", group, read_only=True),
        ]

    currency_options = options([(code, code) for code in currencies])
    if object_type == COMPANIES:
        g = "companyinformation"
        return [
            p("name", "Company name", "string", "text", g),
            p("domain", "Company Domain Name", "string", "text", g),
            p("website", "Website URL", "string", "text", g),
            p("phone", "Phone Number", "string", "phonenumber", g),
            p("address", "Street Address", "string", "text", g),
            p("address2", "Street Address 2", "string", "text", g),
            p("city", "City", "string", "text", g),
            p("state", "State/Region", "string", "text", g),
            p("zip", "Postal Code", "string", "text", g),
            p("country", "Country/Region", "string", "text", g),
            p("industry", "Industry", "enumeration", "select", g, opts=options(INDUSTRIES)),
            p("type", "Type", "enumeration", "select", g, opts=options((
                ("PROSPECT", "Prospect"), ("PARTNER", "Partner"), ("RESELLER", "Reseller"), ("VENDOR", "Vendor"),
                ("OTHER", "Other")))),
            p("numberofemployees", "Number of Employees", "number", "number", g),
            p("annualrevenue", "Annual Revenue", "number", "number", g),
            p("description", "Description", "string", "textarea", g),
            p("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", g, opts=options(lifecycle_stages)),
        ] + system(g)
    if object_type == PRODUCTS:
        g = "productinformation"
        return [
            p("name", "Name", "string", "text", g),
            p("description", "Description", "string", "textarea", g),
            p("price", "Unit price", "number", "number", g),
            p("hs_sku", "SKU", "string", "text", g),
            p("hs_cost_of_goods_sold", "Unit cost", "number", "number", g),
            p("hs_product_type", "Product type", "enumeration", "select", g, opts=options((
                ("inventory", "Inventory"), ("non_inventory", "Non-inventory"), ("service", "Service")))),
            p("hs_recurring_billing_period", "Term", "string", "text", g),
            p("hs_url", "URL", "string", "text", g),
        ] + system(g)
    if object_type == LINE_ITEMS:
        g = "lineiteminformation"
        return [
            p("name", "Name", "string", "text", g),
            p("description", "Description", "string", "textarea", g),
            p("hs_product_id", "Product ID", "number", "number", g),
            p("quantity", "Quantity", "number", "number", g),
            p("price", "Unit price", "number", "number", g),
            p("amount", "Net price", "number", "number", g, read_only=True),
            p("discount", "Unit discount", "number", "number", g),
            p("hs_discount_percentage", "Discount Percentage", "number", "number", g),
            p("hs_sku", "SKU", "string", "text", g),
            p("hs_line_item_currency_code", "Currency", "enumeration", "select", g, opts=currency_options),
            p("hs_position_on_quote", "Position on quote", "number", "number", g),
        ] + system(g)
    if object_type == TICKETS:
        g = "ticketinformation"
        return [
            p("subject", "Ticket name", "string", "text", g),
            p("content", "Ticket description", "string", "textarea", g),
            p("hs_pipeline", "Pipeline", "enumeration", "select", g, opts=options((("0", "Support Pipeline"),))),
            p("hs_pipeline_stage", "Ticket status", "enumeration", "radio", g,
              opts=options([(stage_id, label) for stage_id, label, _ in TICKET_STAGES])),
            p("hs_ticket_priority", "Priority", "enumeration", "select", g, opts=options((
                ("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"), ("URGENT", "Urgent")))),
            p("hs_ticket_category", "Category", "enumeration", "checkbox", g, opts=options((
                ("PRODUCT_ISSUE", "Product issue"), ("BILLING_ISSUE", "Billing issue"),
                ("FEATURE_REQUEST", "Feature request"), ("GENERAL_INQUIRY", "General inquiry")))),
            p("source_type", "Source", "enumeration", "select", g, opts=options((
                ("CHAT", "Chat"), ("EMAIL", "Email"), ("FORM", "Form"), ("PHONE", "Phone")))),
        ] + system(g)
    raise KeyError(object_type)


def ticket_pipelines(created):
    stamp = iso(created)
    stages = [
        {"id": stage_id, "label": label, "displayOrder": i, "metadata": {"ticketState": state},
         "createdAt": stamp, "updatedAt": stamp, "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}
        for i, (stage_id, label, state) in enumerate(TICKET_STAGES)
    ]
    return [{"id": "0", "label": "Support Pipeline", "displayOrder": 0, "stages": stages,
             "createdAt": stamp, "updatedAt": stamp, "archived": False}]
