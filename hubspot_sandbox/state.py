"""
The sandbox's memory: HubSpot accounts (portals) with their records, properties and associations, plus OAuth state.

Everything here is plain data. ``SandboxState`` is guarded by one lock held by its owner (``HubSpotSandbox``) around
every request handler and every Python-API call, so handlers never see a half-applied write.
"""
import itertools
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Optional

from . import crm_currencies, defaults


@dataclass
class Record:
    id: str
    object_type: str
    properties: dict
    created_at: float
    updated_at: float
    archived: bool = False
    archived_at: Optional[float] = None
    # (visible_from, properties snapshot, archived) per write: search serves the newest visible one (search lag).
    search_versions: list = field(default_factory=list)

    def remember_for_search(self, visible_from):
        self.search_versions.append((visible_from, dict(self.properties), self.archived))

    def search_view(self, now):
        """The record as search sees it now: ``(properties, archived)``, or None if no write is visible yet."""
        for visible_from, props, archived in reversed(self.search_versions):
            if visible_from <= now:
                return props, archived
        return None


@dataclass
class Portal:
    portal_id: int
    ui_domain: str
    hub_domain: str
    user_email: str
    user_id: int
    name: str
    time_zone: str = "Europe/Berlin"
    currency: str = "EUR"
    properties: dict = field(default_factory=dict)  # object type → name → property JSON
    groups: dict = field(default_factory=dict)  # object type → name → group JSON
    records: dict = field(default_factory=dict)  # object type → id → Record
    # (from type, from id, to type, to id) → {type id: (category, label)}
    associations: dict = field(default_factory=dict)
    pipelines: dict = field(default_factory=dict)
    rate_window: deque = field(default_factory=deque)
    search_window: deque = field(default_factory=deque)
    # Scopes of the app's installation in this account; None while the app is not installed.
    installed_scopes: Optional[set] = None
    # The account's own write rules, enforced from the 2026-09 API version on (account_rules)
    required_rules: list = field(default_factory=list)
    user_can_edit_associations: bool = True
    # HubSpot subscription tier: "starter", "professional" or "enterprise" (custom objects need Enterprise, custom
    # association labels Professional or Enterprise).
    tier: str = "enterprise"
    # Multi-currency: currencies besides ``currency`` (the company currency) that records may carry.
    additional_currencies: list = field(default_factory=lambda: list(defaults.DEFAULT_CURRENCIES[1:]))
    # Custom object schemas (crm_schemas), fully qualified name → schema JSON
    schemas: dict = field(default_factory=dict)
    # USER_DEFINED association labels (crm_labels): (from type, to type) → [label dict]
    association_labels: dict = field(default_factory=dict)
    # Marketing events: (externalAccountId, externalEventId) → event dict (marketing_events); False: the account has
    # no access to them
    marketing_events: dict = field(default_factory=dict)
    marketing_events_available: bool = True

    @property
    def data_hosting_location(self):
        return "eu1" if "eu1" in self.ui_domain else "na1"


@dataclass
class AccessToken:
    token: str
    portal_id: int
    scopes: set
    expires_at: float
    refresh_token: str
    issued_at: float
    revoked: bool = False
    # The static token of a single-account app (see static_tokens): no expiry, no refresh, its own installation.
    static: bool = False


@dataclass
class RefreshToken:
    token: str
    portal_id: int
    scopes: set
    issued_at: float
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    portal_id: int
    scopes: set
    expires_at: float
    code_challenge: str = ""
    code_challenge_method: str = ""
    used: bool = False


@dataclass
class ConsentFlow:
    """One pass through the authorize screens, from the authorize URL to the redirect back."""

    flow_id: str
    client_id: str
    redirect_uri: str
    scopes: list
    optional_scopes: list
    state: Optional[str]
    code_challenge: str = ""
    code_challenge_method: str = ""
    pinned_portal_id: Optional[int] = None
    portal_id: Optional[int] = None


class SandboxState:
    def __init__(self):
        self.created = time.time()
        self.portals = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.codes = {}
        self.flows = {}
        self._ids = itertools.count(defaults.FIRST_RECORD_ID)
        self._user_ids = itertools.count(7000001)
        # Custom object type ids (2-N) and USER_DEFINED association type ids, unique within the sandbox.
        self.custom_type_ids = itertools.count(2101001)
        self.association_type_ids = itertools.count(101)

    def next_id(self) -> str:
        return str(next(self._ids))

    def create_portal(self, portal_id, ui_domain="app.hubspot.com", hub_domain=None, user_email=None, name=None):
        portal_id = int(portal_id)
        portal = Portal(
            portal_id=portal_id,
            ui_domain=ui_domain,
            hub_domain=hub_domain or f"portal-{portal_id}.example.com",
            user_email=user_email or f"admin@portal-{portal_id}.example.com",
            user_id=next(self._user_ids),
            name=name or f"Account {portal_id}",
        )
        for object_type in defaults.OBJECT_TYPES:
            portal.properties[object_type] = {
                p["name"]: p for p in defaults.default_properties(object_type, self.created)
            }
            portal.groups[object_type] = {
                name: {"name": name, "label": label, "displayOrder": i, "archived": False}
                for i, (name, label) in enumerate(defaults.DEFAULT_GROUPS[object_type])
            }
            portal.records[object_type] = {}
        portal.pipelines = defaults.default_pipelines(self.created)
        crm_currencies.apply(portal)
        self.portals[portal_id] = portal
        return portal

    def mint_tokens(self, portal_id, scopes, access_lifetime, refresh_token=None):
        """An access token (and a refresh token unless one is given) for the app's installation in a portal."""
        now = time.time()
        prefix = self.portals[portal_id].data_hosting_location
        if refresh_token is None:
            refresh_token = RefreshToken(
                token=f"{prefix}-{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-"
                      f"{secrets.token_hex(2)}-{secrets.token_hex(6)}",
                portal_id=portal_id, scopes=set(scopes), issued_at=now,
            )
            self.refresh_tokens[refresh_token.token] = refresh_token
        access = AccessToken(
            token=f"{prefix}-" + secrets.token_urlsafe(72),
            portal_id=portal_id, scopes=set(scopes), expires_at=now + access_lifetime,
            refresh_token=refresh_token.token, issued_at=now,
        )
        self.access_tokens[access.token] = access
        return access, refresh_token

    def effective_scopes(self, token):
        """A token's scopes as far as the installation still allows them (scopes can be removed, apps uninstalled)."""
        if getattr(token, "static", False):
            return set(token.scopes)
        installed = self.portals[token.portal_id].installed_scopes
        if installed is None:
            return set()
        return set(token.scopes) & installed
