"""
"Preview HubSpot data": per mapping the record that would be matched or created, current and sent values, what each
mode does, the errors the sync would meet, and that nothing is written (the sandbox's request log proves it).
"""
import re
import time
from html import unescape

import pytest
from django_scopes import scopes_disabled
from pretix.base.models import Team, User
from pretix.base.models.datasync import OrderSyncQueue, OrderSyncResult

from pretix_hubspot.models import EventConnection
from testbed.orders import make_order
from testbed.sync import (
    attendee_mapping, contacts_mapping, deals_mapping, enqueue, log_actions, prop, queue_rows, results, run_queue,
)

pytestmark = pytest.mark.django_db

READ_PATHS = re.compile(r"/batch/read$|/search$")


def preview_url(event, code=None, mapping=None):
    url = f"/control/event/{event.organizer.slug}/{event.slug}/hubspot/preview/"
    params = []
    if code:
        params.append(f"order={code}")
    if mapping:
        params.append(f"mapping={mapping.pk}")
    return url + ("?" + "&".join(params) if params else "")


def order_url(event, order):
    return f"/control/event/{event.organizer.slug}/{event.slug}/orders/{order.code}/"


def writes(hubspot):
    """Every request that could have changed something in HubSpot: anything but GETs, batch reads and searches."""
    return [(e["method"], e["path"]) for e in hubspot.request_log
            if e["method"] != "GET" and not (e["method"] == "POST" and READ_PATHS.search(e["path"]))]


def text(response):
    """The page as a person reads it: tags removed, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def section(response, marker):
    """The text of the part of the page that starts at ``marker`` (an HTML attribute) and ends at the next record."""
    html = response.content.decode()
    start = html.index(marker)
    end = html.find("data-hubspot-preview-record ", start + len(marker))
    end = html.find("data-hubspot-preview-mapping=", start + len(marker)) if end < 0 else end
    chunk = html[start:end if end > 0 else len(html)]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", chunk)))


def row(response, record_index, name):
    """One property row of the n-th record on the page: its cells' text."""
    html = response.content.decode()
    records = html.split("data-hubspot-preview-record ")[1:]
    match = re.search(r'data-hubspot-preview-property="%s">(.*?)</tr>' % re.escape(name), records[record_index], re.S)
    assert match, f"no row for {name}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", c))).strip() for c in cells]


def nothing_recorded(order):
    with scopes_disabled():
        assert not OrderSyncResult.objects.filter(order=order).exists()
        assert not OrderSyncQueue.objects.filter(order=order).exists()
    assert not [a for a, d in log_actions(order) if "data_sync" in a]


# --- new records ---------------------------------------------------------------------------------------------------

def test_preview_of_new_records_writes_nothing(sync_event, order, admin_client, hubspot):
    contacts_mapping(sync_event)
    attendee_mapping(sync_event)
    deals_mapping(sync_event)
    hubspot.request_log.clear()

    response = admin_client.get(preview_url(sync_event, order.code))
    assert response.status_code == 200
    page = text(response)
    assert "Preview HubSpot data" in page and "Order ABC12" in page
    assert "HubSpot would accept this order's data as shown below." in page
    # one record per mapping and ticket: the buyer, two attendees, the deal; all new
    assert page.count("A new record would be created") == 4
    assert "Order → Contacts" in page and "Order position → Contacts" in page and "Order → Deals" in page
    assert "Ticket 1: Conference ticket – Jane Doe" in page and "Ticket 2: Conference ticket – John Smith" in page
    assert "the sync creates it by “email” = jane.doe@example.org" in page
    assert "the sync creates it by “pretix_order_id” = PYCONF-ABC12" in page
    assert ("it associates the record with the records of the same order of: “Order → Contacts” (no label), "
            "“Order position → Contacts” (no label)") in page

    # the buyer: identifier, e-mail and invoice name, each sent into the new record
    assert row(response, 0, "pretix_order_id") == [
        "pretix-order-id pretix_order_id", "Event and order code", "Identifier", "(new record)", "PYCONF-ABC12",
        "PYCONF-ABC12", "Sets the value of the new record."]
    assert row(response, 0, "firstname")[3:6] == ["(new record)", "Jane", "Jane"]
    assert row(response, 0, "company")[1:6] == ["Invoice address company", "Overwrite", "(new record)",
                                                "Doe Industries", "Doe Industries"]
    # the deal: the amount as HubSpot's number, the date as HubSpot's date
    assert row(response, 3, "amount")[4:6] == ["240", "240"]  # two tickets
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", row(response, 3, "closedate")[5])

    # only reads reached HubSpot, nothing was created, nothing recorded in pretix
    assert hubspot.request_count() > 0
    assert writes(hubspot) == []
    assert hubspot.request_count(method="POST", path_prefix="/crm/objects/2026-09/contacts/batch/read") >= 1
    assert hubspot.records("contacts") == [] and hubspot.records("deals") == []
    nothing_recorded(order)


