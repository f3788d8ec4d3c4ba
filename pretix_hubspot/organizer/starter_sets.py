"""
Starter sets: the rows an organizer would otherwise type by hand for the common mappings of the guide.

A starter set only pre-fills the editor; nothing is stored until the organizer reviews the rows and saves. Rows
whose HubSpot property the account does not have are left out (the identifier is kept, so the editor can point out
that the identifier property, ``pretix_order_id`` or for companies ``pretix_company_id``, still needs to be created).
"""
import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from pretix.base.models import Order

from ..datasync_api import MODE_OVERWRITE
from ..hubspot_api.schema import (
    DEAL_STAGE_PROPERTY, TICKET_PIPELINE_PROPERTY, TICKET_STAGE_PROPERTY, ObjectSchema, Pipeline,
)
from ..models import (
    HUBSPOT_COMPANIES, HUBSPOT_CONTACTS, HUBSPOT_DEALS, HUBSPOT_LINE_ITEMS, HUBSPOT_TICKETS, PRETIX_ORDER,
    PRETIX_ORDER_POSITION,
)
from ..transfer import company_key
from ..transfer.data_fields import get_data_fields
from ..transfer.product_links import FIELD_KEY, PRODUCT_PROPERTY
from .identifier_property import COMPANY_ID, ORDER_ID

ORDER_ID_PROPERTY = ORDER_ID.name
COMPANY_ID_PROPERTY = COMPANY_ID.name


@dataclass(frozen=True)
class StarterSet:
    identifier: Tuple[str, str]
    # (pretix field, HubSpot property)
    rows: Tuple[Tuple[str, str], ...]


STARTER_SETS: Dict[Tuple[str, str], StarterSet] = {
    (PRETIX_ORDER, HUBSPOT_CONTACTS): StarterSet(
        identifier=("order_code", ORDER_ID_PROPERTY),
        rows=(
            ("email", "email"),
            ("invoice_address_name_given_name", "firstname"),
            ("invoice_address_name_family_name", "lastname"),
            ("invoice_address_company", "company"),
            ("invoice_address_street", "address"),
            ("invoice_address_zipcode", "zip"),
            ("invoice_address_city", "city"),
            ("invoice_address_country", "country"),
        ),
    ),
    # The buyer's company, from the invoice address: its company key (the normalised name and the country, see
    # company_key.py) identifies it in a property with unique values, so that every order naming the same company
    # ends up in one company record, and an order without a company creates none.
    (PRETIX_ORDER, HUBSPOT_COMPANIES): StarterSet(
        identifier=(company_key.FIELD_KEY, COMPANY_ID_PROPERTY),
        rows=(
            ("invoice_address_company", "name"),
            ("invoice_address_street", "address"),
            ("invoice_address_zipcode", "zip"),
            ("invoice_address_city", "city"),
            ("invoice_address_country", "country"),
        ),
    ),
    (PRETIX_ORDER, HUBSPOT_DEALS): StarterSet(
        identifier=("order_code", ORDER_ID_PROPERTY),
        rows=(
            ("event_order_code", "dealname"),
            ("order_total", "amount"),
            ("payment_date", "closedate"),
            ("order_status", DEAL_STAGE_PROPERTY),
        ),
    ),
    # One ticket per order, e.g. for the team that follows up on unpaid orders: its status moves with the order's.
    # HubSpot needs a pipeline and a status for every ticket; both come from the order status through value maps
    # onto the account's default ticket pipeline (see ticket_stage_value_map).
    (PRETIX_ORDER, HUBSPOT_TICKETS): StarterSet(
        identifier=("order_code", ORDER_ID_PROPERTY),
        rows=(
            ("event_order_code", "subject"),
            ("order_status", TICKET_PIPELINE_PROPERTY),
            ("order_status", TICKET_STAGE_PROPERTY),
        ),
    ),
    # Attendees: HubSpot identifies contacts by e-mail, so the attendee's address is the natural identifier.
    (PRETIX_ORDER_POSITION, HUBSPOT_CONTACTS): StarterSet(
        identifier=("attendee_email", "email"),
        rows=(
            ("attendee_name_given_name", "firstname"),
            ("attendee_name_family_name", "lastname"),
            ("attendee_company", "company"),
        ),
    ),
    (PRETIX_ORDER_POSITION, HUBSPOT_DEALS): StarterSet(
        identifier=("ticket_id", ORDER_ID_PROPERTY),
        rows=(
            ("ticket_id", "dealname"),
            ("ticket_price", "amount"),
            ("ticket_status", DEAL_STAGE_PROPERTY),
        ),
    ),
    # One line item per ticket on the order's deal (the quantity is always 1, see sync.LINE_ITEM_QUANTITY).
    (PRETIX_ORDER_POSITION, HUBSPOT_LINE_ITEMS): StarterSet(
        identifier=("ticket_id", ORDER_ID_PROPERTY),
        rows=(
            ("product", "name"),
            ("ticket_price", "price"),
            # the HubSpot product linked to the ticket's product on the "HubSpot products" page (product_links.py)
            (FIELD_KEY, PRODUCT_PROPERTY),
        ),
    ),
}


