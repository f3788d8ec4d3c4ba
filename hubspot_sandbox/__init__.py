"""
A local HubSpot for tests and demos: a Werkzeug server answering at HubSpot's own paths, with HubSpot's status codes
and body shapes, so that HubSpot's official Python client talks to it unchanged.

- In tests: the ``hubspot_server`` (session) and ``hubspot`` (per test, reset) fixtures in ``pytest_plugin``; the Python
  API is ``sandbox.HubSpotSandbox`` (knobs, inspection, seeding).
- Accounts: the default one (``DEFAULT_PORTAL_ID``) is an Enterprise account, the second one (``SECOND_PORTAL_ID``)
  too; ``set_tier`` makes one Starter or Professional.
- Standalone: ``python -m hubspot_sandbox --port 8765`` prints its URL, client id and secret, and runs until
  Ctrl-C; ``/_sandbox/state|records/<type>|requests|reset|tokens|knobs`` is its JSON control API.

Modules: ``app`` (WSGI app: routing, latency, injected failures, rate limits, auth), ``oauth_endpoints`` and
``oauth_pages`` (authorize screens, token endpoints), ``crm_objects``, ``crm_search``, ``crm_properties``,
``crm_associations``, ``crm_labels`` (association types and labels), ``crm_schemas`` (custom objects),
``crm_pipelines``, ``crm_currencies`` (multi-currency) (the CRM), ``validation`` (property value rules),
``object_rules`` (HubSpot's rules per object type), ``account_rules`` (an account's own write rules, enforced from
2026-09 on), ``state``, ``defaults`` and ``standard_objects`` (what an account holds), ``errors`` (HubSpot's error
bodies).

Where HubSpot's behaviour is uncertain, this is what the sandbox does (documented behaviour where there is any):

OAuth
- Scopes in the authorize URL must be known scopes of the app (required or optional); an unknown scope, a missing
  ``scope``, an unknown client id or (when ``redirect_uris`` is set) an unregistered redirect URL end on an error page
  ("Couldn't complete the connection"), as HubSpot shows one instead of redirecting back.
- The consent screen lists every requested scope as a ticked checkbox; ``consent(grant_scopes=…)`` unticks the
  others, which is how a test makes HubSpot grant less than asked. Granted scopes are added to the app's installation
  in that account.
- PKCE: only ``S256``; a code issued with a challenge needs the matching ``code_verifier`` at either token endpoint.
- Codes are single-use and live ``code_lifetime`` seconds (600). Reusing one is ``invalid_grant`` (tokens already
  issued for it stay valid).
- The token endpoints (``/oauth/v1/token`` and ``/oauth/2026-03/token``) answer the same snake_case body:
  ``token_type, access_token, refresh_token, expires_in (1800), hub_id, scopes``. Errors are 400 with RFC 6749's
  ``error``/``error_description`` next to HubSpot's older ``status``/``message``: BAD_AUTH_CODE, BAD_REDIRECT_URI,
  BAD_CODE_VERIFIER (``invalid_grant``), BAD_CLIENT_ID/BAD_CLIENT_SECRET (``invalid_client``), BAD_GRANT_TYPE, and
  for a bad, revoked or uninstalled refresh token exactly ``{"error": "invalid_grant", "error_description": "refresh
  token is invalid, expired or revoked", "status": "BAD_REFRESH_TOKEN", "message": "missing or invalid refresh token"}``.
- Refresh keeps the refresh token (v1's historical behaviour); ``rotate_refresh_tokens = True`` hands out a new one
  per refresh and invalidates the old, for clients that must store whatever comes back.
- ``/oauth/2026-03/token/introspect`` answers RFC 7662 style (``active``, ``token_type``, ``scope`` as text and
  ``scopes`` as a list, ``hub_id``, ``hub_domain``, ``user``, ``user_id``, ``client_id``, ``app_id``, ``iat``/``exp``);
  unknown, revoked or expired tokens are ``{"active": false}``. ``…/token/revoke`` answers 200 with no body whether
  or not it knew the token (RFC 7009); revoking a refresh token leaves issued access tokens alive until they expire.
- ``GET /oauth/v1/access-tokens/{token}``: 404 for an unknown or revoked token, 401 EXPIRED_AUTHENTICATION for an
  expired one. ``GET|DELETE /oauth/v1/refresh-tokens/{token}``: 404 when unknown or revoked; DELETE answers 204.
- Uninstalling (``uninstall``) kills every token of the account; ``remove_scope`` takes a scope away from the
  installation, which existing tokens feel at once (403 MISSING_SCOPES).
- Tokens start with the data-hosting prefix (``na1-``/``eu1-``, from the account's ``ui_domain``).
- ``/account-info/{version}/details`` (and the numbered ``/account-info/v3/details``) needs the ``oauth`` scope.

API versions
- Every CRM and account-info endpoint answers at HubSpot's date-versioned path (``/crm/objects/2026-09/…``,
  ``/crm/properties/…``, ``/crm/pipelines/…``, ``/crm/associations/…``, ``/account-info/…``) for each version in
  ``api_versions`` (2026-03 and 2026-09), with the same behaviour as at its numbered twin (``/crm/v3/…``,
  ``/crm/v4/…``). Another ``YYYY-MM`` answers 404 (HubSpot's answer here is not documented).
- ``refuse_legacy_paths = True`` answers every numbered path (``/v1/`` … ``/v4/``, OAuth's v1 endpoints included)
  with 404 and an "API version is no longer supported" body, as HubSpot will once it has retired them (the docs only
  say that sunset APIs "return an error"). The pytest fixture ``hubspot`` turns it on, so every test proves that the
  plugin sends nothing there; ``hubspot_sdk`` and the sandbox's own tests of the numbered paths turn it off.
- From 2026-09 on, writes obey the account's rules (``require_property``, ``deny_association_edits``): a missing
  conditionally required property or required create-form field, or an association write by a user without "Edit
  associations", answers 400 VALIDATION_ERROR (documented); ``subCategory`` REQUIRED_PROPERTY_MISSING or
  ASSOCIATION_PERMISSION_DENIED, ``context.propertyName`` and ``context.conditionPropertyName``/``…Value`` are the
  sandbox's choice. A batch fails whole, like other invalid values. Numbered paths and 2026-03 ignore the rules.
- Static access tokens of single-account apps: see ``static_tokens``.

Authentication and limits
- Missing or unknown Bearer token: 401 INVALID_AUTHENTICATION; expired: 401 EXPIRED_AUTHENTICATION ("… expired N
  second(s) ago"); missing scope: 403 MISSING_SCOPES with ``errors[0].context.requiredGranularScopes``.
- Authentication is checked first, then the rate limit, then scopes.
- Rate limit per account: ``rate_limit`` (110) requests per rolling ``rate_interval`` (10 s), OAuth and control
  endpoints not counted. A refused request does not count. Every counted response carries
  ``X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds``; a 429 carries the documented body (policyName
  TEN_SECONDLY_ROLLING) and a ``Retry-After`` (whole seconds until the window has room). With Retry-After present,
  urllib3 inside the official client retries idempotent methods (GET/PUT/DELETE) on its own after sleeping; POST and
  PATCH are not retried.
- Search: ``search_rate_limit`` (5) per second per account, its own 429 (policyName SECONDLY), no rate-limit headers.
- No daily limit (OAuth apps have none).
- Injected 500 and 503 answer HubSpot-style JSON; 502 answers an HTML gateway page (clients must not assume JSON);
  ``"timeout"`` holds the request ``timeout_seconds`` (30) and then answers 504, without writing; ``"lost_response"``
  applies the write and then closes the connection without an answer.

CRM records
- Object types: contacts (0-1), companies (0-2), deals (0-3), tickets (0-5), products (0-7), line items (0-8) and the
  account's custom objects (``crm_schemas``), each with HubSpot's default properties (``defaults``,
  ``standard_objects``), named in paths by plural, singular or type id. Companies have no unique property by default
  (``domain`` is not unique in HubSpot); upserts go by a unique custom property, as for the other types.
- Ids are numeric strings from one sequence shared by every type, so ids never collide across types.
- Contact e-mail addresses are stored in lower case and are unique case-insensitively (409 CONFLICT "Contact already
  exists. Existing ID: N", also when an update would take another contact's address). ``hs_additional_emails`` is
  not consulted.
- Unique-value properties (``hasUniqueValue``): a second record with the same value is refused with 409 CONFLICT
  "<Type> already exists. Existing ID: N" and ``context.propertyName``; HubSpot's exact answer here is not documented.
- Validation errors are 400 VALIDATION_ERROR whose ``message`` embeds the per-property results as JSON (as HubSpot
  does) and whose ``errors[]`` name the property (``code``, ``in``, ``context.propertyName``). Codes:
  PROPERTY_DOESNT_EXIST, READ_ONLY_VALUE (hs_object_id, createdate, last-modified dates …), INVALID_EMAIL,
  INVALID_OPTION (enumerations, each ``;`` value of a checkbox), INVALID_DATE (date not at midnight UTC; unreadable
  datetime), INVALID_INTEGER / INVALID_DECIMAL (INVALID_DECIMAL when the text has a ``.`` or ``,``), INVALID_BOOLEAN,
  LEADING_TRAILING_WHITESPACE (any non-string value, per HubSpot's 2025 change; text values are stored as sent), and
  MAX_LENGTH_EXCEEDED for text over 65,536 characters (the last two codes' names are the sandbox's).
- Stored forms: datetimes as ISO 8601 UTC with milliseconds (``2027-05-01T10:30:00.000Z``), dates as
  ``YYYY-MM-DD``, numbers as sent, ``""`` clears a value (and reads back as ``""``; never-set values read as null).
- Deals get ``pipeline=default`` when none is given; a deal stage is only checked against the stage options.
  Tickets need ``hs_pipeline`` and ``hs_pipeline_stage`` on creation (default pipeline ``0`` "Support Pipeline",
  stages 1–4), a custom object its schema's ``requiredProperties``: 400 VALIDATION_ERROR, code REQUIRED_PROPERTY
  (``object_rules``). A line item with ``hs_product_id`` takes the product's name, price, SKU and description where
  none is given (an unknown product id: 400, code INVALID_PRODUCT_ID); its read-only ``amount`` is quantity ×
  (price − discount).
- Currencies (``crm_currencies``): an account has a company currency and additional currencies (default EUR plus
  USD, GBP, CHF; ``set_currencies``). ``deal_currency_code`` and ``hs_line_item_currency_code`` offer exactly these,
  so another code is 400 VALIDATION_ERROR INVALID_OPTION (HubSpot's currency properties are enumerations of the
  account's currencies). Also served: ``/account-info/…/details`` ``additionalCurrencies`` and the multi-currency
  settings API ``/settings/currencies/{version}/company-currency`` and ``…/exchange-rates/current`` (scope
  ``multi-currency-read``; made-up rates, each additional currency → the company currency).
  ``lifecyclestage`` may move backwards, and a contact needs no e-mail or name (HubSpot's advice, not enforced).
- Reads return the requested properties (null when unset) plus createdate, hs_object_id and the last-modified date;
  without ``properties`` HubSpot's default set. Writes return the written properties plus those three.
- ``idProperty`` lookups accept e-mail (contacts) and unique-value properties; other properties give 400.
- Batches: at most 100 inputs (400 otherwise). Every input is checked before anything is stored. batch/create fails
  whole on the first problem (409 for a duplicate, 400 for invalid values or duplicates within the batch, with
  ``context.inputIndex`` or ``context.objectWriteTraceId``) unless every input has an ``objectWriteTraceId``; then it
  answers 207 with the failed inputs in ``errors[]`` and creates the rest. batch/read and batch/update answer 207 with
  an OBJECT_NOT_FOUND error listing missing ids (``context.ids``) and process the rest; invalid values fail the whole
  batch. batch/update by e-mail is refused (400 "non-unique"); upsert by e-mail or a unique-value property answers 200
  with ``new`` per result, and two inputs meaning the same record fail the whole batch (400 "Duplicate IDs").
- Archiving answers 204 even for unknown ids; an archived contact's e-mail address is free again.

Search
- Writes become visible to search ``search_lag`` seconds later (0 by default); direct reads see them at once.
- EQ/NEQ/IN/NOT_IN compare text case-insensitively, numbers as numbers, dates as instants (epoch ms or ISO);
  NEQ and NOT_IN match records without a value; CONTAINS_TOKEN matches words (and the whole value) with ``*``
  wildcards; ``query`` matches word prefixes of the default searchable properties.
- At most 5 filter groups, 6 filters per group, 18 filters in all, ``limit`` ≤ 200, ``after + limit`` ≤ 10,000;
  unknown filter properties give 400. Default order is by record id.

Properties, pipelines, associations
- Property names: lowercase letter first, then lowercase letters, digits or ``_``, at most 100 characters; the group
  must exist; the field type must suit the type; enumerations need options. ``hasUniqueValue`` can only be set at
  creation (400 on a PATCH that changes it). HubSpot-defined properties cannot be changed or archived.
- Pipelines can be read with the object's read scope or its schema read scope.
- Scopes per type: ``crm.objects.{companies,deals,contacts,line_items,products}.read|write`` and
  ``crm.schemas.….read|write``; tickets accept ``tickets`` or ``crm.objects.tickets.…``, products also
  ``e-commerce``; every custom type needs ``crm.objects.custom.…`` (records) and ``crm.schemas.custom.…`` (schemas).
- Associations: HubSpot's documented type ids (``crm_labels``): contact→company 279 / 1 (Primary), company→contact
  280 / 2, deal→contact 3, contact→deal 4, deal→company 341 / 5 (Primary), company→deal 342 / 6, contact→ticket 15,
  ticket→contact 16, ticket→company 339 / 26, company→ticket 340 / 25, deal→ticket 27, ticket→deal 28, deal→line
  item 19, line item→deal 20; the primary types are labelled "Primary" (HubSpot renamed those labels over time and
  says to rely on type ids). Every association carries its pair's unlabelled type, a labelled one comes on top; the
  inverse is always stored with its own type ids. The default ("associate/default") writes are unlabelled.
- ``GET|POST /crm/associations/{version}/{from}/{to}/labels``: the pair's types (unlabelled first, then HubSpot's,
  then the account's own); custom labels only on Professional and Enterprise accounts (``tier``; otherwise 403
  FORBIDDEN, subCategory ASSOCIATION_LABELS_NOT_AVAILABLE, the sandbox's form), only between contacts, companies,
  deals, tickets and custom objects (400 otherwise), a duplicate ``name`` 409.
- Unknown records: 404 on the single default PUT, 400 on the batch default (it has no multi-status form), 207 on
  batch/create. An unknown type id or one of another pair: 400 VALIDATION_ERROR for the whole batch. A line item
  belongs to one deal: associating it with a second is 400 (single and default batch) or an ``errors[]`` item (207
  on batch/create). ``batch/labels/archive`` takes the named types off (naming the unlabelled type removes the
  association); ``batch/archive`` removes associations. Batch read reports records without associations as errors
  (207), and lists ``associationTypes`` with category, typeId and label.

Custom objects (``crm_schemas``)
- ``GET /crm-object-schemas/{version}/schemas`` and ``…/schemas/{objectType}`` (and ``POST …/schemas``) on
  Enterprise accounts; on Starter and Professional the list is empty, a single schema 404 and a create 403 (the docs
  only say Enterprise is required). Seed types with ``add_custom_object``. Records go through the same object,
  property, search and association endpoints, addressed by ``objectTypeId`` (``2-…``), fully qualified name
  (``p{portalId}_{name}``) or ``p_{name}``; their associations to ``associatedObjects`` have USER_DEFINED unlabelled
  types.
"""
from .sandbox import ConsentError, HubSpotSandbox

__all__ = ["HubSpotSandbox", "ConsentError"]
