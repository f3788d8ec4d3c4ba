"""
Creates the ``pretix_order_id`` property in HubSpot, which the user guide otherwise makes organizers create by hand.

The object mappings use it as the identifier: it holds the order code (or position id) and has unique values, so
HubSpot can find the record a later export has to update.
"""
import logging
from enum import Enum

from django.utils.translation import gettext_lazy as _
from hubspot.crm.properties import ApiException, PropertyCreate, PropertyGroupCreate
from urllib3.exceptions import HTTPError

from . import oauth
from .client import HubSpotApi
from .datasync_api import RecoverableSyncError
from .models import HUBSPOT_OBJECT_TYPES

logger = logging.getLogger(__name__)

PROPERTY_NAME = "pretix_order_id"
PROPERTY_LABEL = "pretix-order-id"
GROUP_NAME = "pretix"
GROUP_LABEL = "pretix"


class Outcome(Enum):
    CREATED = "created"
    EXISTS = "exists"
    EXISTS_NOT_UNIQUE = "exists_not_unique"


def _status(exc):
    """HTTP status of a failed request, from the SDK's exceptions as well as from ``HubSpotApi.call``'s errors."""
    return getattr(exc, "status", None)


class PropertyError(Exception):
    """``str(error)`` is fit to show to the user."""


class MissingScope(PropertyError):
    pass


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
    except oauth.ReconnectRequired:
        raise
    except oauth.OAuthError as e:
        raise PropertyError(str(e))
    except Exception as e:
        status = _status(e)
        if status == 403:
            raise MissingScope(_(
                "HubSpot did not allow creating the property for {object_type}: the optional permission to change "
                "property definitions was not granted when the connection was made. Reconnect and grant it, or "
                "create the property by hand in HubSpot."
            ).format(object_type=dict(HUBSPOT_OBJECT_TYPES).get(object_type, object_type)))
        if isinstance(e, (HTTPError, OSError, RecoverableSyncError)) or (status or 0) >= 500 or status == 429:
            # HubSpotApi.call words these for order transfers ("will be retried"); here a person clicks again.
            logger.warning("HubSpot property request failed: %s %s", type(e).__name__, status or "")
            raise PropertyError(_("HubSpot could not be reached or is busy. Please try again in a few minutes."))
        if isinstance(e, ApiException):
            # The SDK's own exception text carries response headers and body; say it in our words instead.
            logger.warning("HubSpot property request failed with status %s", status)
            raise PropertyError(_("HubSpot answered with error {status}. Please try again later.").format(
                status=status))
        if hasattr(e, "status"):
            # Errors of HubSpotApi.call already say what went wrong in words meant for the organizer.
            raise PropertyError(str(e))
        raise