def get_starter_set(pretix_model, object_type) -> Optional[StarterSet]:
    return STARTER_SETS.get((pretix_model, object_type))


def deal_stage_value_map(pipeline: Optional[Pipeline]) -> Dict[str, str]:
    """
    Order status → stage of the account's default pipeline: paid orders are won deals, canceled and expired ones
    lost, pending ones sit in the pipeline's first stage. Stages are found by HubSpot's own "closed"/"probability"
    metadata, then by the ids of HubSpot's default pipeline.
    """
    if not pipeline or not pipeline.stages:
        return {}
    stages = list(pipeline.stages)
    won = next((s for s in stages if s.is_closed and s.probability == 1.0), None) \
        or next((s for s in stages if s.id == "closedwon"), None) or stages[-1]
    lost = next((s for s in stages if s.is_closed and s.probability == 0.0), None) \
        or next((s for s in stages if s.id == "closedlost"), None) or stages[-1]
    first_open = next((s for s in stages if s not in (won, lost) and not s.is_closed), stages[0])
    return {
        Order.STATUS_PENDING: first_open.id,
        Order.STATUS_PAID: won.id,
        Order.STATUS_EXPIRED: lost.id,
        Order.STATUS_CANCELED: lost.id,
    }


ORDER_STATUSES = (Order.STATUS_PENDING, Order.STATUS_PAID, Order.STATUS_EXPIRED, Order.STATUS_CANCELED)


def ticket_stage_value_map(pipeline: Optional[Pipeline]) -> Dict[str, str]:
    """
    Order status → status of a ticket in the account's default ticket pipeline: a pending order's ticket is open, in
    the pipeline's first stage; once the order is paid, canceled or expired there is nothing left to follow up, and
    its ticket is closed. The closed stage is the one HubSpot marks closed, else the pipeline's last.
    """
    if not pipeline or not pipeline.stages:
        return {}
    stages = list(pipeline.stages)
    closed = next((s for s in stages if s.is_closed), None) or stages[-1]
    first_open = next((s for s in stages if s != closed and not s.is_closed), stages[0])
    return {
        Order.STATUS_PENDING: first_open.id,
        Order.STATUS_PAID: closed.id,
        Order.STATUS_EXPIRED: closed.id,
        Order.STATUS_CANCELED: closed.id,
    }


def ticket_pipeline_value_map(pipeline: Optional[Pipeline]) -> Dict[str, str]:
    """Every order status → the ticket pipeline whose stages ``ticket_stage_value_map`` uses."""
    return {status: pipeline.id for status in ORDER_STATUSES} if pipeline else {}


# A value map built from the account's default pipeline, per HubSpot property a starter set fills.
VALUE_MAP_BUILDERS = {
    DEAL_STAGE_PROPERTY: deal_stage_value_map,
    TICKET_STAGE_PROPERTY: ticket_stage_value_map,
    TICKET_PIPELINE_PROPERTY: ticket_pipeline_value_map,
}


def build_initial(event, pretix_model, object_type, schema: Optional[ObjectSchema]):
    """
    Returns ``(identifier_initial, property_rows)`` for the editor, or None when there is no starter set.
    ``property_rows`` are in the shape ``PropertyMappingFormSet`` takes as ``initial``.
    """
    starter = get_starter_set(pretix_model, object_type)
    if not starter:
        return None
    available = {f.key for f in get_data_fields(event, for_model=pretix_model)}
    identifier = {"pretix_id_field": starter.identifier[0], "external_id_field": starter.identifier[1]}
    rows: List[dict] = []
    for pretix_field, external_field in starter.rows:
        if pretix_field not in available:
            continue
        if schema is not None and external_field not in schema.properties:
            continue
        value_map = ""
        if external_field in VALUE_MAP_BUILDERS and schema is not None:
            mapping = VALUE_MAP_BUILDERS[external_field](schema.default_pipeline())
            value_map = json.dumps(mapping) if mapping else ""
        rows.append({"pretix_field": pretix_field, "external_field": external_field, "value_map": value_map,
                     "overwrite": MODE_OVERWRITE})
    return identifier, rows


# What HubSpot needs before it takes a record of the type at all (see validation.py): the editor of a new mapping starts
# with these rows, so that the guide's steps ("add the date and the amount") end in a mapping that can be saved.
REQUIRED_PROPERTIES = {
    HUBSPOT_DEALS: ("dealname", DEAL_STAGE_PROPERTY),
    HUBSPOT_TICKETS: ("subject", TICKET_PIPELINE_PROPERTY, TICKET_STAGE_PROPERTY),
}


def build_required_rows(event, pretix_model, object_type, schema: Optional[ObjectSchema]) -> List[dict]:
    """The starter set's rows for the properties HubSpot requires, in ``PropertyMappingFormSet``'s initial shape."""
    required = REQUIRED_PROPERTIES.get(object_type)
    initial = build_initial(event, pretix_model, object_type, schema) if required else None
    if not initial:
        return []
    return [row for row in initial[1] if row["external_field"] in required]