def test_empty_values_and_missing_identifier(sync_event, event, item, admin_client, hubspot):
    attendee_mapping(sync_event)
    contacts_mapping(sync_event, properties=[prop("email", "email"), prop("invoice_address_company", "company")])
    with scopes_disabled():
        order = make_order(event, item, code="NOMAIL", email="buyer@example.org",
                           attendees=[("Ann Lee", "ann@example.org"), ("Bob Roe", None)])
    response = admin_client.get(preview_url(event, order.code))
    page = text(response)
    # the second attendee has no e-mail, which identifies attendee contacts: the sync leaves that ticket out
    assert "Ticket 2: Conference ticket – Bob Roe Not transferred" in page
    assert "pretix has no value for the identifier “Attendee email”" in page
    # no invoice address: nothing to send for the company
    assert row(response, 0, "company")[3:] == ["(new record)", "(empty)", "not sent", "Not sent: pretix has no value."]
    assert writes(hubspot) == []


# --- existing records ----------------------------------------------------------------------------------------------

def test_preview_of_records_hubspot_has_and_what_each_mode_does(sync_event, order, admin_client, hubspot):
    contacts_mapping(sync_event, identifier=("email", "email"), properties=[
        prop("invoice_address_name_given_name", "firstname", "overwrite"),
        prop("invoice_address_name_family_name", "lastname", "if_empty"),
        prop("invoice_address_company", "company", "if_new"),
        prop("invoice_address_city", "city", "if_empty"),
        prop("order_code", "message", "append"),
    ])
    deals_mapping(sync_event)
    contact_id = hubspot.add_record("contacts", {
        "email": "Jane.Doe@example.org", "firstname": "Janet", "lastname": "Doe-Miller", "company": "Acme",
        "message": "XYZ99",
    })
    deal_id = hubspot.add_record("deals", {"dealname": "PYCONF-ABC12", "pretix_order_id": "PYCONF-ABC12",
                                           "amount": "240", "dealstage": "appointmentscheduled"})
    hubspot.request_log.clear()

    response = admin_client.get(preview_url(sync_event, order.code))
    assert response.status_code == 200
    page = text(response)
    assert page.count("The record would be updated") == 2
    assert f'href="https://app.hubspot.com/contacts/{hubspot.default_portal_id}/record/0-1/{contact_id}"' in \
        response.content.decode()
    assert f"Contact #{contact_id} – Janet Doe-Miller – Found by the e-mail address jane.doe@example.org." in page
    assert f"Deal #{deal_id} – PYCONF-ABC12 – Found by “pretix_order_id” = PYCONF-ABC12." in page

    # Overwrite replaces, Fill if empty keeps a value and fills an empty one, Fill if new leaves an existing record
    # alone, Add to list adds the order code to the list
    assert row(response, 0, "firstname")[3:] == ["Janet", "Jane", "Jane", "Replaces the value in HubSpot."]
    assert row(response, 0, "lastname")[3:] == ["Doe-Miller", "Doe", "not sent",
                                                "Not sent: “Fill if empty” keeps the value HubSpot has."]
    assert row(response, 0, "company")[3:] == [
        "Acme", "Doe Industries", "not sent",
        "Not sent: “Fill if new” only fills records the sync creates, and this record exists."]
    assert row(response, 0, "city")[3:] == ["(empty)", "Berlin", "Berlin", "Fills the empty property."]
    assert row(response, 0, "message")[3:] == ["XYZ99", "ABC12", "XYZ99;ABC12",
                                               "Adds the value to the list in HubSpot."]
    # the deal: same name and amount as HubSpot has, a new close date
    assert row(response, 1, "dealname")[3:] == ["PYCONF-ABC12", "PYCONF-ABC12", "not sent",
                                                "Not sent: HubSpot has this value already."]
    assert row(response, 1, "amount")[5:] == ["not sent", "Not sent: HubSpot has this value already."]
    assert row(response, 1, "closedate")[3] == "(empty)"

    assert writes(hubspot) == []
    assert hubspot.get_record("contacts", contact_id)["properties"]["firstname"] == "Janet"
    nothing_recorded(order)

    # The sync does what the preview said.
    enqueue(order)
    run_queue()
    contact = hubspot.get_record("contacts", contact_id)["properties"]
    assert (contact["firstname"], contact["lastname"], contact["company"], contact["city"]) == \
        ("Jane", "Doe-Miller", "Acme", "Berlin")
    assert contact["message"] == "XYZ99;ABC12"
    assert len(hubspot.records("contacts")) == 1 and len(hubspot.records("deals")) == 1


