"""
Creates the identifier property in HubSpot, which the user guide otherwise makes organizers create by hand.

The object mappings use it as the identifier: it has unique values, so HubSpot can find the record a later export has
to update. Most types get ``pretix_order_id``, holding the order code (or ticket id); companies get
``pretix_company_id``, holding the company key from the invoice address (see ``transfer.company_key``), since one
company record stands for the orders of many buyers.
"""
import logging
from dataclasses import dataclass
from enum import Enum

from django.utils.translation import gettext_lazy as _
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate

from ..hubspot_api.client import HubSpotApi
from ..hubspot_api.errors import ReconnectRequired, property_error
from ..models import HUBSPOT_COMPANIES

logger = logging.getLogger(__name__)

GROUP_NAME = "pretix"
GROUP_LABEL = "pretix"


@dataclass(frozen=True)
class IdentifierProperty:
    name: str
    label: str
    description: str


ORDER_ID = IdentifierProperty(
    "pretix_order_id", "pretix-order-id",
    _("Identifies the pretix order (or ticket) this record was exported from."),
)
COMPANY_ID = IdentifierProperty(
    "pretix_company_id", "pretix-company-id",
    _("Identifies the company across pretix orders: the company name of the invoice address (in lower case, without "
      "surrounding punctuation) and its country code, e.g. \"acme gmbh|DE\"."),
)
LABELS = {p.name: p.label for p in (ORDER_ID, COMPANY_ID)}
# Kept for the types that identify their records by the order: the name most code and the guide speak of.
PROPERTY_NAME = ORDER_ID.name
PROPERTY_LABEL = ORDER_ID.label


def property_for(object_type: str) -> IdentifierProperty:
    """The identifier property the plugin creates (and its starter sets use) for ``object_type``."""
    return COMPANY_ID if object_type == HUBSPOT_COMPANIES else ORDER_ID


class Outcome(Enum):
    CREATED = "created"
    EXISTS = "exists"
    EXISTS_NOT_UNIQUE = "exists_not_unique"


def create_identifier_property(connection, object_type: str) -> Outcome:
    """Creates the property (and the "pretix" property group) for ``object_type`` unless it exists already."""
    api = HubSpotApi.for_page(connection)
    identifier = property_for(object_type)
    try:
        properties = api.sdk.crm.properties
        core_api, groups_api = properties.core_api, properties.groups_api
        try:
            existing = api.call(core_api.get_by_name, object_type, identifier.name)
        except Exception as e:
            if _status(e) != 404:
                raise
        else:
            return Outcome.EXISTS if existing.has_unique_value else Outcome.EXISTS_NOT_UNIQUE

        try:
            api.call(groups_api.get_by_name, object_type, GROUP_NAME)
        except Exception as e:
            if _status(e) != 404:
                raise
            api.call(groups_api.create, object_type, PropertyGroupCreate(name=GROUP_NAME, label=GROUP_LABEL))

        try:
            api.call(core_api.create, object_type, PropertyCreate(
                name=identifier.name,
                label=identifier.label,
                type="string",
                field_type="text",
                group_name=GROUP_NAME,
                has_unique_value=True,
                description=str(identifier.description),
            ))
        except Exception as e:
            if _status(e) == 409:  # created by someone else in the meantime
                return Outcome.EXISTS
            raise
        return Outcome.CREATED
    except ReconnectRequired:
        raise
    except Exception as e:
        error = property_error(e, object_type)
        if error is None:
            raise
        # No token or response body goes to the log: only what failed and how.
        logger.warning("HubSpot property request failed: %s %s", type(e).__name__, _status(e) or "")
        raise error from None


def _status(exc):
    """HTTP status of a failed request, from the SDK's exceptions as well as from ``HubSpotApi.call``'s errors."""
    return getattr(exc, "status", None)
