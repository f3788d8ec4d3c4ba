"""
The OAuth ``state`` and PKCE verifier of authorizations that are waiting for HubSpot to send the user back.

HubSpot returns every user to one global URL, so the state is what tells us which event (and which pretix user) an
authorization belongs to. It lives in the user's session and is random, single-use (removed when it comes back),
bound to the user and the event, expires after ``LIFETIME`` and is compared in constant time.
"""
import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass, field

SESSION_KEY = "hubspot_oauth_pending"
# The event of the most recent attempt, kept after its state is used: a replayed or unknown state still leads back
# to that event's settings page (where the user's permission is checked again) instead of a dead end.
LAST_EVENT_SESSION_KEY = "hubspot_oauth_last_event"
LIFETIME_SECONDS = 15 * 60
# Several tabs may be connecting several events at once; older attempts beyond this are forgotten.
MAX_PENDING = 5


class StateInvalid(Exception):
    """The state that came back is missing, unknown, already used, expired or belongs to someone else."""

    def __init__(self, reason: str, event_id=None):
        super().__init__(reason)
        self.reason = reason
        # The event to go back to, when it is known.
        self.event_id = event_id


@dataclass
class PendingAuthorization:
    state: str
    code_verifier: str = field(repr=False)  # kept out of error reports, which show the repr of local variables
    event_id: int
    user_id: int
    created: float

    @property
    def code_challenge(self) -> str:
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def is_expired(self, at: float = None) -> bool:
        return (at or time.time()) - self.created > LIFETIME_SECONDS


def _load(session) -> list:
    pending = []
    for raw in session.get(SESSION_KEY, []):
        try:
            pending.append(PendingAuthorization(**raw))
        except TypeError:
            continue  # written by an incompatible version of this module; useless now
    return pending


def _store(session, pending: list):
    session[SESSION_KEY] = [asdict(p) for p in pending]


def begin(session, event, user) -> PendingAuthorization:
    """Creates and remembers a new pending authorization for ``event`` started by ``user``."""
    pending = PendingAuthorization(
        state=secrets.token_urlsafe(32),
        # RFC 7636: 43 to 128 characters from the unreserved set; token_urlsafe(64) gives 86.
        code_verifier=secrets.token_urlsafe(64),
        event_id=event.pk,
        user_id=user.pk,
        created=time.time(),
    )
    others = [p for p in _load(session) if not p.is_expired()]
    _store(session, (others + [pending])[-MAX_PENDING:])
    session[LAST_EVENT_SESSION_KEY] = event.pk
    return pending


def consume(session, state: str, user) -> PendingAuthorization:
    """
    Removes and returns the pending authorization that ``state`` belongs to, or raises ``StateInvalid``.

    The matching entry is removed even when it is rejected (expired, other user): a state is never accepted twice.
    """
    if not state:
        raise StateInvalid("missing", event_id=session.get(LAST_EVENT_SESSION_KEY))
    remaining, match = [], None
    for p in _load(session):
        # compare_digest on every entry, so timing reveals nothing about which part of a guess was right
        if hmac.compare_digest(p.state.encode(), state.encode()):
            match = p
        else:
            remaining.append(p)
    _store(session, remaining)
    if match is None:
        raise StateInvalid("unknown", event_id=session.get(LAST_EVENT_SESSION_KEY))
    if match.is_expired():
        raise StateInvalid("expired", event_id=match.event_id)
    if match.user_id != user.pk:
        raise StateInvalid("other_user", event_id=match.event_id)
    return match