def test_after_a_transfer_the_remembered_records_are_up_to_date(sync_event, order, admin_client, hubspot):
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    enqueue(order)
    run_queue()
    contact_result, deal_result = results(order)
    hubspot.request_log.clear()

    response = admin_client.get(preview_url(sync_event, order.code))
    page = text(response)
    assert page.count("Up to date: nothing would be sent") == 2
    assert "Found by the record ID remembered from this order's last transfer." in page
    assert f"Contact #{contact_result.sync_info['object_id']} – Jane Doe" in page
    assert row(response, 0, "email")[3:] == ["jane.doe@example.org", "jane.doe@example.org", "not sent",
                                             "Not sent: HubSpot has this value already."]
    assert writes(hubspot) == []
    # the results of the transfer are untouched
    assert [r.transmitted for r in results(order)] == [contact_result.transmitted, deal_result.transmitted]


# --- errors --------------------------------------------------------------------------------------------------------

def test_invalid_email_shows_first_and_the_sync_fails_on_it(sync_event, event, item, admin_client, hubspot):
    contacts_mapping(sync_event)
    with scopes_disabled():
        bad = make_order(event, item, code="BAD11", email="not-an-email@")
    response = admin_client.get(preview_url(event, bad.code))
    page = text(response)
    summary = section(response, "data-hubspot-preview-errors")
    assert "A transfer of this order would fail:" in summary
    assert ('Order BAD11, mapping "Order → Contacts", HubSpot field "Email (email)": “not-an-email@” is not a valid '
            'e-mail address, so HubSpot will reject it.') in summary
    assert "HubSpot would accept" not in page
    assert row(response, 0, "email")[6].endswith("is not a valid e-mail address, so HubSpot will reject it.")
    assert writes(hubspot) == []

    enqueue(bad)
    run_queue()
    [queued] = queue_rows(bad)
    assert queued.need_manual_retry == "permanent"


def test_unknown_enumeration_option(sync_event, order, admin_client, hubspot):
    deals_mapping(sync_event, properties=[prop("event_order_code", "dealname"), prop("order_code", "dealstage")])
    response = admin_client.get(preview_url(sync_event, order.code))
    summary = section(response, "data-hubspot-preview-errors")
    assert 'HubSpot field "Deal Stage (dealstage)": “ABC12” is not one of the options of this property in HubSpot' \
        in summary
    assert "appointmentscheduled" in summary
    assert writes(hubspot) == []


def test_deleted_property_is_shown_for_its_mapping(sync_event, order, admin_client, hubspot):
    contacts_mapping(sync_event, properties=[prop("email", "email"), prop("invoice_address_company", "company")])
    deals_mapping(sync_event)
    hubspot.delete_property("contacts", "company")
    response = admin_client.get(preview_url(sync_event, order.code))
    summary = section(response, "data-hubspot-preview-errors")
    assert 'mapping "Order → Contacts", HubSpot field "company": HubSpot has no such property (any more).' in summary
    # the other mapping is still previewed
    assert "A new record would be created" in text(response)
    assert writes(hubspot) == []


