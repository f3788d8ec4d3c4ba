"""
OAuth with HubSpot: authorize URL, code exchange, token refresh and revocation.

(Contract stub, to be completed: only ``get_valid_access_token`` and ``ReconnectRequired`` are relied on elsewhere.)
"""


class ReconnectRequired(Exception):
    """HubSpot no longer accepts the connection's refresh token; someone has to reconnect in Settings → HubSpot."""


def get_valid_access_token(connection) -> str:
    """
    Returns an access token that is valid for at least a few more minutes, refreshing it first if needed (once,
    under a row lock, across concurrent workers). Raises ``ReconnectRequired`` when HubSpot rejects the refresh.
    """
    if connection.needs_reconnect:
        raise ReconnectRequired()
    return connection.access_token
