"""
HubSpot's official client, configured for one connection: hosts, timeouts, retries.

(Contract stub, to be completed: ``HubSpotApi(connection)``, ``.sdk`` and ``.call(fn, *args, **kwargs)`` are relied on
elsewhere.)
"""
from hubspot import HubSpot

from . import conf
from .oauth import get_valid_access_token


class HubSpotApi:
    def __init__(self, connection):
        self.connection = connection
        self._sdk = None

    @property
    def sdk(self) -> HubSpot:
        if self._sdk is None:
            self._sdk = HubSpot(
                access_token=get_valid_access_token(self.connection),
                host=conf.api_url(),
                base_url=conf.api_url(),
            )
        return self._sdk

    def call(self, fn, *args, **kwargs):
        """Calls one method of the official client, e.g. ``api.call(api.sdk.crm.contacts.basic_api.get_by_id, "1")``."""
        kwargs.setdefault("_request_timeout", conf.request_timeout())
        return fn(*args, **kwargs)