def test_revoked_connection_is_an_error_for_every_mapping(sync_event, order, admin_client, hubspot, connection):
    contacts_mapping(sync_event)
    hubspot.revoke_refresh_token(connection.refresh_token)
    hubspot.expire_access_tokens()
    response = admin_client.get(preview_url(sync_event, order.code))
    assert response.status_code == 200
    page = text(response)
    assert "A transfer of this order would fail:" in page and "Settings → HubSpot" in page
    assert connection.refresh_token not in response.content.decode()
    # the only POST: asking HubSpot's OAuth endpoint for a new access token, which it refused
    assert [path.startswith("/oauth/") for method, path in writes(hubspot)] == [True]


def test_values_checked_as_hubspot_checks_them():
    from pretix_hubspot.hubspot_api.properties import HubSpotProperty
    from pretix_hubspot.hubspot_api.value_rules import value_problem

    def check(kind, value, field_type="text", options=(), name="x", object_type="deals"):
        return value_problem(HubSpotProperty(name=name, label=name, type=kind, field_type=field_type,
                                             options=tuple((o, o) for o in options)), value, object_type)

    assert check("string", "anything ") == ""
    assert check("string", "a@b", name="email", object_type="contacts") != ""
    assert check("string", "a@b.example", name="email", object_type="contacts") == ""
    assert check("number", "12.5") == "" and check("number", "12,5") != "" and check("number", " 12") != ""
    assert check("bool", "true") == "" and check("bool", "yes") != ""
    assert check("date", "2027-03-01") == "" and check("date", "2027-03-01T10:00:00Z") != ""
    assert check("date", "1803859200000") == ""  # epoch milliseconds of midnight UTC
    assert check("datetime", "2027-03-01T10:00:00.000Z") == "" and check("datetime", "next week") != ""
    assert check("enumeration", "b", "select", ["a", "b"]) == ""
    assert check("enumeration", "a;b", "checkbox", ["a", "b"]) == ""
    assert check("enumeration", "a;c", "checkbox", ["a", "b"]) != ""
    assert check("enumeration", "a;b", "select", ["a", "b"]) != ""
    assert check("string", "", name="email", object_type="contacts") == ""  # clearing is always allowed
    assert value_problem(HubSpotProperty(name="x", label="x", type="string", read_only=True), "1", "deals") != ""
    assert value_problem(None, "1", "deals") != ""


# --- where it is reached, and who may see it -----------------------------------------------------------------------

def test_order_page_links_to_the_preview(sync_event, order, admin_client):
    contacts_mapping(sync_event)
    page = admin_client.get(order_url(sync_event, order)).content.decode()
    assert "Preview HubSpot data" in page
    assert f'href="{preview_url(sync_event, order.code)}"' in page


def test_order_page_has_no_preview_link_for_who_may_only_view_orders(sync_event, order, readonly_client):
    # Seeing orders is not enough to see HubSpot's values (docs/organizer-guide.md, "Who may do what").
    contacts_mapping(sync_event)
    page = readonly_client.get(order_url(sync_event, order))
    assert page.status_code == 200
    assert "Preview HubSpot data" not in page.content.decode()


def test_no_preview_link_without_connection_or_mappings(event, order, admin_client, hubspot_app):
    assert "Preview HubSpot data" not in admin_client.get(order_url(event, order)).content.decode()


def test_mapping_page_previews_that_mapping(sync_event, order, admin_client, hubspot):
    contacts = contacts_mapping(sync_event)
    deals_mapping(sync_event)
    edit = admin_client.get(f"/control/event/techevents/pyconf/hubspot/mappings/{contacts.pk}/").content.decode()
    assert "Preview HubSpot data for order" in edit
    assert 'action="/control/event/techevents/pyconf/hubspot/preview/"' in edit
    assert f'name="mapping" value="{contacts.pk}"' in edit

    hubspot.request_log.clear()
    response = admin_client.get(preview_url(sync_event, "abc12", mapping=contacts))
    page = text(response)
    assert "Only the mapping “Order → Contacts” is shown." in page
    assert f'href="/control/event/techevents/pyconf/hubspot/mappings/{contacts.pk}/"' in response.content.decode()
    assert "Order → Deals" not in page
    assert page.count("A new record would be created") == 1
    assert hubspot.request_count(path_prefix="/crm/objects/2026-09/deals") == 0
    assert writes(hubspot) == []


