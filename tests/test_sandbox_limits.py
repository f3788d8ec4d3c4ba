"""Authentication, scopes, rate limits and injected failures, seen through the official client."""
import json
import time

import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm.contacts import (
    ApiException, BatchReadInputSimplePublicObjectId, PublicObjectSearchRequest, SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ForbiddenException, ServiceException, UnauthorizedException


@pytest.fixture(autouse=True)
def legacy_paths_served(hubspot):
    """These tests drive the sandbox through the official client's typed APIs, which speak the numbered paths."""
    hubspot.refuse_legacy_paths = False


def sdk(hubspot, **kwargs):
    tokens = hubspot.issue_tokens(hubspot.default_portal_id, **kwargs)
    return HubSpot(access_token=tokens["access_token"], host=hubspot.url)


def new_contact(email):
    return SimplePublicObjectInputForCreate(properties={"email": email})


def test_expired_access_token_gives_401_expired_authentication(hubspot):
    client = sdk(hubspot)
    hubspot.expire_access_tokens()
    with pytest.raises(UnauthorizedException) as exc:
        client.crm.contacts.basic_api.get_page()
    body = json.loads(exc.value.body)
    assert body["category"] == "EXPIRED_AUTHENTICATION" and "expired" in body["message"]
    assert body["correlationId"] == exc.value.headers["X-HubSpot-Correlation-Id"]


def test_unknown_token_gives_401_invalid_authentication(hubspot):
    with pytest.raises(UnauthorizedException) as exc:
        HubSpot(access_token="na1-not-a-token", host=hubspot.url).crm.contacts.basic_api.get_page()
    assert json.loads(exc.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_missing_scope_gives_403_missing_scopes(hubspot):
    client = sdk(hubspot, scopes=["oauth", "crm.objects.contacts.read"])
    assert client.crm.contacts.basic_api.get_page().results == []
    with pytest.raises(ForbiddenException) as exc:
        client.crm.contacts.basic_api.create(new_contact("a@example.org"))
    body = json.loads(exc.value.body)
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]
    assert hubspot.records("contacts") == []


def test_removed_scope_applies_to_existing_tokens(hubspot):
    client = sdk(hubspot)
    client.crm.deals.basic_api.get_page()
    hubspot.remove_scope(hubspot.default_portal_id, "crm.objects.deals.read")
    with pytest.raises(Exception) as exc:
        client.crm.deals.basic_api.get_page()
    assert exc.value.status == 403


def read_batch():
    return BatchReadInputSimplePublicObjectId(inputs=[])


# GETs answered 429 with Retry-After are retried by urllib3 itself (after sleeping); POSTs are not, so these tests
# use POST endpoints to see the 429.
def test_rate_limit_headers_and_429_with_retry_after(hubspot):
    hubspot.rate_limit = 3
    api = sdk(hubspot).crm.contacts
    remaining = []
    for _ in range(3):
        _, status, headers = api.basic_api.get_page_with_http_info()
        assert status == 200
        assert headers["X-HubSpot-RateLimit-Max"] == "3"
        assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        remaining.append(headers["X-HubSpot-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    with pytest.raises(ApiException) as exc:
        api.batch_api.read(read_batch())
    assert exc.value.status == 429
    body = json.loads(exc.value.body)
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert 1 <= int(exc.value.headers["Retry-After"]) <= 10


def test_rate_limit_window_rolls_and_is_per_account(hubspot):
    hubspot.rate_limit, hubspot.rate_interval = 2, 0.3
    api = sdk(hubspot).crm.contacts.batch_api
    api.read(read_batch())
    api.read(read_batch())
    with pytest.raises(ApiException):
        api.read(read_batch())
    other = HubSpot(access_token=hubspot.issue_tokens(87654321)["access_token"], host=hubspot.url)
    other.crm.contacts.batch_api.read(read_batch())
    time.sleep(0.35)
    api.read(read_batch())


def test_search_has_its_own_limit_and_no_rate_limit_headers(hubspot):
    hubspot.rate_limit = 1
    api = sdk(hubspot).crm.contacts.search_api
    request = PublicObjectSearchRequest(filter_groups=[], limit=10)
    _, status, headers = api.do_search_with_http_info(request)
    assert status == 200 and "X-HubSpot-RateLimit-Max" not in headers
    for _ in range(hubspot.search_rate_limit - 1):
        api.do_search(request)
    with pytest.raises(ApiException) as exc:
        api.do_search(request)
    assert exc.value.status == 429 and json.loads(exc.value.body)["policyName"] == "SECONDLY"


@pytest.mark.parametrize("kind", [500, 503])
def test_fail_next_server_errors_do_not_apply_the_write(hubspot, kind):
    api = sdk(hubspot).crm.contacts.basic_api
    hubspot.fail_next(1, kind, path_prefix="/crm/v3/objects/contacts", method="POST")
    with pytest.raises(ServiceException) as exc:
        api.create(new_contact("a@example.org"))
    assert exc.value.status == kind
    assert hubspot.records("contacts") == []
    api.create(new_contact("a@example.org"))
    assert len(hubspot.records("contacts")) == 1


def test_502_comes_as_html(hubspot):
    api = sdk(hubspot).crm.contacts.basic_api
    hubspot.fail_next(1, 502)
    with pytest.raises(ServiceException) as exc:
        api.get_page()
    assert exc.value.status == 502 and "Bad Gateway" in exc.value.body


def test_fail_next_429(hubspot):
    api = sdk(hubspot).crm.contacts.batch_api
    hubspot.fail_next(2, 429, method="POST")
    for _ in range(2):
        with pytest.raises(ApiException) as exc:
            api.read(read_batch())
        assert exc.value.status == 429 and exc.value.headers["Retry-After"]
    assert api.read(read_batch()).results == []


def test_client_retries_a_get_answered_429_with_retry_after(hubspot):
    api = sdk(hubspot).crm.contacts.basic_api
    hubspot.fail_next(1, 429, method="GET")
    assert api.get_page().results == []
    assert [e["status"] for e in hubspot.request_log] == [429, 200]


def test_timeout_holds_the_request_then_answers_504_without_writing(hubspot):
    api = sdk(hubspot).crm.contacts.basic_api
    hubspot.timeout_seconds = 0.5
    hubspot.fail_next(1, "timeout")
    with pytest.raises((urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.MaxRetryError)):
        api.create(new_contact("a@example.org"), _request_timeout=0.2)
    time.sleep(0.5)
    assert hubspot.request_log[-1]["status"] == 504
    assert hubspot.records("contacts") == []


def test_lost_response_applies_the_write_but_drops_the_answer(hubspot):
    api = sdk(hubspot).crm.contacts.basic_api
    hubspot.fail_next(1, "lost_response", path_prefix="/crm/v3/objects/contacts")
    with pytest.raises(urllib3.exceptions.HTTPError):
        api.create(new_contact("a@example.org"))
    assert [r["properties"]["email"] for r in hubspot.records("contacts")] == ["a@example.org"]
    with pytest.raises(ApiException) as exc:
        api.create(new_contact("a@example.org"))
    assert exc.value.status == 409


def test_error_rate_is_seeded_and_repeatable(hubspot):
    def run():
        hubspot.reset()
        api = sdk(hubspot).crm.contacts.basic_api
        hubspot.error_rate(500, 0.5, path_prefix="/crm/v3/objects")
        outcome = []
        for _ in range(20):
            try:
                api.get_page()
                outcome.append(200)
            except ServiceException:
                outcome.append(500)
        return outcome

    first = run()
    assert 3 <= first.count(500) <= 17
    assert run() == first
    hubspot.error_rate(500, 0, path_prefix="/crm/v3/objects")
    sdk(hubspot).crm.contacts.basic_api.get_page()


def test_latency_slows_every_request(hubspot):
    api = sdk(hubspot).crm.contacts.basic_api
    hubspot.latency = 0.2
    started = time.monotonic()
    api.get_page()
    assert time.monotonic() - started >= 0.2


def test_request_log_and_counts(hubspot):
    client = sdk(hubspot)
    client.crm.contacts.basic_api.create(new_contact("a@example.org"))
    client.crm.contacts.basic_api.get_by_id("a@example.org", id_property="email")
    entry = hubspot.request_log[-1]
    assert entry["method"] == "GET" and entry["path"] == "/crm/v3/objects/contacts/a@example.org"
    assert entry["query"]["idProperty"] == "email" and entry["status"] == 200
    assert entry["portal_id"] == hubspot.default_portal_id
    assert hubspot.request_log[0]["json"] == {"properties": {"email": "a@example.org"}}
    assert hubspot.request_count() == 2
    assert hubspot.request_count("POST", "/crm/v3/objects/contacts") == 1


def test_reset_forgets_records_tokens_and_knobs(hubspot):
    client = sdk(hubspot)
    client.crm.contacts.basic_api.create(new_contact("a@example.org"))
    hubspot.latency = 1
    hubspot.rate_limit = 1
    hubspot.reset()
    assert hubspot.records("contacts") == [] and hubspot.request_log == []
    assert hubspot.latency == 0 and hubspot.rate_limit == 110
    with pytest.raises(UnauthorizedException):
        client.crm.contacts.basic_api.get_page()
