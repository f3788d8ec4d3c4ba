"""Every check the mapping editor runs when saving, each with the message the organizer sees."""
import json

import pytest
from pretix.base.models.datasync import MODE_APPEND_LIST

from tests.helpers.mappings import (
    DEAL_STAGE_MAP, add_order_id_property, edit_url, editor_post, make_mapping, messages_of,
)

DEAL_BASICS = [
    {"pretix_field": "event_order_code", "external_field": "dealname"},
    {"pretix_field": "order_status", "external_field": "dealstage", "value_map": json.dumps(DEAL_STAGE_MAP)},
]


def save(client, mapping, identifier, rows):
    return client.post(edit_url(mapping), editor_post(identifier, rows, 0), follow=True)


def assert_rejected(response, mapping, message):
    assert response.status_code == 200
    assert "We could not save your changes. See below for details." in messages_of(response)
    html = response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert message in html, [line.strip() for line in html.splitlines() if "alert" in line or "error" in line]
    mapping.refresh_from_db()
    assert mapping.property_mappings == [] and mapping.pretix_id_field == ""


def refused(case_id, object_type, identifier, rows, message):
    return pytest.param(object_type, identifier, rows, message, id=case_id)


def assert_refused(request, client, object_type, identifier, rows, message):
    """The fixture of that object type (``contacts`` or ``deals``), saved with these inputs, shows this message."""
    mapping = request.getfixturevalue(object_type)
    assert_rejected(save(client, mapping, identifier, rows), mapping, message)


@pytest.fixture
def contacts(connected_event, hubspot):
    add_order_id_property(hubspot, "contacts")
    return make_mapping(connected_event, "Order", "contacts")


@pytest.fixture
def deals(connected_event, hubspot):
    add_order_id_property(hubspot, "deals")
    return make_mapping(connected_event, "Order", "deals")


# --- The identifier --------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_identifier_property_must_exist_and_the_page_offers_to_create_it(admin_client, connected_event, hubspot):
    mapping = make_mapping(connected_event, "Order", "contacts")
    response = save(admin_client, mapping, ("order_code", "pretix_order_id"),
                    [{"pretix_field": "email", "external_field": "email"}])
    assert_rejected(response, mapping, "The property “pretix_order_id” does not exist for contacts in your HubSpot "
                                       "account. Create it in HubSpot, or choose another property.")
    html = response.content.decode()
    assert 'action="/control/event/techevents/pyconf/hubspot/identifier-property/"' in html
    assert '<input type="hidden" name="object_type" value="contacts">' in html


@pytest.mark.django_db
def test_deal_identifier_without_unique_values_is_refused_and_the_button_offered(
        admin_client, connected_event, hubspot):
    add_order_id_property(hubspot, "deals", unique=False)
    mapping = make_mapping(connected_event, "Order", "deals")
    response = save(admin_client, mapping, ("order_code", "pretix_order_id"), DEAL_BASICS)
    # A deal without a unique identifier is created with a plain create, which a lost answer would duplicate.
    assert_rejected(response, mapping, "The HubSpot property “pretix-order-id (pretix_order_id | string)” does not "
                                       "require unique values. Deals and other records")
    assert 'name="object_type" value="deals"' in response.content.decode()


@pytest.mark.django_db
def test_ticket_deal_identifier_without_unique_values_is_refused(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot, "deals", unique=False)
    mapping = make_mapping(connected_event, "OrderPosition", "deals")
    response = save(admin_client, mapping, ("ticket_id", "pretix_order_id"), DEAL_BASICS)
    assert_rejected(response, mapping, "does not require unique values. Deals and other records")


@pytest.mark.django_db
def test_contact_identifier_without_unique_values_only_warns(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot, "contacts", unique=False)
    mapping = make_mapping(connected_event, "Order", "contacts")
    response = save(admin_client, mapping, ("order_code", "pretix_order_id"),
                    [{"pretix_field": "email", "external_field": "email"}])
    # Saved: contacts are upserted by e-mail, so HubSpot finds them again anyway.
    assert "Your changes have been saved. Please have a look at the notes below." in messages_of(response)
    mapping.refresh_from_db()
    assert mapping.external_id_field == "pretix_order_id"
    html = response.content.decode()
    assert "does not require unique values, so HubSpot may end up with duplicate records" in html
    assert 'name="object_type" value="contacts"' in html


