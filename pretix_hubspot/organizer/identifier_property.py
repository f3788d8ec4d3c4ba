"""
Creates the ``pretix_order_id`` property in HubSpot, which the user guide otherwise makes organizers create by hand.

The object mappings use it as the identifier: it holds the order code (or position id) and has unique values, so
HubSpot can find the record a later export has to update.
"""
import logging
from enum import Enum

from django.utils.translation import gettext_lazy as _
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate

from ..hubspot_api.client import HubSpotApi
from ..hubspot_api.errors import ReconnectRequired, property_error

logger = logging.getLogger(__name__)

PROPERTY_NAME = "pretix_order_id"
PROPERTY_LABEL = "pretix-order-id"
GROUP_NAME = "pretix"
GROUP_LABEL = "pretix"


class Outcome(Enum):
    CREATED = "created"
    EXISTS = "exists"
    EXISTS_NOT_UNIQUE = "exists_not_unique"


def create_identifier_property(connection, object_type: str) -> Outcome:
    """Creates the property (and the "pretix" property group) for ``object_type`` unless it exists already."""
    api = HubSpotApi.for_page(connection)
    try:
        properties = api.sdk.crm.properties
        core_api, groups_api = properties.core_api, properties.groups_api
        try:
            existing = api.call(core_api.get_by_name, object_type, PROPERTY_NAME)
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
                name=PROPERTY_NAME,
                label=PROPERTY_LABEL,
                type="string",
                field_type="text",
                group_name=GROUP_NAME,
                has_unique_value=True,
                description=str(_("Identifies the pretix order (or ticket) this record was exported from.")),
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
