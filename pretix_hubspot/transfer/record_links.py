"""
Labels of the links to HubSpot records on the order page and in the order history ("Contact #123 – Jane Doe").

pretix stores a link's text with each transferred record (``OrderSyncResult.external_link_display_name``) and hands
it back, with the link, to ``HubSpotSync.get_external_link_info`` whenever a page shows it. So the plugin stores only
what does not depend on the reader's language – the record's name, or its id for a record without one – and builds
the label when the page is rendered, in the reader's language. The record type and id come from the link itself.
"""
import re
from typing import Optional, Tuple

from django.utils.translation import gettext as _

from ..models import HUBSPOT_COMPANIES, HUBSPOT_DEALS, HUBSPOT_LINE_ITEMS, HUBSPOT_OBJECT_TYPE_IDS, HUBSPOT_TICKETS

OBJECT_TYPES_BY_ID = {type_id: object_type for object_type, type_id in HUBSPOT_OBJECT_TYPE_IDS.items()}
RECORD_IN_URL = re.compile(r"/record/(?P<type_id>\d+-\d+)/(?P<record_id>\d+)/?$")
# Labels stored by plugin versions that built them at transfer time, in whichever language: "Contact #1 – Jane".
OLD_LABEL = re.compile(r"^\S+ #(?P<record_id>\d+)(?: – (?P<name>.*))?$", re.S)


# The property HubSpot shows as a record's name, for the types other than contacts
NAME_PROPERTIES = {HUBSPOT_DEALS: "dealname", HUBSPOT_COMPANIES: "name", HUBSPOT_LINE_ITEMS: "name",
                   HUBSPOT_TICKETS: "subject"}


def record_name(object_type, values) -> str:
    """The name a person knows the record by: the deal's, company's, line item's or ticket's name, the contact's name
    or else e-mail address."""
    if object_type in NAME_PROPERTIES:
        return values.get(NAME_PROPERTIES[object_type]) or ""
    return " ".join(v for v in (values.get("firstname"), values.get("lastname")) if v) or values.get("email") or ""


def stored_name(object_type, record_id, values) -> str:
    """What is stored as the link's text: never empty, since pretix shows no link for an empty text."""
    return (record_name(object_type, values) or "#{}".format(record_id))[:255]


def record_label(object_type, record_id, name="") -> str:
    """The label in the current language."""
    if object_type == HUBSPOT_DEALS:
        return (_("Deal #{id} – {name}") if name else _("Deal #{id}")).format(id=record_id, name=name)
    if object_type == HUBSPOT_COMPANIES:
        return (_("Company #{id} – {name}") if name else _("Company #{id}")).format(id=record_id, name=name)
    if object_type == HUBSPOT_LINE_ITEMS:
        return (_("Line item #{id} – {name}") if name else _("Line item #{id}")).format(id=record_id, name=name)
    if object_type == HUBSPOT_TICKETS:
        return (_("Ticket #{id} – {name}") if name else _("Ticket #{id}")).format(id=record_id, name=name)
    return (_("Contact #{id} – {name}") if name else _("Contact #{id}")).format(id=record_id, name=name)


def parse_link(href) -> Optional[Tuple[str, str]]:
    """``(object type, record id)`` of a link into HubSpot built by ``HubSpotConnection.record_url``."""
    match = RECORD_IN_URL.search(href or "")
    if not match or match["type_id"] not in OBJECT_TYPES_BY_ID:
        return None
    return OBJECT_TYPES_BY_ID[match["type_id"]], match["record_id"]


def label_for_link(href, stored) -> str:
    """The link's text in the current language, from the stored name (or an old, fixed label)."""
    parsed = parse_link(href)
    if parsed is None:
        return stored or ""
    object_type, record_id = parsed
    name = stored or ""
    old = OLD_LABEL.match(name)
    if old and old["record_id"] == record_id:
        name = old["name"] or ""
    if name == "#{}".format(record_id):
        name = ""
    return record_label(object_type, record_id, name)