@pytest.mark.django_db
def test_email_identifies_contacts_without_a_warning(admin_client, connected_event, hubspot):
    mapping = make_mapping(connected_event, "OrderPosition", "contacts")
    response = save(admin_client, mapping, ("attendee_email", "email"),
                    [{"pretix_field": "attendee_company", "external_field": "company"}])
    assert messages_of(response) == ["Your changes have been saved."]
    assert "data-hubspot-issues" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("object_type,identifier,rows,message", [
    refused("needs_a_pretix_field", "contacts", ("", "pretix_order_id"),
            [{"pretix_field": "email", "external_field": "email"}], "Please choose a pretix field."),
    refused("cannot_be_a_choice_field", "contacts", ("order_status", "pretix_order_id"),
            [{"pretix_field": "email", "external_field": "email"}],
            "“Order status” is a choice field and cannot identify a record."),
])
def test_identifier_is_refused(request, admin_client, object_type, identifier, rows, message):
    assert_refused(request, admin_client, object_type, identifier, rows, message)


# --- pretix fields ---------------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("object_type,identifier,rows,message", [
    refused("position_field_on_an_order_mapping", "contacts", ("order_code", "pretix_order_id"),
            [{"pretix_field": "attendee_email", "external_field": "email"}],
            "“Attendee email” belongs to a single ticket (order position), but this mapping exports orders. Choose an "
            "order field instead, or add a mapping for the pretix object type “Order position”."),
    refused("position_field_as_identifier_of_an_order_mapping", "contacts", ("ticket_id", "pretix_order_id"),
            [{"pretix_field": "email", "external_field": "email"}],
            "“Order code and position number” belongs to a single ticket"),
    refused("row_without_pretix_field", "contacts", ("order_code", "pretix_order_id"),
            [{"pretix_field": "", "external_field": "email"}], "Please choose a pretix field."),
])
def test_pretix_field_is_refused(request, admin_client, object_type, identifier, rows, message):
    assert_refused(request, admin_client, object_type, identifier, rows, message)


@pytest.mark.django_db
def test_deleted_pretix_field_is_pointed_out(admin_client, connected_event, hubspot):
    # e.g. a copied event whose check-in list did not come along (pretix renames the field "_invalid_…").
    add_order_id_property(hubspot, "contacts")
    mapping = make_mapping(connected_event, "OrderPosition", "contacts", identifier=("attendee_email", "email"),
                           rows=[("_invalid_checkin_date_999", "lastmodifieddate", "", "overwrite")])
    page = admin_client.get(edit_url(mapping)).content.decode()
    assert "The pretix field “_invalid_checkin_date_999” does not exist (any more)" in page


# --- HubSpot properties and types ------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("object_type,identifier,rows,message", [
    refused("property_must_exist", "contacts", ("order_code", "pretix_order_id"),
            [{"pretix_field": "email", "external_field": "email"},
             {"pretix_field": "invoice_address_city", "external_field": "town"}],
            "The property “town” does not exist for contacts in your HubSpot account."),
    refused("read_only_property", "contacts", ("order_code", "pretix_order_id"),
            [{"pretix_field": "email", "external_field": "email"},
             {"pretix_field": "order_date", "external_field": "createdate"}],
            "HubSpot does not allow writing to “Create Date (createdate | datetime)”."),
    refused("text_into_number", "deals", ("order_code", "pretix_order_id"),
            DEAL_BASICS + [{"pretix_field": "email", "external_field": "amount"}],
            "“Order email [Text (one line)]” cannot be written into “Amount (amount | number)”: that HubSpot property "
            "holds numbers. Choose a pretix field of type Number (e.g. Order total) or another HubSpot property."),
    refused("text_into_date", "deals", ("order_code", "pretix_order_id"),
            DEAL_BASICS + [{"pretix_field": "event_name", "external_field": "closedate"}],
            "“Event name [Text (one line)]” cannot be written into “Close Date (closedate | datetime)”: that HubSpot "
            "property holds dates and times."),
    refused("non_choice_into_enumeration", "deals", ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "event_name", "external_field": "dealstage"},
    ], "that HubSpot property holds one of a fixed list of options. Choose a pretix choice field (e.g. Order status) "
       "and map its options"),
    refused("choice_into_enumeration_needs_a_value_map", "deals", ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage"},
    ], "“Deal Stage (dealstage | enumeration)” only accepts its own options, and pretix's “pending” is not one of "
       "them."),
    refused("value_map_must_use_existing_stages", "deals", ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage",
         "value_map": json.dumps(dict(DEAL_STAGE_MAP, p="won-big"))},
    ], "“won-big” is not an option of “Deal Stage (dealstage | enumeration)” in your HubSpot account (used for "
       "“paid”). Please choose one of: Appointment Scheduled"),
    refused("value_map_must_cover_every_option", "deals", ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage",
         "value_map": json.dumps({k: v for k, v in DEAL_STAGE_MAP.items() if k != "e"})},
    ], "The value mapping of “Order status” has no HubSpot value for “expired”; orders with that value could not be "
       "transferred."),
    refused("value_map_with_unknown_pretix_option", "deals", ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage",
         "value_map": json.dumps(dict(DEAL_STAGE_MAP, x="closedwon"))},
    ], "names options that do not exist in pretix: x."),
    refused("value_map_into_a_number_needs_numbers", "deals", ("order_code", "pretix_order_id"), DEAL_BASICS + [
        {"pretix_field": "order_status", "external_field": "amount",
         "value_map": json.dumps({"n": "0", "p": "1", "e": "0", "c": "none"})},
    ], "“Amount (amount | number)” holds numbers, but the value mapping turns “canceled” into “none”. Please enter a "
       "number."),
    refused("add_to_list_on_a_number", "deals", ("order_code", "pretix_order_id"), DEAL_BASICS + [
        {"pretix_field": "order_total", "external_field": "amount", "overwrite": MODE_APPEND_LIST},
    ], "“Add to list” does not work with “Amount (amount | number)”, which holds numbers. Please choose another "
       "mode."),
])
def test_property_row_is_refused(request, admin_client, object_type, identifier, rows, message):
    assert_refused(request, admin_client, object_type, identifier, rows, message)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"p": 3}'])
