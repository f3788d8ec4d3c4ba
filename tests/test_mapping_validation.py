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
def test_identifier_needs_a_pretix_field(admin_client, contacts):
    response = save(admin_client, contacts, ("", "pretix_order_id"), [{"pretix_field": "email", "external_field": "email"}])
    assert_rejected(response, contacts, "Please choose a pretix field.")


@pytest.mark.django_db
def test_identifier_cannot_be_a_choice_field(admin_client, contacts):
    response = save(admin_client, contacts, ("order_status", "pretix_order_id"),
                    [{"pretix_field": "email", "external_field": "email"}])
    assert_rejected(response, contacts, "“Order status” is a choice field and cannot identify a record.")


# --- pretix fields ---------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_position_field_cannot_be_used_on_an_order_mapping(admin_client, contacts):
    response = save(admin_client, contacts, ("order_code", "pretix_order_id"),
                    [{"pretix_field": "attendee_email", "external_field": "email"}])
    assert_rejected(response, contacts, "“Attendee email” belongs to a single ticket (order position), but this "
                                        "mapping exports orders. Choose an order field instead, or add a mapping for "
                                        "the pretix object type “Order position”.")


@pytest.mark.django_db
def test_position_field_as_identifier_of_an_order_mapping(admin_client, contacts):
    response = save(admin_client, contacts, ("ticket_id", "pretix_order_id"),
                    [{"pretix_field": "email", "external_field": "email"}])
    assert_rejected(response, contacts, "“Order code and position number” belongs to a single ticket")


@pytest.mark.django_db
def test_row_without_pretix_field(admin_client, contacts):
    response = save(admin_client, contacts, ("order_code", "pretix_order_id"),
                    [{"pretix_field": "", "external_field": "email"}])
    assert_rejected(response, contacts, "Please choose a pretix field.")


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
def test_property_must_exist(admin_client, contacts):
    response = save(admin_client, contacts, ("order_code", "pretix_order_id"),
                    [{"pretix_field": "email", "external_field": "email"},
                     {"pretix_field": "invoice_address_city", "external_field": "town"}])
    assert_rejected(response, contacts, "The property “town” does not exist for contacts in your HubSpot account.")


@pytest.mark.django_db
def test_read_only_property_is_refused(admin_client, contacts):
    response = save(admin_client, contacts, ("order_code", "pretix_order_id"),
                    [{"pretix_field": "email", "external_field": "email"},
                     {"pretix_field": "order_date", "external_field": "createdate"}])
    assert_rejected(response, contacts, "HubSpot does not allow writing to “Create Date (createdate | datetime)”.")


@pytest.mark.django_db
def test_text_into_number(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"),
                    DEAL_BASICS + [{"pretix_field": "email", "external_field": "amount"}])
    assert_rejected(response, deals, "“Order email [Text (one line)]” cannot be written into “Amount (amount | "
                                     "number)”: that HubSpot property holds numbers. Choose a pretix field of type "
                                     "Number (e.g. Order total) or another HubSpot property.")


@pytest.mark.django_db
def test_text_into_date(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"),
                    DEAL_BASICS + [{"pretix_field": "event_name", "external_field": "closedate"}])
    assert_rejected(response, deals, "“Event name [Text (one line)]” cannot be written into “Close Date (closedate "
                                     "| datetime)”: that HubSpot property holds dates and times.")


@pytest.mark.django_db
def test_non_choice_into_enumeration(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "event_name", "external_field": "dealstage"},
    ])
    assert_rejected(response, deals, "that HubSpot property holds one of a fixed list of options. Choose a pretix "
                                     "choice field (e.g. Order status) and map its options")


@pytest.mark.django_db
def test_choice_into_enumeration_needs_a_value_map(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage"},
    ])
    assert_rejected(response, deals, "“Deal Stage (dealstage | enumeration)” only accepts its own options, and "
                                     "pretix's “pending” is not one of them.")


@pytest.mark.django_db
def test_value_map_must_use_existing_stages(admin_client, deals):
    value_map = dict(DEAL_STAGE_MAP, p="won-big")
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage", "value_map": json.dumps(value_map)},
    ])
    assert_rejected(response, deals, "“won-big” is not an option of “Deal Stage (dealstage | enumeration)” in your "
                                     "HubSpot account (used for “paid”). Please choose one of: Appointment Scheduled")


@pytest.mark.django_db
def test_value_map_must_cover_every_option(admin_client, deals):
    value_map = {k: v for k, v in DEAL_STAGE_MAP.items() if k != "e"}
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage", "value_map": json.dumps(value_map)},
    ])
    assert_rejected(response, deals, "The value mapping of “Order status” has no HubSpot value for “expired”; orders "
                                     "with that value could not be transferred.")


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"p": 3}'])
def test_malformed_value_map(admin_client, deals, raw):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage", "value_map": raw},
    ])
    assert_rejected(response, deals, "The value mapping of this row is malformed.")


@pytest.mark.django_db
def test_value_map_with_unknown_pretix_option(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage",
         "value_map": json.dumps(dict(DEAL_STAGE_MAP, x="closedwon"))},
    ])
    assert_rejected(response, deals, "names options that do not exist in pretix: x.")


@pytest.mark.django_db
def test_value_map_into_a_number_needs_numbers(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), DEAL_BASICS + [
        {"pretix_field": "order_status", "external_field": "amount",
         "value_map": json.dumps({"n": "0", "p": "1", "e": "0", "c": "none"})},
    ])
    assert_rejected(response, deals, "“Amount (amount | number)” holds numbers, but the value mapping turns "
                                     "“canceled” into “none”. Please enter a number.")


@pytest.mark.django_db
def test_add_to_list_on_a_number(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), DEAL_BASICS + [
        {"pretix_field": "order_total", "external_field": "amount", "overwrite": MODE_APPEND_LIST},
    ])
    assert_rejected(response, deals, "“Add to list” does not work with “Amount (amount | number)”, which holds "
                                     "numbers. Please choose another mode.")


# --- What HubSpot needs per object type ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_deals_need_a_name(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), DEAL_BASICS[1:])
    assert_rejected(response, deals, "HubSpot needs a name for every deal. Please add a row that fills “Deal name” "
                                     "(dealname), e.g. from “Event and order code”.")


@pytest.mark.django_db
def test_deals_need_a_stage(admin_client, deals):
    response = save(admin_client, deals, ("order_code", "pretix_order_id"), DEAL_BASICS[:1])
    assert_rejected(response, deals, "HubSpot needs a stage for every deal. Please add a row that fills “Deal stage” "
                                     "(dealstage), e.g. from “Order status”")


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
