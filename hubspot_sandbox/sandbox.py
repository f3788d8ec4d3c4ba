"""``HubSpotSandbox``: the local HubSpot as a Python object (start/stop, knobs, inspection, seeding)."""
import random
import re
import secrets
import threading
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server

from . import defaults
from .state import AuthCode, SandboxState

FAILURE_KINDS = (500, 502, 503, 429, "timeout", "lost_response")


class ConsentError(Exception):
    """The authorize screens ended on an error page instead of redirecting back (bad client id, redirect URL …)."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


class HubSpotSandbox:
    DEFAULT_CLIENT_ID = "5f3b7c1e-2a4d-4e8f-9b6a-0c1d2e3f4a5b"
    DEFAULT_CLIENT_SECRET = "0d9c8b7a-6f5e-4d3c-2b1a-sandbox-secret"
    APP_ID = 1234567
    DEFAULT_PORTAL_ID = 12345678
    SECOND_PORTAL_ID = 87654321

    def __init__(self, host="127.0.0.1", port=0, client_id=None, client_secret=None, seed=0, quiet=True):
        self.quiet = quiet
        self.host = host
        self.port = port
        self.client_id = client_id or self.DEFAULT_CLIENT_ID
        self.client_secret = client_secret or self.DEFAULT_CLIENT_SECRET
        self.app_id = self.APP_ID
        self.default_portal_id = self.DEFAULT_PORTAL_ID
        self.seed = seed
        self.lock = threading.RLock()
        self._release = threading.Event()
        self._server = None
        self._thread = None
        self.url = None
        self.reset()

    # --- lifecycle ------------------------------------------------------------------------------------------------
    def start(self):
        from .app import SandboxApp

        handler = _QuietRequestHandler if self.quiet else WSGIRequestHandler
        self._server = make_server(self.host, self.port, SandboxApp(self), threaded=True, request_handler=handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="hubspot-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        """Forget everything: accounts back to their defaults, no tokens, no log, every knob at its default."""
        with self.lock:
            # Requests still held by a "timeout" failure are let go (they answer 504).
            self._release.set()
            self._release = threading.Event()
            self.state = SandboxState()
            self.state.create_portal(self.DEFAULT_PORTAL_ID, hub_domain="techevents-crm.example.com",
                                     user_email="organizer@techevents.example", name="Tech Events Ltd")
            self.state.create_portal(self.SECOND_PORTAL_ID, hub_domain="other-business.example.com",
                                     user_email="organizer@techevents.example", name="Other Business")
            self.request_log = []
            self.redirect_uris = []
            self.latency = 0.0
            self.rate_limit = 110
            self.rate_interval = 10.0
            self.search_rate_limit = 5
            self.search_lag = 0.0
            self.timeout_seconds = 30.0
            self.access_token_lifetime = 1800
            self.code_lifetime = 600
            # v1 historically hands back the same refresh token; set True to get a new one (and kill the old) per refresh.
            self.rotate_refresh_tokens = False
            # Date versions served at /{api}/{YYYY-MM}/…; any other version is answered 404.
            self.api_versions = ("2026-03", "2026-09")
            # True: numbered paths (/crm/v3/…, /crm/v4/…, /oauth/v1/…, /account-info/v3/…) answer 404, as once
            # HubSpot has retired them. The test fixtures turn it on, so that the suite proves the plugin avoids them.
            self.refuse_legacy_paths = False
            self._fail_next = []
            self._error_rates = []
            self._malform_next = []
            self._rng = random.Random(self.seed)

    # --- accounts and tokens --------------------------------------------------------------------------------------
    def create_portal(self, portal_id, ui_domain="app.hubspot.com", hub_domain=None, user_email=None, name=None):
        with self.lock:
            self.state.create_portal(portal_id, ui_domain=ui_domain, hub_domain=hub_domain, user_email=user_email,
                                     name=name)
        return int(portal_id)

    def issue_tokens(self, portal_id, scopes=None):
        """Installs the app in the portal (no consent screens) and returns fresh tokens like the token endpoint does."""
        scopes = set(defaults.DEFAULT_GRANT if scopes is None else scopes)
        with self.lock:
            portal = self.state.portals[int(portal_id)]
            portal.installed_scopes = (portal.installed_scopes or set()) | scopes
            access, refresh = self.state.mint_tokens(portal.portal_id, scopes, self.access_token_lifetime)
            return {
                "access_token": access.token,
                "refresh_token": refresh.token,
                "expires_in": self.access_token_lifetime,
                "scopes": sorted(scopes),
                "hub_id": portal.portal_id,
            }

    # --- static access tokens of single-account apps (see static_tokens) --------------------------------------------
    def issue_static_token(self, portal_id, scopes=None):
        """Installs a static-auth app in the portal and returns its access token."""
        from . import static_tokens

        scopes = defaults.DEFAULT_GRANT if scopes is None else scopes
        with self.lock:
            return static_tokens.issue(self.state, portal_id, scopes)

    def rotate_static_token(self, token):
        """Rotates the token in HubSpot: the old one stops working at once; returns the new one."""
        with self.lock:
            old = self.state.access_tokens[token]
            old.revoked = True
        return self.issue_static_token(old.portal_id, old.scopes)

    def _new_code(self, portal_id, scopes, redirect_uri, challenge="", method=""):
        code = secrets.token_urlsafe(24)
        self.state.codes[code] = AuthCode(
            code=code, client_id=self.client_id, redirect_uri=redirect_uri, portal_id=portal_id, scopes=set(scopes),
            expires_at=time.time() + self.code_lifetime, code_challenge=challenge, code_challenge_method=method,
        )
        return code

    def expire_access_tokens(self):
        with self.lock:
            past = time.time() - 1
            for token in self.state.access_tokens.values():
                if not token.static:  # static tokens do not expire
                    token.expires_at = min(token.expires_at, past)

    def revoke_refresh_token(self, token):
        with self.lock:
            self.state.refresh_tokens[token].revoked = True

    def uninstall(self, portal_id):
        """The account removes the app: every token of the portal stops working."""
        with self.lock:
            self.state.portals[int(portal_id)].installed_scopes = None
            for table in (self.state.access_tokens, self.state.refresh_tokens):
                for token in table.values():
                    if token.portal_id == int(portal_id):
                        token.revoked = True

    def remove_scope(self, portal_id, scope):
        with self.lock:
            installed = self.state.portals[int(portal_id)].installed_scopes
            if installed is not None:
                installed.discard(scope)

    # --- the consent screens, driven like a browser ---------------------------------------------------------------
    def consent(self, authorize_url, portal_id=None, decline=False, grant_scopes=None):
        """
        Follows the authorize screens over HTTP and returns where HubSpot finally redirects the browser:
        ``redirect_uri?code=…&state=…`` or ``redirect_uri?error=access_denied&…``. ``grant_scopes`` unticks every
        other scope on the consent screen (HubSpot granting less than asked). Raises ``ConsentError`` on an error page.
        """
        import requests

        parts = urlsplit(authorize_url)
        url = self.url + parts.path + (f"?{parts.query}" if parts.query else "")
        with requests.Session() as browser:
            page = browser.get(url)
            _raise_for_error_page(page)
            if "Sign in to your HubSpot account" not in page.text:
                raise ConsentError("unexpected_page", page.text[:200])
            page = browser.get(urljoin(page.url, _link(page.text, "Sign in to your HubSpot account")))
            _raise_for_error_page(page)
            form = _form(page.text, "Choose account")
            choices = [v for n, v in form.radios if n == "portal_id"]
            if portal_id is not None:
                chosen = str(portal_id)
            else:
                chosen = str(self.default_portal_id) if str(self.default_portal_id) in choices else choices[0]
            if chosen not in choices:
                raise ConsentError("invalid_portal", f"account {chosen} is not offered (offered: {choices})")
            page = browser.post(urljoin(page.url, form.action), data={**form.hidden, "portal_id": chosen})
            _raise_for_error_page(page)
            if "You&#x27;re connecting an unverified app" not in page.text and \
                    "You're connecting an unverified app" not in page.text:
                raise ConsentError("unexpected_page", page.text[:200])
            form = _form(page.text, "Connect app")
            scopes = form.checkboxes if grant_scopes is None else [s for s in form.checkboxes if s in grant_scopes]
            data = dict(form.hidden)
            data["action"] = "decline" if decline else "connect"
            data["scope"] = scopes
            final = browser.post(urljoin(page.url, form.action), data=data, allow_redirects=False)
            _raise_for_error_page(final)
            if final.status_code not in (301, 302, 303):
                raise ConsentError("no_redirect", f"status {final.status_code}")
            return final.headers["Location"]

    # --- the account's own write rules (enforced from API version 2026-09 on) ------------------------------------
    def require_property(self, object_type, name, when_property=None, when_value=None, portal_id=None):
        """
        An admin's rule: ``name`` is required when ``when_property`` has ``when_value`` (a conditionally required
        property), or, without a condition, when a record is created (a required field of the create-record form).
        """
        from .account_rules import RequiredRule

        with self.lock:
            self._portal(portal_id).required_rules.append(RequiredRule(
                self._object_type(object_type), name, when_property, when_value))

    def deny_association_edits(self, portal_id=None):
        """The HubSpot user behind the connection lacks the "Edit associations" permission."""
        with self.lock:
            self._portal(portal_id).user_can_edit_associations = False

    # --- marketing events -----------------------------------------------------------------------------------------
    def marketing_events(self, portal_id=None):
        """The account's marketing events with their participants (contact id → current state and history)."""
        from .marketing_events import summary

        with self.lock:
            return summary(self._portal(portal_id))

    def disable_marketing_events(self, portal_id=None):
        """The account has no access to marketing events: their endpoints answer 403."""
        with self.lock:
            self._portal(portal_id).marketing_events_available = False

    # --- failure and load knobs -----------------------------------------------------------------------------------
    def fail_next(self, count, kind, path_prefix=None, method=None, retry_after=1):
        """
        The next ``count`` matching requests fail with ``kind`` (500/502/503/429/"timeout"/"lost_response"); a 429
        says ``Retry-After: retry_after`` (seconds, as HubSpot sends it).
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"kind must be one of {FAILURE_KINDS}")
        with self.lock:
            self._fail_next.append({"count": count, "kind": kind, "path_prefix": path_prefix,
                                    "method": method.upper() if method else None, "retry_after": retry_after})

    def error_rate(self, kind, rate, path_prefix=None, retry_after=1):
        """A share ``rate`` (0…1) of matching requests fails with ``kind``, drawn from a seeded RNG; 0 turns it off."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"kind must be one of {FAILURE_KINDS}")
        with self.lock:
            self._error_rates = [r for r in self._error_rates if (r["kind"], r["path_prefix"]) != (kind, path_prefix)]
            if rate > 0:
                self._error_rates.append({"kind": kind, "rate": float(rate), "path_prefix": path_prefix,
                                          "retry_after": retry_after})

    def malform_next(self, count, path_prefix, changes=None, body=None):
        """
        The next ``count`` matching requests are handled as usual (the write is applied, tokens are issued), but the
        answer is garbled on its way back: ``changes`` overrides fields of the JSON answer (a value ``None`` drops
        the field), or ``body`` replaces the whole answer with that text (e.g. a proxy's HTML page).
        """
        with self.lock:
            self._malform_next.append({"count": count, "path_prefix": path_prefix, "changes": changes or {},
                                       "body": body})

    def _take_malformation(self, path):
        with self.lock:
            for rule in self._malform_next:
                if rule["count"] > 0 and path.startswith(rule["path_prefix"]):
                    rule["count"] -= 1
                    return rule
        return None

    def reset_failures(self):
        """No more injected failures: every ``fail_next`` and ``error_rate`` rule is dropped."""
        with self.lock:
            self._fail_next = []
            self._error_rates = []
            self._malform_next = []

    def _take_failure(self, method, path):
        """The failure rule the request meets (``{"kind", "retry_after", …}``), or None."""
        with self.lock:
            for rule in self._fail_next:
                if rule["count"] <= 0:
                    continue
                if rule["path_prefix"] and not path.startswith(rule["path_prefix"]):
                    continue
                if rule["method"] and rule["method"] != method:
                    continue
                rule["count"] -= 1
                return rule
            for rule in self._error_rates:
                if rule["path_prefix"] and not path.startswith(rule["path_prefix"]):
                    continue
                if self._rng.random() < rule["rate"]:
                    return rule
        return None

    # --- inspection -----------------------------------------------------------------------------------------------
    def request_count(self, method=None, path_prefix=None):
        with self.lock:
            return sum(
                1 for e in self.request_log
                if (method is None or e["method"] == method.upper())
                and (path_prefix is None or e["path"].startswith(path_prefix))
            )

    def _portal(self, portal_id):
        return self.state.portals[int(portal_id or self.default_portal_id)]

    def _object_type(self, object_type):
        """A type's key: contacts, deals, companies, line_items, products, tickets, or a custom type's fully qualified
        name (custom types may also be named by objectTypeId or ``p_{name}``)."""
        from .crm_schemas import resolve

        known = defaults.OBJECT_TYPE_ALIASES.get(object_type.lower())
        if known is None:
            for portal in self.state.portals.values():
                known = known or resolve(portal, object_type)
        if known is None:
            raise KeyError(object_type)
        return known

    def records(self, object_type, portal_id=None, include_archived=True):
        """Every stored record of the type, oldest first, as ``{"id", "properties", "createdAt", … "archived"}``."""
        from .crm_objects import record_json

        with self.lock:
            portal = self._portal(portal_id)
            records = portal.records[self._object_type(object_type)].values()
            return [record_json(r, None, portal) for r in records if include_archived or not r.archived]

    def get_record(self, object_type, record_id, portal_id=None):
        from .crm_objects import record_json

        with self.lock:
            portal = self._portal(portal_id)
            record = portal.records[self._object_type(object_type)].get(str(record_id))
            return None if record is None else record_json(record, None, portal)

    def add_record(self, object_type, properties, portal_id=None, record_id=None):
        """
        Seeds a record as if someone had created it in HubSpot (no validation, visible to search at once). HubSpot
        numbers records per account, so ``record_id`` may repeat an id that another portal uses.
        """
        from .crm_objects import store_new_record

        with self.lock:
            portal = self._portal(portal_id)
            record = store_new_record(self, portal, self._object_type(object_type), dict(properties), search_lag=0,
                                      record_id=record_id)
            return record.id

    def associations(self, from_type, from_id, to_type, portal_id=None):
        """Ids of the records ``from_id`` is associated with, in the order the associations were made."""
        with self.lock:
            portal = self._portal(portal_id)
            from_type, to_type = self._object_type(from_type), self._object_type(to_type)
            return [key[3] for key in portal.associations
                    if key[0] == from_type and key[1] == str(from_id) and key[2] == to_type]

    def properties(self, object_type, portal_id=None):
        import copy

        with self.lock:
            return copy.deepcopy(list(self._portal(portal_id).properties[self._object_type(object_type)].values()))

    def add_property(self, object_type, name, label, type, field_type, options=None, has_unique_value=False,
                     read_only=False, group=None, portal_id=None):
        """Creates a custom property as an admin would in HubSpot's settings; ``options`` are values or dicts."""
        with self.lock:
            portal = self._portal(portal_id)
            object_type = self._object_type(object_type)
            opts = []
            for i, option in enumerate(options or []):
                if isinstance(option, dict):
                    opts.append({"label": option.get("label", option["value"]), "value": option["value"],
                                 "displayOrder": option.get("displayOrder", i), "hidden": False})
                else:
                    opts.append({"label": str(option), "value": str(option), "displayOrder": i, "hidden": False})
            group = group or ("contactinformation" if object_type == defaults.CONTACTS else "dealinformation")
            prop = defaults.make_property(name, label, type, field_type, group, opts=opts, read_only=read_only,
                                          unique=has_unique_value, hubspot_defined=False, created=time.time())
            portal.properties[object_type][name] = prop
            return dict(prop)

    def delete_property(self, object_type, name, portal_id=None):
        with self.lock:
            self._portal(portal_id).properties[self._object_type(object_type)].pop(name, None)

    def pipelines(self, portal_id=None, object_type="deals"):
        import copy

        with self.lock:
            return copy.deepcopy(self._portal(portal_id).pipelines.get(self._object_type(object_type), []))

    # --- subscription, currencies, custom objects, association labels ---------------------------------------------
    def set_tier(self, tier, portal_id=None):
        """The account's subscription: "starter", "professional" or "enterprise" (custom objects need Enterprise,
        custom association labels Professional or Enterprise)."""
        if tier not in ("starter", "professional", "enterprise"):
            raise ValueError("tier must be starter, professional or enterprise")
        with self.lock:
            self._portal(portal_id).tier = tier

    def set_currencies(self, company_currency, additional=(), portal_id=None):
        """The account's company currency and its additional currencies (multi-currency); the currency properties
        of deals and line items offer exactly these."""
        from . import crm_currencies

        with self.lock:
            portal = self._portal(portal_id)
            portal.currency = company_currency
            portal.additional_currencies = [c for c in additional if c != company_currency]
            crm_currencies.apply(portal)

    def add_custom_object(self, name, singular, plural, primary_display_property, properties=(),
                          required_properties=(), associated_objects=("contacts",), portal_id=None):
        """
        Defines a custom object type as an admin would in HubSpot's settings (any tier; the API only shows it on
        Enterprise). ``properties``: dicts like the schemas API's (``name, label, type, fieldType, options,
        hasUniqueValue``). Returns the schema JSON (``objectTypeId``, ``fullyQualifiedName`` …).
        """
        from . import crm_schemas

        with self.lock:
            portal = self._portal(portal_id)
            schema = crm_schemas.create_schema(self.state, portal, {
                "name": name, "labels": {"singular": singular, "plural": plural},
                "primaryDisplayProperty": primary_display_property, "properties": list(properties),
                "requiredProperties": list(required_properties), "associatedObjects": list(associated_objects),
            })
            return crm_schemas.schema_json(portal, schema)

    def add_association_label(self, from_type, to_type, label, inverse_label=None, name=None, portal_id=None):
        """Creates a custom (USER_DEFINED) association label as an admin would (any tier); returns the type ids
        ``(from→to, to→from)``."""
        from . import crm_labels

        with self.lock:
            portal = self._portal(portal_id)
            forward, backward = crm_labels.add_pair(
                portal, self._object_type(from_type), self._object_type(to_type), label, inverse_label,
                name or label.lower().replace(" ", "_"), self.state)
            return forward["typeId"], backward["typeId"]

    def association_labels(self, from_type, to_type, portal_id=None):
        """Every association type of the pair as the labels endpoint lists it: ``[{category, typeId, label}]``."""
        from . import crm_labels

        with self.lock:
            portal = self._portal(portal_id)
            return [crm_labels.public(s) for s in crm_labels.pair_types(
                portal, self._object_type(from_type), self._object_type(to_type))]

    def labelled_associations(self, from_type, from_id, to_type, portal_id=None):
        """``{to_id: [label or None, …]}``: the records ``from_id`` is associated with and the labels of each
        association (None is the unlabelled type), in the order the associations were made."""
        with self.lock:
            portal = self._portal(portal_id)
            from_type, to_type = self._object_type(from_type), self._object_type(to_type)
            return {key[3]: [label for _, label in types.values()]
                    for key, types in portal.associations.items()
                    if key[0] == from_type and key[1] == str(from_id) and key[2] == to_type}

    def association_types(self, from_type, from_id, to_type, to_id, portal_id=None):
        """``[{category, typeId, label}]`` of one association, as batch/read reports them ([] when not associated)."""
        with self.lock:
            portal = self._portal(portal_id)
            key = (self._object_type(from_type), str(from_id), self._object_type(to_type), str(to_id))
            return [{"category": category, "typeId": type_id, "label": label}
                    for type_id, (category, label) in portal.associations.get(key, {}).items()]

    def summary(self):
        """A JSON-able overview (the ``/_sandbox/state`` control endpoint)."""
        with self.lock:
            return {
                "url": self.url,
                "client_id": self.client_id,
                "default_portal_id": self.default_portal_id,
                "portals": {
                    str(p.portal_id): {
                        "ui_domain": p.ui_domain, "hub_domain": p.hub_domain,
                        "installed_scopes": sorted(p.installed_scopes) if p.installed_scopes is not None else None,
                        "records": {t: sum(1 for r in recs.values() if not r.archived) for t, recs in p.records.items()},
                        "associations": len(p.associations),
                        "tier": p.tier, "currencies": [p.currency] + list(p.additional_currencies),
                        "custom_objects": {fqn: schema["objectTypeId"] for fqn, schema in p.schemas.items()},
                    }
                    for p in self.state.portals.values()
                },
                "requests": len(self.request_log),
                "knobs": {"latency": self.latency, "rate_limit": self.rate_limit, "rate_interval": self.rate_interval,
                          "search_lag": self.search_lag, "redirect_uris": list(self.redirect_uris),
                          "refuse_legacy_paths": self.refuse_legacy_paths},
            }


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log lines in test output (they would also carry token paths)."""

    def log_request(self, *args, **kwargs):
        pass


# --- a minimal browser: links and forms out of the consent pages ------------------------------------------------------

class _Form:
    def __init__(self, action):
        self.action = action
        self.hidden = {}
        self.radios = []
        self.checkboxes = []
        self.buttons = []


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []  # (href, text)
        self.forms = []
        self._link = None
        self._button = None
        self.error = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self._link = [a.get("href", ""), ""]
        elif tag == "form":
            self.forms.append(_Form(a.get("action", "")))
        elif tag == "input" and self.forms:
            form, kind = self.forms[-1], a.get("type", "text")
            if kind == "hidden":
                form.hidden[a.get("name")] = a.get("value", "")
            elif kind == "radio":
                form.radios.append((a.get("name"), a.get("value")))
            elif kind == "checkbox" and "checked" in a:
                form.checkboxes.append(a.get("value"))
        elif tag == "button":
            self._button = ""
        elif tag == "div" and "data-error" in a:
            self.error = a["data-error"]

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        if self._button is not None:
            self._button += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None
        elif tag == "button" and self._button is not None:
            if self.forms:
                self.forms[-1].buttons.append(self._button.strip())
            self._button = None


def _parse(html):
    parser = _PageParser()
    parser.feed(html)
    return parser


def _raise_for_error_page(response):
    if response.status_code >= 400:
        parser = _parse(response.text)
        message = re.sub(r"<[^>]+>", " ", response.text)
        raise ConsentError(parser.error or f"http_{response.status_code}", " ".join(message.split())[-300:])


def _link(html, text):
    for href, label in _parse(html).links:
        if label == text:
            return href
    raise ConsentError("unexpected_page", f"no link {text!r}")


def _form(html, button):
    for form in _parse(html).forms:
        if button in form.buttons:
            return form
    raise ConsentError("unexpected_page", f"no form with button {button!r}")
