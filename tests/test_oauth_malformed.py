"""
HubSpot answers in an unexpected shape (a number as text, a field missing, a proxy's HTML page) end in "HubSpot sent
an answer we could not understand", never in a server error; and the client secret, the PKCE code verifier and
refresh tokens are never in a local variable of a frame that an error reporter (Sentry) would send.
"""
from datetime import timedelta

import pytest
from django.utils.timezone import now
from django_scopes import scopes_disabled

from pretix_hubspot.hubspot_api import errors, oauth, tokens
from pretix_hubspot.models import HubSpotConnection
from pretix_hubspot.organizer import oauth_state
from testbed.sync import contacts_mapping, enqueue, log_actions, queue_rows, run_queue

pytestmark = pytest.mark.django_db

NOT_UNDERSTOOD = "HubSpot sent an answer we could not understand. Please try again later."
INTROSPECT = oauth.INTROSPECT_PATH


@pytest.mark.parametrize("path,changes,body", [
    (oauth.TOKEN_PATH, {"expires_in": "in half an hour"}, None),
    (oauth.TOKEN_PATH, {"expires_in": [1800]}, None),
    (oauth.TOKEN_PATH, {"access_token": None}, None),
    (oauth.TOKEN_PATH, {"access_token": 12345}, None),
    (oauth.TOKEN_PATH, {"refresh_token": None}, None),
    (oauth.TOKEN_PATH, {"scopes": 42}, None),
    (oauth.TOKEN_PATH, {"hub_id": "the big one"}, None),
    (oauth.TOKEN_PATH, None, "<html><body>Gateway says hello</body></html>"),
    (INTROSPECT, {"hub_id": {"id": 1}}, None),
    (INTROSPECT, {"scopes": {"oauth": True}}, None),
    (INTROSPECT, {"user": ["someone"]}, None),
    ("/account-info/2026-09/details", {"portalId": "twelve"}, None),
    ("/account-info/2026-09/details", {"portalId": None}, None),
    ("/account-info/2026-09/details", {"uiDomain": 7}, None),
])
def test_a_malformed_answer_during_connect_is_a_message(admin_client, event, hubspot_app, connect_via_hubspot, path,
                                                        changes, body):
    hubspot_app.malform_next(1, path, changes=changes, body=body)
    page = connect_via_hubspot(admin_client, event)
    assert page.status_code == 200
    assert "Connecting to HubSpot failed: " + NOT_UNDERSTOOD in page.content.decode().replace("&#x27;", "'")
    with scopes_disabled():
        assert not HubSpotConnection.objects.exists()


def test_a_malformed_answer_to_a_token_renewal_is_a_temporary_error(sync_event, connection, order, hubspot):
    contacts_mapping(sync_event)
    connection.access_token_expires = now() + timedelta(seconds=30)
    connection.save(update_fields=["access_token_expires"])
    hubspot.malform_next(1, oauth.TOKEN_PATH, changes={"expires_in": "soon"})
    enqueue(order)
    run_queue()
    [row] = queue_rows(order)
    assert row.need_manual_retry is None and row.failed_attempts == 1
    with scopes_disabled():
        connection.refresh_from_db()
    assert not connection.needs_reconnect
    assert connection.last_refresh_error == NOT_UNDERSTOOD
    assert not [a for a, d in log_actions(order) if a.endswith(".internal")]


# --- secrets in tracebacks -----------------------------------------------------------------------------------------

def reported_text(value, depth=0):
    """A local variable as an error reporter sends it: strings as they are, containers item by item, else repr."""
    if depth > 6:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(reported_text(k, depth + 1) + "=" + reported_text(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return " ".join(reported_text(v, depth + 1) for v in value)
    return repr(value)


def frames_locals(exc):
    """The plugin's frames of the traceback (and of the exceptions it was raised from, as reporters follow them)."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        tb = exc.__traceback__
        while tb is not None:
            if "/pretix_hubspot/" in tb.tb_frame.f_code.co_filename:  # the plugin's frames, not the test's
                yield tb.tb_frame.f_code.co_name, tb.tb_frame.f_locals
            tb = tb.tb_next
        exc = exc.__cause__ if exc.__suppress_context__ else exc.__context__


def assert_not_in_any_frame(exc, secrets):
    frames = list(frames_locals(exc))
    assert len(frames) >= 2
    for name, local_vars in frames:
        for variable, value in local_vars.items():
            text = reported_text(value)
            for secret in secrets:
                assert secret not in text, f"a secret is in the local variable {variable!r} of {name}()"


def test_no_secret_in_the_frames_of_a_failed_code_exchange(hubspot_app):
    verifier = "verifier-" + "x" * 60
    hubspot_app.fail_next(1, 503, path_prefix=oauth.TOKEN_PATH)
    with pytest.raises(errors.HubSpotUnavailable) as exc:
        oauth.exchange_code("some-code", oauth.Secret(verifier))
    assert_not_in_any_frame(exc.value, [verifier, hubspot_app.client_secret])


@pytest.mark.parametrize("changes,body", [(None, "<html>not json</html>"), ({"expires_in": "soon"}, None)])
def test_no_secret_in_the_frames_of_a_failed_renewal(connection, hubspot_app, changes, body):
    # HubSpot answers a refresh with the same refresh token: a malformed answer carries it, too.
    refresh_token = connection.refresh_token
    connection.access_token_expires = now() + timedelta(seconds=30)
    connection.save(update_fields=["access_token_expires"])
    hubspot_app.malform_next(1, oauth.TOKEN_PATH, changes=changes, body=body)
    with pytest.raises(errors.HubSpotUnavailable) as exc:
        tokens.valid_access_token(connection)
    assert_not_in_any_frame(exc.value, [refresh_token, hubspot_app.client_secret])


def test_no_secret_in_the_frames_of_a_failed_revocation(connection, hubspot_app):
    hubspot_app.fail_next(1, 500, path_prefix=oauth.REVOKE_PATH)
    with pytest.raises(errors.HubSpotUnavailable) as exc:
        oauth.revoke(oauth.Secret(connection.refresh_token))
    assert_not_in_any_frame(exc.value, [connection.refresh_token, hubspot_app.client_secret])


def test_a_pending_authorization_does_not_show_its_verifier(rf, event, user):
    request = rf.get("/")
    request.session = {}
    pending = oauth_state.begin(request.session, event, user)
    assert pending.code_verifier not in repr(pending)
    assert pending.code_verifier not in repr(oauth.Secret(pending.code_verifier))
    assert pending.code_verifier not in str(oauth.Secret(pending.code_verifier))


def test_a_malformed_error_answer_still_fails_only_that_order(sync_event, event, item, hubspot):
    from testbed.orders import make_order
    from testbed.sync import records_by
    contacts_mapping(sync_event)
    with scopes_disabled():
        good = make_order(event, item, code="GOOD1", email="good@example.org")
        bad = make_order(event, item, code="BAD11", email="not-an-email@")
    # HubSpot's 400 for the bad address arrives with "errors" and "context" in shapes nobody documented
    hubspot.malform_next(10, "/crm/objects/2026-09/contacts/batch/upsert",
                         changes={"errors": "see message", "context": ["email"], "category": {"x": 1}})
    enqueue(good)
    enqueue(bad)
    run_queue()
    [row] = queue_rows()
    assert row.order_id == bad.pk and row.need_manual_retry == "permanent"
    assert len(records_by(hubspot, "contacts", "email", "good@example.org")) == 1
