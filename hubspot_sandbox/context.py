"""What a handler gets: the request, the sandbox, and (for authenticated endpoints) the caller's token and portal."""
import json
import time

from . import crm_schemas, defaults, errors


class RequestContext:
    def __init__(self, sandbox, request, correlation_id):
        self.sandbox = sandbox
        self.state = sandbox.state
        self.request = request
        self.correlation_id = correlation_id
        self.token = None
        self.portal = None
        # The date version of the path (``2026-09``), None on a numbered path.
        self.api_version = None

    # --- authentication -------------------------------------------------------------------------------------------
    def authenticate(self):
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise errors.invalid_authentication()
        token = self.state.access_tokens.get(value.strip())
        if token is None or token.revoked or (
            not token.static and self.state.portals[token.portal_id].installed_scopes is None
        ):
            raise errors.invalid_authentication(
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
            )
        now = time.time()
        if token.expires_at <= now:
            raise errors.expired_authentication(now - token.expires_at)
        self.token = token
        self.portal = self.state.portals[token.portal_id]
        return token

    def require_scopes(self, *scopes):
        """403 MISSING_SCOPES unless the token carries every one of ``scopes``."""
        granted = self.state.effective_scopes(self.token)
        scopes = [self._scope(s) for s in scopes]
        missing = [s for s in scopes if s not in granted
                   and not any(a in granted for a in defaults.SCOPE_ALTERNATIVES.get(s, ()))]
        if missing:
            raise errors.missing_scopes(missing)

    def require_any_scope(self, *scopes):
        granted = self.state.effective_scopes(self.token)
        scopes = [self._scope(s) for s in scopes]
        if not any(s in granted or any(a in granted for a in defaults.SCOPE_ALTERNATIVES.get(s, ()))
                   for s in scopes):
            raise errors.missing_scopes(scopes)

    def _scope(self, scope):
        """Custom object types share HubSpot's ``custom`` scopes (``crm.objects.custom.read`` …)."""
        parts = scope.split(".")
        if self.portal is not None and len(parts) == 4 and parts[2] in self.portal.schemas:
            parts[2] = "custom"
        return ".".join(parts)

    # --- input ----------------------------------------------------------------------------------------------------
    def json(self, required=True):
        raw = self.request.get_data(cache=True)
        if not raw.strip():
            if required:
                raise errors.validation_error("Invalid input JSON on line 1, column 1: No content to map due to "
                                              "end-of-input")
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise errors.validation_error(f"Invalid input JSON : {e}")

    def object_type(self, name):
        object_type = defaults.OBJECT_TYPE_ALIASES.get(name.lower())
        if object_type is None and self.portal is not None:
            object_type = crm_schemas.resolve(self.portal, name)
        if object_type is None:
            raise errors.HubSpotError(400, f"Unable to infer object type from: {name}", "VALIDATION_ERROR")
        return object_type

    def query_list(self, name):
        """A repeated or comma-separated query parameter (``properties=a&properties=b`` or ``properties=a,b``)."""
        values = []
        for value in self.request.args.getlist(name):
            values.extend(v for v in value.split(",") if v)
        return values

    def query_bool(self, name, default=False):
        value = self.request.args.get(name)
        if value is None:
            return default
        return value.lower() == "true"
