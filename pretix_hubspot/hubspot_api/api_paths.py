"""
HubSpot's date-versioned API paths: every request the plugin sends goes to ``/{api}/{YYYY-MM}/{resource}``.

Since 30 March 2026 HubSpot's REST APIs carry a release date in the path instead of ``v1``…``v4`` (new versions every
March and September, each supported for at least 18 months); the numbered paths lose support in 2027 (``v4`` on
30 March, ``v1``–``v3`` in September). One version is used for the whole plugin: ``[hubspot] api_version`` in
pretix.cfg (``conf.api_version()``, 2026-09 by default), so an installation can move to the next version in one step
once it has been tried.

The official client (``hubspot-api-client`` 12) only knows the numbered paths. Its typed APIs are still used, with
their request and answer models, retries and timeouts: ``versioned_api_client()`` rewrites each request's path
template to the dated one just before it is sent (the parameters and bodies of the dated endpoints are those of the
numbered ones). ``HubSpot.api_request()`` is not used for these: it sends through ``requests`` without a timeout or
retries. A path this module cannot translate is never sent (``LegacyPathError``).

The paths, as HubSpot's API reference lists them (https://developers.hubspot.com/docs/api-reference/latest/overview,
"version selector"; migration guide: https://developers.hubspot.com/docs/api-reference/legacy/migration-guide):

Records (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/batch/upsert-contacts)
    POST /crm/objects/{version}/{objectType}/batch/read|create|update|upsert
    GET  /crm/objects/{version}/{objectType}/{objectId}
Properties and property groups
(https://developers.hubspot.com/docs/api-reference/latest/crm/properties/property-groups/create-property)
    GET|POST /crm/properties/{version}/{objectType}
    GET      /crm/properties/{version}/{objectType}/{propertyName}
    GET|POST /crm/properties/{version}/{objectType}/groups
    GET      /crm/properties/{version}/{objectType}/groups/{groupName}
Pipelines and stages (https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/guide)
    GET /crm/pipelines/{version}/{objectType}
    GET /crm/pipelines/{version}/{objectType}/{pipelineId}/stages
Associations
(https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associate-records/batch/create-associations)
    POST /crm/associations/{version}/{fromObjectType}/{toObjectType}/batch/associate/default
    POST /crm/associations/{version}/{fromObjectType}/{toObjectType}/batch/create          (labelled)
    GET  /crm/associations/{version}/{fromObjectType}/{toObjectType}/labels                (association labels)
    PUT  /crm/objects/{version}/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}
Custom object schemas (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/schemas/batch/get-schemas)
    GET /crm-object-schemas/{version}/schemas[/{objectType}]
Account information (https://developers.hubspot.com/docs/api-reference/latest/account/account-information/get-account-details)
    GET /account-info/{version}/details
Marketing events (https://developers.hubspot.com/docs/api-reference/latest/marketing/marketing-events/update-marketing-event,
https://developers.hubspot.com/docs/api-reference/latest/marketing/marketing-events/attendance/set-attendance-email-externalId)
    PUT  /marketing/marketing-events/{version}/events/{externalEventId}                      (create or update)
    POST /marketing/marketing-events/{version}/events/{externalEventId}/cancel|complete
    POST /marketing/marketing-events/{version}/attendance/{externalEventId}/{subscriberState}/create|email-create
    GET  /marketing/marketing-events/{version}/participations/{externalAccountId}/{externalEventId}[/breakdown]
    (numbered: ``/marketing/v3/marketing-events/…``; the reference lists 2026-03 and 2026-09 in this form.)
OAuth (``oauth.py``): ``/oauth/2026-03/token``, ``…/token/introspect``, ``…/token/revoke``. The reference lists no
later OAuth version, so these keep their own version and do not follow ``api_version``.

Uncertain: the stored reference pages show the batch, single-record, association and account-info paths with
2026-03 and the pipelines paths with 2026-09; the same ``/{api}/{version}/…`` form is assumed for every version.
The labelled batch create and the labels paths were not shown dated; they are assumed to follow the form of
``batch/associate/default`` (HubSpot's numbered ``/crm/v4/associations/…`` paths map there one to one).
"""
from .. import conf

# Numbered path prefixes of the official client → the dated API they belong to ({version} is filled in).
_PREFIXES = (
    ("/crm/v3/objects/", "/crm/objects/{version}/"),
    ("/crm/v4/objects/", "/crm/objects/{version}/"),
    ("/crm/v3/properties/", "/crm/properties/{version}/"),
    ("/crm/v3/pipelines/", "/crm/pipelines/{version}/"),
    ("/crm/v4/associations/", "/crm/associations/{version}/"),
    ("/crm-object-schemas/v3/", "/crm-object-schemas/{version}/"),
    ("/marketing/v3/marketing-events/", "/marketing/marketing-events/{version}/"),
)


class LegacyPathError(RuntimeError):
    """A request would have gone to a numbered (legacy) path that has no dated equivalent here: a bug, not sent."""


def dated(path: str, version: str = None) -> str:
    """``/crm/v3/objects/{objectType}/batch/read`` → ``/crm/objects/2026-09/{objectType}/batch/read``."""
    version = version or conf.api_version()
    for legacy, replacement in _PREFIXES:
        if path.startswith(legacy):
            return replacement.format(version=version) + path[len(legacy):]
    raise LegacyPathError("No date-versioned HubSpot path is known for {}".format(path))


def account_details_path(version: str = None) -> str:
    return "/account-info/{}/details".format(version or conf.api_version())


def versioned_api_client(api_client, version: str = None):
    """Makes one ``ApiClient`` of the official client send every request to the dated path of its endpoint."""
    version = version or conf.api_version()
    send = api_client.call_api

    def call_api(resource_path, method, *args, **kwargs):
        return send(dated(resource_path, version), method, *args, **kwargs)

    api_client.call_api = call_api
    return api_client
