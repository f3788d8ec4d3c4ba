"""CRM search: filters, groups, sorting, paging, limits, and its eventual consistency."""
import time

import pytest
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest, SimplePublicObjectInputForCreate
from hubspot.crm.deals import PublicObjectSearchRequest as DealSearch


def search(client, *groups, **kwargs):
    request = PublicObjectSearchRequest(filter_groups=[{"filters": list(g)} for g in groups], **kwargs)
    return client.crm.contacts.search_api.do_search(request)


def emails(result):
    return sorted(r.properties["email"] for r in result.results)


@pytest.fixture
def people(hubspot):
    for email, first, company in (("jane@x.org", "Jane", "Doe Industries"), ("john@x.org", "John", ""),
                                  ("mary@y.org", "Mary", "Acme")):
        props = {"email": email, "firstname": first}
        if company:
            props["company"] = company
        hubspot.add_record("contacts", props)


def test_eq_is_case_insensitive_and_returns_requested_properties(hubspot_sdk, people):
    data, status, _ = hubspot_sdk.crm.contacts.search_api.do_search_with_http_info(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "email", "operator": "EQ", "value": "JANE@x.org"}]}],
        properties=["email", "company"]))
    assert status == 200 and data.total == 1
    assert data.results[0].properties["company"] == "Doe Industries"


@pytest.mark.parametrize("flt,expected", [
    ({"propertyName": "email", "operator": "IN", "values": ["jane@x.org", "mary@y.org", "no@x.org"]},
     ["jane@x.org", "mary@y.org"]),
    ({"propertyName": "email", "operator": "NEQ", "value": "jane@x.org"}, ["john@x.org", "mary@y.org"]),
    ({"propertyName": "company", "operator": "HAS_PROPERTY"}, ["jane@x.org", "mary@y.org"]),
    ({"propertyName": "company", "operator": "NOT_HAS_PROPERTY"}, ["john@x.org"]),
    ({"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@x.org"}, ["jane@x.org", "john@x.org"]),
    ({"propertyName": "firstname", "operator": "NOT_IN", "values": ["jane"]}, ["john@x.org", "mary@y.org"]),
])
def test_operators(hubspot_sdk, people, flt, expected):
    assert emails(search(hubspot_sdk, [flt], properties=["email"])) == expected


def test_filters_in_a_group_are_and_groups_are_or(hubspot_sdk, people):
    both = [{"propertyName": "firstname", "operator": "EQ", "value": "Jane"},
            {"propertyName": "company", "operator": "EQ", "value": "Acme"}]
    assert search(hubspot_sdk, both).total == 0
    either = search(hubspot_sdk, [both[0]], [both[1]], properties=["email"])
    assert emails(either) == ["jane@x.org", "mary@y.org"]


def test_numeric_and_date_comparisons_on_deals(hubspot, hubspot_sdk):
    for name, amount, close in (("small", "10", "2027-01-01T00:00:00Z"), ("big", "250.5", "2027-06-01T00:00:00Z")):
        hubspot.add_record("deals", {"dealname": name, "amount": amount, "closedate": close})
    api = hubspot_sdk.crm.deals.search_api

    def names(*filters, **kwargs):
        result = api.do_search(DealSearch(filter_groups=[{"filters": list(filters)}], properties=["dealname"],
                                          **kwargs))
        return [r.properties["dealname"] for r in result.results]

    assert names({"propertyName": "amount", "operator": "GT", "value": "100"}) == ["big"]
    assert names({"propertyName": "amount", "operator": "BETWEEN", "value": "5", "highValue": "20"}) == ["small"]
    assert names({"propertyName": "closedate", "operator": "LT", "value": "1803859200000"}) == ["small"]
    assert names({"propertyName": "amount", "operator": "GTE", "value": "0"},
                 sorts=[{"propertyName": "amount", "direction": "DESCENDING"}]) == ["big", "small"]


def test_paging_with_after(hubspot, hubspot_sdk):
    for i in range(5):
        hubspot.add_record("contacts", {"email": f"p{i}@x.org"})
    first = search(hubspot_sdk, limit=2, properties=["email"])
    assert first.total == 5 and len(first.results) == 2
    seen = emails(first)
    after = first.paging.next.after
    while after:
        page = search(hubspot_sdk, limit=2, after=after, properties=["email"])
        seen += emails(page)
        after = page.paging.next.after if page.paging else None
    assert sorted(seen) == [f"p{i}@x.org" for i in range(5)]


def test_free_text_query(hubspot_sdk, people):
    assert emails(search(hubspot_sdk, query="mar", properties=["email"])) == ["mary@y.org"]


@pytest.mark.parametrize("kwargs", [
    {"limit": 201},
    {"filter_groups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "a"}]}] * 6},
    {"filter_groups": [{"filters": [{"propertyName": "shoe_size", "operator": "EQ", "value": "4"}]}]},
])
def test_limits_and_unknown_properties_are_400(hubspot_sdk, kwargs):
    with pytest.raises(ApiException) as exc:
        hubspot_sdk.crm.contacts.search_api.do_search(PublicObjectSearchRequest(**kwargs))
    assert exc.value.status == 400


def test_search_is_eventually_consistent(hubspot, hubspot_sdk):
    hubspot.search_lag = 0.4
    created = hubspot_sdk.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "new@x.org"}))
    flt = [{"propertyName": "email", "operator": "EQ", "value": "new@x.org"}]
    assert search(hubspot_sdk, flt).total == 0
    # A direct read sees the write at once; only search lags.
    assert hubspot_sdk.crm.contacts.basic_api.get_by_id(created.id).id == created.id
    time.sleep(0.45)
    assert search(hubspot_sdk, flt).total == 1


def test_archived_records_are_not_found(hubspot, hubspot_sdk):
    record_id = hubspot.add_record("contacts", {"email": "gone@x.org"})
    hubspot_sdk.crm.contacts.basic_api.archive(record_id)
    assert search(hubspot_sdk, [{"propertyName": "email", "operator": "EQ", "value": "gone@x.org"}]).total == 0