def test_malformed_value_map(admin_client, deals, raw):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage", "value_map": raw},
    ])
    assert_rejected(response, deals, "The value mapping of this row is malformed.")


# --- What HubSpot needs per object type ------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("object_type,identifier,rows,message", [
    refused("deals_need_a_name", "deals", ("order_code", "pretix_order_id"), DEAL_BASICS[1:],
            "HubSpot needs a name for every deal. Please add a row that fills “Deal name” (dealname), e.g. from "
            "“Event and order code”."),
    refused("deals_need_a_stage", "deals", ("order_code", "pretix_order_id"), DEAL_BASICS[:1],
            "HubSpot needs a stage for every deal. Please add a row that fills “Deal stage” (dealstage), e.g. from "
            "“Order status”"),
])
def test_required_property_missing_is_refused(request, admin_client, object_type, identifier, rows, message):
    assert_refused(request, admin_client, object_type, identifier, rows, message)


@pytest.mark.django_db
def test_contacts_without_email_warn(admin_client, contacts):
    response = save(admin_client, contacts, ("order_code", "pretix_order_id"),
                    [{"pretix_field": "invoice_address_city", "external_field": "city"}])
    assert "Your changes have been saved. Please have a look at the notes below." in messages_of(response)
    assert "HubSpot identifies contacts by their e-mail address." in response.content.decode()
    contacts.refresh_from_db()
    assert contacts.property_mappings[0]["external_field"] == "city"


@pytest.mark.django_db
def test_a_property_filled_twice_warns(admin_client, contacts):
    response = save(admin_client, contacts, ("order_code", "pretix_order_id"), [
        {"pretix_field": "email", "external_field": "email"},
        {"pretix_field": "invoice_address_company", "external_field": "company"},
        {"pretix_field": "invoice_address_name", "external_field": "company"},
    ])
    assert "is filled by more than one row; the last row wins." in response.content.decode()


# --- Malformed posts -------------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("tamper", [
    {"properties-0-overwrite": "replace-everything"},
    {"properties-0-pretix_field": "secret_field"},
    {"properties-TOTAL_FORMS": "many"},
    {"properties-0-ORDER": "top"},
    {"identifier-pretix_id_field": "order_code'; DROP TABLE"},
])
def test_malformed_editor_posts_are_rejected(admin_client, contacts, tamper):
    data = editor_post(("order_code", "pretix_order_id"), [{"pretix_field": "email", "external_field": "email"}], 0)
    data.update(tamper)
    response = admin_client.post(edit_url(contacts), data)
    assert response.status_code == 200
    assert "We could not save your changes. See below for details." in messages_of(response)
    contacts.refresh_from_db()
    assert contacts.property_mappings == []


@pytest.mark.django_db
def test_editor_post_without_management_form(admin_client, contacts):
    response = admin_client.post(edit_url(contacts), {"identifier-pretix_id_field": "order_code"})
    assert response.status_code == 200
    contacts.refresh_from_db()
    assert contacts.pretix_id_field == ""


@pytest.mark.django_db
def test_unknown_mapping_id(admin_client, connected_event):
    url = f"/control/event/{connected_event.organizer.slug}/{connected_event.slug}/hubspot/mappings/999999/"
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {}).status_code == 404
