"""
What the connected HubSpot account offers to map onto: the properties of an object type and the deal pipelines.

The mapping editor and the validation on save need this on every page view, and HubSpot asks integrations to cache
such metadata rather than fetch it per request, so answers are kept in Django's cache for a few minutes, keyed by
the HubSpot account (portal). "Refresh" on the editor drops them, e.g. after a property was created in HubSpot.
"""
import logging
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple

import requests
import urllib3
from django.core.cache import cache
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.properties import ApiException as PropertiesApiException

from ..datasync_api import BaseSyncError
from ..models import HUBSPOT_DEALS, HUBSPOT_OBJECT_TYPES, HUBSPOT_TICKETS
from .client import HubSpotApi
from .errors import OAuthError, ReconnectRequired, SchemaUnavailable, schema_unavailable
from .properties import (  # noqa: F401 (the property model, as the editor's modules know it from here)
    TYPE_BOOL, TYPE_DATE, TYPE_DATETIME, TYPE_ENUMERATION, TYPE_NUMBER, TYPE_STRING, HubSpotProperty, read_properties,
)

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
CACHE_VERSION = 2

DEAL_STAGE_PROPERTY = "dealstage"
DEAL_PIPELINE_PROPERTY = "pipeline"
TICKET_STAGE_PROPERTY = "hs_pipeline_stage"
TICKET_PIPELINE_PROPERTY = "hs_pipeline"
# The types whose records live in a pipeline: (pipeline property, stage property). HubSpot needs both for a ticket,
# and a deal without a pipeline lands in the default one.
PIPELINE_PROPERTIES = {
    HUBSPOT_DEALS: (DEAL_PIPELINE_PROPERTY, DEAL_STAGE_PROPERTY),
    HUBSPOT_TICKETS: (TICKET_PIPELINE_PROPERTY, TICKET_STAGE_PROPERTY),
}
STAGE_PROPERTIES = {stage for pipeline, stage in PIPELINE_PROPERTIES.values()}


@dataclass(frozen=True)
class PipelineStage:
    id: str
    label: str
    is_closed: Optional[bool] = None
    probability: Optional[float] = None


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    stages: Tuple[PipelineStage, ...] = ()


@dataclass
class ObjectSchema:
    """Everything the editor needs to know about one HubSpot object type in one account."""

    object_type: str
    properties: Dict[str, HubSpotProperty]
    pipelines: List[Pipeline] = field(default_factory=list)

    def get(self, name) -> Optional[HubSpotProperty]:
        return self.properties.get(name)

    def writable_properties(self) -> List[HubSpotProperty]:
        return sorted(
            (p for p in self.properties.values() if not p.read_only),
            key=lambda p: ((p.label or p.name).lower(), p.name),
        )

    def select2_choices(self) -> List[dict]:
        return [p.as_select2() for p in self.writable_properties()]

    def default_pipeline(self) -> Optional[Pipeline]:
        for p in self.pipelines:
            # deals: "default"; tickets: "0" (HubSpot's "Support Pipeline")
            if p.id in ("default", "0"):
                return p
        return self.pipelines[0] if self.pipelines else None

    def pipeline_of_stage(self, stage_id) -> Optional[Pipeline]:
        for p in self.pipelines:
            if any(s.id == stage_id for s in p.stages):
                return p
        return None


def _cache_key(connection, what):
    return "pretix_hubspot:schema:v{}:{}:{}".format(CACHE_VERSION, connection.portal_id, what)


def _stage_from_sdk(s) -> PipelineStage:
    metadata = s.metadata or {}
    is_closed = metadata.get("isClosed")
    if is_closed is None and metadata.get("ticketState"):
        # ticket stages say "OPEN" or "CLOSED" instead
        is_closed = str(metadata["ticketState"]).upper() == "CLOSED"
    probability = metadata.get("probability")
    try:
        probability = float(probability) if probability not in (None, "") else None
    except (TypeError, ValueError):
        probability = None
    return PipelineStage(
        id=str(s.id), label=s.label or str(s.id),
        is_closed=None if is_closed is None else str(is_closed).lower() == "true",
        probability=probability,
    )


def _pipeline_from_sdk(p) -> Pipeline:
    stages = sorted(p.stages or [], key=lambda s: (s.display_order if s.display_order is not None else 0))
    return Pipeline(id=str(p.id), label=p.label or str(p.id),
                    stages=tuple(_stage_from_sdk(s) for s in stages if not s.archived))


# Everything that means "HubSpot did not answer usefully", as opposed to a bug in this plugin: the SDK's errors,
# network errors, and the errors ``HubSpotApi.call`` and the token refresh translate them into.
_FAILURES = (
    ReconnectRequired, OAuthError, BaseSyncError,
    PropertiesApiException, PipelinesApiException, urllib3.exceptions.HTTPError, requests.RequestException, OSError,
)


def _fetch(connection, object_type, what, loader, fresh=False):
    key = _cache_key(connection, what)
    cached = None if fresh else cache.get(key)
    if cached is not None:
        return cached
    try:
        value = loader(HubSpotApi.for_page(connection))
    except _FAILURES as e:
        # No token or response body goes to the log: only what failed and how.
        logger.warning("Could not load HubSpot %s for portal %s: %s %s", what, connection.portal_id,
                       type(e).__name__, getattr(e, "status", ""))
        raise schema_unavailable(e, object_type)
    cache.set(key, value, CACHE_SECONDS)
    return value