def test_user_who_may_only_view_orders_may_not_preview(sync_event, order, readonly_client, hubspot):
    contacts_mapping(sync_event)
    hubspot.request_log.clear()
    assert readonly_client.get(preview_url(sync_event, order.code)).status_code == 403
    assert hubspot.request_log == []


def test_user_who_may_view_orders_and_change_settings_may_preview(sync_event, organizer, order, client, hubspot):
    contacts_mapping(sync_event)
    with scopes_disabled():
        u = User.objects.create_user("editor@techevents.example", "Password-2027-xyz")
        t = Team.objects.create(organizer=organizer, name="Editors", all_events=True,
                                limit_event_permissions={"event.settings.general:write": True,
                                                         "event.orders:read": True})
        t.members.add(u)
    client.force_login(u)
    response = client.get(preview_url(sync_event, order.code))
    assert response.status_code == 200
    assert "A new record would be created" in text(response)


def test_user_without_order_permission_may_not(sync_event, organizer, order, client, hubspot):
    contacts_mapping(sync_event)
    with scopes_disabled():
        u = User.objects.create_user("settings@techevents.example", "Password-2027-xyz")
        t = Team.objects.create(organizer=organizer, name="Settings only", all_events=True,
                                limit_event_permissions={"event.settings.general:write": True})
        t.members.add(u)
    client.force_login(u)
    hubspot.request_log.clear()
    assert client.get(preview_url(sync_event, order.code)).status_code == 403
    assert hubspot.request_log == []
    assert "Preview HubSpot data" not in client.get(order_url(sync_event, order)).content.decode()


def test_anonymous_is_sent_to_login(sync_event, order, client):
    response = client.get(preview_url(sync_event, order.code))
    assert response.status_code == 302 and "/control/login" in response["Location"]


def test_preview_changes_nothing_and_takes_no_post(sync_event, order, admin_client, hubspot):
    contacts_mapping(sync_event)
    assert admin_client.post(preview_url(sync_event, order.code)).status_code == 405
    assert hubspot.records("contacts") == []


def test_not_connected_and_unknown_orders(sync_event, order, admin_client, hubspot):
    contacts_mapping(sync_event)
    page = text(admin_client.get(preview_url(sync_event, "NOPE9")))
    assert "There is no order with the code “NOPE9” in this event." in page
    with scopes_disabled():
        EventConnection.objects.filter(event=sync_event).delete()
    hubspot.request_log.clear()
    page = text(admin_client.get(preview_url(sync_event, order.code)))
    assert "This event is not connected to HubSpot." in page
    assert hubspot.request_log == []


def test_preview_waits_for_the_shared_rate_limit(sync_event, order, admin_client, hubspot, monkeypatch):
    """The preview's requests count against the account's budget like the sync's: with 2 per second it waits."""
    from pretix_hubspot.hubspot_api import ratelimit
    monkeypatch.setattr(ratelimit, "HUBSPOT_OAUTH_LIMIT", 2)
    monkeypatch.setattr(ratelimit, "HUBSPOT_OAUTH_INTERVAL", 1.0)
    contacts_mapping(sync_event)
    deals_mapping(sync_event)
    hubspot.request_log.clear()
    started = time.monotonic()
    response = admin_client.get(preview_url(sync_event, order.code))
    assert response.status_code == 200
    requests = hubspot.request_count()
    assert requests >= 5  # properties of two object types, the batch reads of two mappings
    assert time.monotonic() - started >= (requests - 2) // 2 * 1.0 * 0.9
    assert all(e["status"] != 429 for e in hubspot.request_log)


def test_mapping_editor_offers_the_preview_only_with_the_order_permission(sync_event, organizer, client, hubspot):
    contacts = contacts_mapping(sync_event)
    with scopes_disabled():
        u = User.objects.create_user("mappings@techevents.example", "Password-2027-xyz")
        t = Team.objects.create(organizer=organizer, name="Mappings only", all_events=True,
                                limit_event_permissions={"event.settings.general:write": True})
        t.members.add(u)
    client.force_login(u)
    edit = client.get(f"/control/event/techevents/pyconf/hubspot/mappings/{contacts.pk}/")
    assert edit.status_code == 200
    assert "Preview HubSpot data for order" not in edit.content.decode()