def get_properties(connection, object_type, fresh=False) -> Dict[str, HubSpotProperty]:
    """All properties of ``object_type`` (``contacts``/``deals``) in the account, read-only ones included."""
    return _fetch(connection, object_type, "properties:" + object_type,
                  lambda api: read_properties(api, object_type), fresh)


def cached_properties(connection, object_type) -> Optional[Dict[str, HubSpotProperty]]:
    """What ``get_properties`` read within the last minutes, or None: never asks HubSpot."""
    return cache.get(_cache_key(connection, "properties:" + object_type))


def get_pipelines(connection, object_type, fresh=False) -> List[Pipeline]:
    def load(api):
        response = api.call(api.sdk.crm.pipelines.pipelines_api.get_all, object_type)
        pipelines = sorted(response.results or [], key=lambda p: (p.display_order if p.display_order is not None
                                                                  else 0))
        return [_pipeline_from_sdk(p) for p in pipelines if not p.archived]
    return _fetch(connection, object_type, "pipelines:" + object_type, load, fresh)


def get_custom_object_types(connection, fresh=False) -> List[Tuple[str, str]]:
    """
    The account's custom objects as ``(objectTypeId, plural label)``, e.g. ``("2-123", "Workshops")``. HubSpot offers
    them on Enterprise accounts only, and only with the optional custom-object scopes: otherwise there are none to
    choose, which is no error. A connection whose token renewal failed is not asked (as on the settings page): only
    what was read before is returned.
    """
    if connection.needs_reconnect or connection.last_refresh_error:
        return cache.get(_cache_key(connection, "custom-object-types")) or []

    def load(api):
        response = api.call(api.sdk.crm.schemas.core_api.get_all)
        return [(str(s.object_type_id), (s.labels.plural if s.labels and s.labels.plural else s.name))
                for s in (response.results or []) if not s.archived]
    try:
        return _fetch(connection, "custom objects", "custom-object-types", load, fresh)
    except SchemaUnavailable:
        return []


@dataclass(frozen=True)
class AssociationType:
    """One association type from one object type to another: the unlabelled default (label None) or a label."""
    category: str
    type_id: int
    label: Optional[str]


def get_association_types(connection, from_type, to_type, fresh=False) -> List[AssociationType]:
    """
    HubSpot's association types from ``from_type`` to ``to_type`` (association labels API): the unlabelled one first,
    then HubSpot's labels (the "Primary" company) and the account's own. A pair HubSpot cannot associate has none.
    """
    def load(api):
        response = api.call(api.sdk.crm.associations.v4.schema.definitions_api.get_all, from_type, to_type)
        return [AssociationType(category=str(r.category), type_id=int(r.type_id), label=r.label or None)
                for r in (response.results or [])]
    return _fetch(connection, from_type, "association-types:{}:{}".format(from_type, to_type), load, fresh)


def get_deal_pipelines(connection, fresh=False) -> List[Pipeline]:
    return get_pipelines(connection, HUBSPOT_DEALS, fresh)


def get_schema(connection, object_type, fresh=False) -> ObjectSchema:
    """
    The properties of ``object_type`` and, for deals and tickets, the pipelines. The options of the stage and pipeline
    properties are taken from the pipelines API, which is where the stage ids a record accepts are defined.

    ``fresh`` asks HubSpot even when the cache has an answer (and caches the new one): saving a mapping checks it
    against the account as it is now, e.g. right after a property was created in HubSpot.

    Raises ``SchemaUnavailable`` when HubSpot cannot be asked.
    """
    properties = dict(get_properties(connection, object_type, fresh))
    pipelines = []
    if object_type in PIPELINE_PROPERTIES:
        pipeline_property, stage_property = PIPELINE_PROPERTIES[object_type]
        pipelines = get_pipelines(connection, object_type, fresh)
        several = len(pipelines) > 1
        stage_options = tuple(
            (s.id, "{} – {}".format(p.label, s.label) if several else s.label)
            for p in pipelines for s in p.stages
        )
        if stage_property in properties and stage_options:
            properties[stage_property] = _with_options(properties[stage_property], stage_options)
        if pipeline_property in properties and pipelines:
            properties[pipeline_property] = _with_options(
                properties[pipeline_property], tuple((p.id, p.label) for p in pipelines)
            )
    return ObjectSchema(object_type=object_type, properties=properties, pipelines=pipelines)


def _with_options(prop, options):
    return replace(prop, type=TYPE_ENUMERATION, field_type=prop.field_type or "select", options=options)


def forget(connection):
    """Drops the cached answers for the connection's account, so the next page view asks HubSpot again."""
    keys = [_cache_key(connection, "properties:" + t) for t, label in HUBSPOT_OBJECT_TYPES]
    keys += [_cache_key(connection, "pipelines:" + t) for t in PIPELINE_PROPERTIES]
    custom_types = [t for t, label in (cache.get(_cache_key(connection, "custom-object-types")) or [])]
    keys.append(_cache_key(connection, "custom-object-types"))
    all_types = [t for t, label in HUBSPOT_OBJECT_TYPES] + custom_types
    keys += [_cache_key(connection, "association-types:{}:{}".format(a, b)) for a in all_types for b in all_types]
    cache.delete_many(keys)
