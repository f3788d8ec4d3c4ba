"""The object mapping list on the settings page and the mapping editor, against the HubSpot sandbox."""
import json

import pytest
from django_scopes import scopes_disabled
from pretix.base.models.datasync import MODE_OVERWRITE, MODE_SET_IF_EMPTY

from tests.helpers.mappings import (
    DEAL_STAGE_MAP, add_identifier_property, add_order_id_property, base_url, edit_url, editor_post, list_post,
    log_actions, make_mapping, mappings_of, messages_of, select2_properties,
)


# --- The "Object mappings" list on the settings page ------------------------------------------------------------------
@pytest.mark.django_db
def test_settings_page_lists_mappings_with_edit_and_delete(admin_client, connected_event):
    contacts = make_mapping(connected_event, "Order", "contacts", position=0)
    deals = make_mapping(connected_event, "Order", "deals", position=1)
    html = admin_client.get(base_url(connected_event)).content.decode()
    assert "Object mappings" in html
    assert "Edit mapping Order → Contacts" in html
    assert "Edit mapping Order → Deals" in html
    assert f'href="{edit_url(contacts)}"' in html and f'href="{edit_url(deals)}"' in html
    assert html.count("data-formset-delete-button") >= 2
    assert "Add mapping" in html
    assert "pretix object type" in html and "HubSpot object type" in html


@pytest.mark.django_db
def test_first_entry_is_ready_and_saving_creates_it(admin_client, connected_event):
    # Right after connecting, the guide says "Click the Save button": the first entry is there, unsaved.
    html = admin_client.get(base_url(connected_event)).content.decode()
    assert "Save to edit the properties" in html
    assert 'name="mappings-0-pretix_model"' in html
    assert mappings_of(connected_event) == []

    response = admin_client.post(base_url(connected_event) + "mappings/", list_post([{}]), follow=True)
    assert "Your changes have been saved." in messages_of(response)
    (mapping,) = mappings_of(connected_event)
    assert (mapping.pretix_model, mapping.external_object_type) == ("Order", "contacts")
    assert f'href="{edit_url(mapping)}"' in response.content.decode()
    assert log_actions(connected_event) == ["pretix_hubspot.mapping.created"]


@pytest.mark.django_db
def test_add_mapping(admin_client, connected_event):
    first = make_mapping(connected_event, "Order", "contacts")
    data = list_post([{"id": first.pk}, {"pretix_model": "OrderPosition", "external_object_type": "contacts"},
                      {"pretix_model": "Order", "external_object_type": "deals"}], initial=1)
    assert admin_client.post(base_url(connected_event) + "mappings/", data).status_code == 302
    assert [(m.pretix_model, m.external_object_type, m.position) for m in mappings_of(connected_event)] == [
        ("Order", "contacts", 0), ("OrderPosition", "contacts", 1), ("Order", "deals", 2),
    ]
    assert log_actions(connected_event) == ["pretix_hubspot.mapping.created"] * 2


@pytest.mark.django_db
def test_a_new_deals_mapping_is_associated_with_the_contacts_like_before(admin_client, connected_event):
    # Following the guide (Order → Contacts, then Order → Deals) still links each deal with its buyer and attendees.
    buyer = make_mapping(connected_event, "Order", "contacts", position=0)
    data = list_post([{"id": buyer.pk}, {"pretix_model": "OrderPosition", "external_object_type": "contacts"},
                      {"pretix_model": "Order", "external_object_type": "deals"}], initial=1)
    assert admin_client.post(base_url(connected_event) + "mappings/", data).status_code == 302
    buyer, attendees, deals = mappings_of(connected_event)
    assert buyer.associations == [] and attendees.associations == []
    assert sorted(row["to_mapping"] for row in deals.associations) == sorted([buyer.pk, attendees.pk])
    assert all(row["type_id"] is None and not row["remove_stale"] for row in deals.associations)


@pytest.mark.django_db
def test_reorder_mappings(admin_client, connected_event):
    deals = make_mapping(connected_event, "Order", "deals", position=0)
    contacts = make_mapping(connected_event, "Order", "contacts", position=1)
    data = list_post([{"id": deals.pk, "external_object_type": "deals", "order": 2},
                      {"id": contacts.pk, "order": 1}])
    assert admin_client.post(base_url(connected_event) + "mappings/", data).status_code == 302
    assert [m.pk for m in mappings_of(connected_event)] == [contacts.pk, deals.pk]
    assert log_actions(connected_event) == ["pretix_hubspot.mapping.changed"] * 2


@pytest.mark.django_db
def test_delete_mapping_from_the_list(admin_client, connected_event):
    keep = make_mapping(connected_event, "Order", "contacts", position=0)
    gone = make_mapping(connected_event, "Order", "deals", position=1)
    data = list_post([{"id": keep.pk}, {"id": gone.pk, "external_object_type": "deals", "delete": True}])
    assert admin_client.post(base_url(connected_event) + "mappings/", data).status_code == 302
    assert [m.pk for m in mappings_of(connected_event)] == [keep.pk]
    assert log_actions(connected_event) == ["pretix_hubspot.mapping.deleted"]


@pytest.mark.django_db
def test_delete_mapping_after_confirmation(admin_client, connected_event):
    mapping = make_mapping(connected_event, "Order", "deals")
    page = admin_client.get(edit_url(mapping) + "delete/")
    assert page.status_code == 200
    assert "Are you sure you want to delete the mapping" in page.content.decode()
    assert mappings_of(connected_event) == [mapping]  # showing the question deletes nothing
    response = admin_client.post(edit_url(mapping) + "delete/", follow=True)
    assert "The mapping has been deleted." in messages_of(response)
    assert mappings_of(connected_event) == []
    assert log_actions(connected_event) == ["pretix_hubspot.mapping.deleted"]


@pytest.mark.django_db
def test_changing_object_type_must_fit_the_existing_properties(admin_client, connected_event, hubspot):
    mapping = make_mapping(connected_event, "Order", "contacts", identifier=("email", "email"),
                           rows=[("invoice_address_city", "city", "", MODE_OVERWRITE)])
    response = admin_client.post(base_url(connected_event) + "mappings/",
                                 list_post([{"id": mapping.pk, "external_object_type": "deals"}]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "We could not save your changes." in html
    assert "do not fit the new object types" in html
    mapping.refresh_from_db()
    assert mapping.external_object_type == "contacts"

    # Without properties, the object type of a mapping may change freely.
    empty = make_mapping(connected_event, "Order", "contacts", position=1)
    response = admin_client.post(base_url(connected_event) + "mappings/", list_post([
        {"id": mapping.pk}, {"id": empty.pk, "pretix_model": "OrderPosition"},
    ]))
    assert response.status_code == 302
    empty.refresh_from_db()
    assert empty.pretix_model == "OrderPosition"


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", [
    {"mappings-0-pretix_model": "Invoice"},
    {"mappings-0-external_object_type": "products"},
    {"mappings-0-id": "not-a-number"},
    {"mappings-TOTAL_FORMS": "x"},
    {"mappings-0-ORDER": "first"},
])
def test_list_rejects_malformed_posts(admin_client, connected_event, tamper):
    mapping = make_mapping(connected_event, "Order", "contacts")
    data = list_post([{"id": mapping.pk}])
    data.update(tamper)
    response = admin_client.post(base_url(connected_event) + "mappings/", data)
    assert response.status_code == 200
    assert "We could not save your changes." in response.content.decode()
    assert mappings_of(connected_event) == [mapping]
    assert log_actions(connected_event) == []


@pytest.mark.django_db
def test_list_rejects_a_mapping_of_another_event(admin_client, connected_event, organizer):
    from pretix.base.models import Event
    with scopes_disabled():
        other = Event.objects.create(organizer=organizer, name="Other", slug="other", date_from=connected_event.date_from,
                                     plugins="pretix_hubspot")
    foreign = make_mapping(other, "Order", "deals")
    response = admin_client.post(base_url(connected_event) + "mappings/", list_post([
        {"id": foreign.pk, "external_object_type": "contacts", "delete": False},
    ]))
    assert response.status_code == 200
    assert "This mapping does not exist (any more)." in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.external_object_type == "deals"
    # ... nor delete it, nor open it in this event's editor.
    admin_client.post(base_url(connected_event) + "mappings/", list_post([{"id": foreign.pk, "delete": True}]))
    assert mappings_of(other) == [foreign]
    assert admin_client.get(f"{base_url(connected_event)}mappings/{foreign.pk}/").status_code == 404
    assert admin_client.post(f"{base_url(connected_event)}mappings/{foreign.pk}/delete/").status_code == 404
    assert mappings_of(other) == [foreign]


# --- The mapping editor ----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_editor_shows_identifier_line_and_the_accounts_properties(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot)
    mapping = make_mapping(connected_event, "Order", "contacts", identifier=("order_code", "pretix_order_id"))
    response = admin_client.get(edit_url(mapping))
    assert response.status_code == 200
    html = response.content.decode()
    # The identifier line comes first, with the mode fixed to "Identifier".
    assert html.index('name="identifier-pretix_id_field"') < html.index('name="properties-TOTAL_FORMS"')
    assert '<option selected>Identifier</option>' in html
    assert 'value="order_code" selected' in html
    # The HubSpot fields are the account's, labelled as in the guide, without read-only ones.
    properties = select2_properties(response)
    assert properties["pretix_order_id"]["text"] == "pretix-order-id (pretix_order_id | string)"
    assert properties["email"]["text"] == "Email (email | string)"
    assert "hs_object_id" not in properties and "createdate" not in properties
    # An order mapping offers order fields, not attendee fields.
    assert "Order code [Text (one line)]" in html
    assert 'value="order_code"' in html and 'value="attendee_email"' not in html
    assert "Add property" in html


@pytest.mark.django_db
def test_deal_stage_options_come_from_the_pipeline(admin_client, connected_event, hubspot):
    mapping = make_mapping(connected_event, "Order", "deals")
    properties = select2_properties(admin_client.get(edit_url(mapping)))
    stage_ids = [stage["id"] for stage in hubspot.pipelines()[0]["stages"]]
    assert [value for value, label in properties["dealstage"]["options"]] == stage_ids
    assert properties["dealstage"]["type"] == "enumeration"


@pytest.mark.django_db
def test_edit_add_reorder_and_delete_rows(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot)
    mapping = make_mapping(connected_event, "Order", "contacts")
    rows = [
        {"pretix_field": "email", "external_field": "email"},
        {"pretix_field": "invoice_address_city", "external_field": "city", "overwrite": MODE_SET_IF_EMPTY},
        {"pretix_field": "invoice_address_company", "external_field": "company"},
    ]
    response = admin_client.post(edit_url(mapping), editor_post(("order_code", "pretix_order_id"), rows, 0),
                                 follow=True)
    assert "Your changes have been saved." in messages_of(response)
    mapping.refresh_from_db()
    assert (mapping.pretix_id_field, mapping.external_id_field) == ("order_code", "pretix_order_id")
    assert mapping.property_mappings == [
        {"pretix_field": "email", "external_field": "email", "value_map": "", "overwrite": MODE_OVERWRITE},
        {"pretix_field": "invoice_address_city", "external_field": "city", "value_map": "",
         "overwrite": MODE_SET_IF_EMPTY},
        {"pretix_field": "invoice_address_company", "external_field": "company", "value_map": "",
         "overwrite": MODE_OVERWRITE},
    ]
    # The page shows the rows as saved.
    html = response.content.decode()
    assert 'name="properties-TOTAL_FORMS" value="3"' in html

    # Move the company up to the top, delete the city row.
    rows[2]["order"], rows[0]["order"] = 1, 2
    rows[1]["delete"] = True
    assert admin_client.post(edit_url(mapping), editor_post(("order_code", "pretix_order_id"), rows)).status_code == 302
    mapping.refresh_from_db()
    assert [r["external_field"] for r in mapping.property_mappings] == ["company", "email"]
    assert log_actions(connected_event) == ["pretix_hubspot.mapping.changed"] * 2


@pytest.mark.django_db
def test_value_map_for_deal_stage(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot, "deals")
    mapping = make_mapping(connected_event, "Order", "deals")
    page = admin_client.get(edit_url(mapping)).content.decode()
    # The dialog pretix's rows point at is there, with the script that fills it and pretix's choice options.
    assert 'id="editValueMapModal"' in page
    assert "pretix_hubspot/mappings.js" in page
    assert 'data-external-fields="#propertiesexternal-fields"' in page
    start = page.index('<script id="hubspot-pretix-fields" type="application/json">')
    info = json.loads(page[page.index(">", start) + 1:page.index("</script>", start)])
    assert [k for k, label in info["order_status"]["options"]] == ["n", "p", "e", "c"]

    value_map = json.dumps(DEAL_STAGE_MAP)
    response = admin_client.post(edit_url(mapping), editor_post(("order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage", "value_map": value_map},
    ]), follow=True)
    assert "Your changes have been saved." in messages_of(response)
    mapping.refresh_from_db()
    assert json.loads(mapping.property_mappings[1]["value_map"]) == DEAL_STAGE_MAP
    # The editor hands the stored value map back to the dialog.
    assert 'name="properties-1-value_map"' in response.content.decode()
    assert json.loads(response.context["formset"].forms[1]["value_map"].value()) == DEAL_STAGE_MAP


@pytest.mark.django_db
@pytest.mark.parametrize("pretix_model,object_type,identifier,expected", [
    ("Order", "contacts", ("order_code", "pretix_order_id"),
     [("email", "email"), ("invoice_address_name_given_name", "firstname"),
      ("invoice_address_name_family_name", "lastname"), ("invoice_address_company", "company"),
      ("invoice_address_street", "address"), ("invoice_address_zipcode", "zip"), ("invoice_address_city", "city"),
      ("invoice_address_country", "country")]),
    ("Order", "deals", ("order_code", "pretix_order_id"),
     [("event_order_code", "dealname"), ("order_total", "amount"), ("payment_date", "closedate"),
      ("order_status", "dealstage")]),
    ("OrderPosition", "contacts", ("attendee_email", "email"),
     [("attendee_name_given_name", "firstname"), ("attendee_name_family_name", "lastname"),
      ("attendee_company", "company")]),

    ("Order", "companies", ("invoice_address_company_key", "pretix_company_id"),
     [("invoice_address_company", "name"), ("invoice_address_street", "address"),
      ("invoice_address_zipcode", "zip"), ("invoice_address_city", "city"), ("invoice_address_country", "country")]),
    ("OrderPosition", "line_items", ("ticket_id", "pretix_order_id"),
     [("product", "name"), ("ticket_price", "price"), ("hubspot_product_id", "hs_product_id")]),
    ("Order", "tickets", ("order_code", "pretix_order_id"),
     [("event_order_code", "subject"), ("order_status", "hs_pipeline"), ("order_status", "hs_pipeline_stage")]),
])
def test_starter_sets(admin_client, connected_event, hubspot, pretix_model, object_type, identifier, expected):
    add_identifier_property(hubspot, object_type)
    mapping = make_mapping(connected_event, pretix_model, object_type)
    page = admin_client.get(edit_url(mapping))
    assert "Fill in suggested properties" in page.content.decode()

    # Filling in stores nothing yet: the organizer reviews the rows first.
    page = admin_client.get(edit_url(mapping) + "?starter=1")
    assert "Suggested properties have been filled in" in page.content.decode()
    formset = page.context["formset"]
    suggested = [(f.initial["pretix_field"], f.initial["external_field"]) for f in formset.forms]
    assert suggested == expected
    assert (page.context["identifier_form"].initial["pretix_id_field"],
            page.context["identifier_form"].initial["external_id_field"]) == identifier
    mapping.refresh_from_db()
    assert mapping.property_mappings == []

    rows = [dict(f.initial) for f in formset.forms]
    if object_type == "deals":
        # Order status → deal stage arrives with a value map onto the account's pipeline.
        assert json.loads(rows[-1]["value_map"]) == DEAL_STAGE_MAP
    if object_type == "tickets":
        # Order status → the default ticket pipeline ("Support Pipeline", id 0) and its stages: a pending order's
        # ticket is "New", the ticket of a paid, expired or canceled one "Closed".
        assert json.loads(rows[1]["value_map"]) == {"n": "0", "p": "0", "e": "0", "c": "0"}
        assert json.loads(rows[2]["value_map"]) == {"n": "1", "p": "4", "e": "4", "c": "4"}
    response = admin_client.post(edit_url(mapping), editor_post(identifier, rows, 0), follow=True)
    assert "Your changes have been saved." in messages_of(response)
    mapping.refresh_from_db()
    assert [(r["pretix_field"], r["external_field"]) for r in mapping.property_mappings] == expected
    # Once the mapping has properties, it is not offered again.
    assert "Fill in suggested properties" not in admin_client.get(edit_url(mapping)).content.decode()


@pytest.mark.django_db
def test_starter_set_leaves_out_properties_the_account_lacks(admin_client, connected_event, hubspot):
    hubspot.delete_property("contacts", "zip")
    mapping = make_mapping(connected_event, "Order", "contacts")
    page = admin_client.get(edit_url(mapping) + "?starter=1")
    suggested = [f.initial["external_field"] for f in page.context["formset"].forms]
    assert "zip" not in suggested and "city" in suggested
    # The identifier property does not exist yet: the page says so and offers to create it.
    html = page.content.decode()
    assert "The property “pretix_order_id” does not exist for contacts in your HubSpot account." in html
    assert 'action="/control/event/techevents/pyconf/hubspot/identifier-property/"' in html


@pytest.mark.django_db
def test_companies_starter_set_offers_to_create_pretix_company_id(admin_client, connected_event, hubspot):
    mapping = make_mapping(connected_event, "Order", "companies")
    page = admin_client.get(edit_url(mapping) + "?starter=1")
    assert (page.context["identifier_form"].initial["pretix_id_field"],
            page.context["identifier_form"].initial["external_id_field"]) == (
        "invoice_address_company_key", "pretix_company_id")
    html = page.content.decode()
    assert "The property “pretix_company_id” does not exist for companies in your HubSpot account." in html
    assert "Create the property “pretix-company-id” with unique values for Companies in HubSpot" in " ".join(
        html.split())


# --- HubSpot cannot be reached ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_editor_renders_with_a_notice_when_hubspot_fails(admin_client, connected_event, hubspot):
    mapping = make_mapping(connected_event, "Order", "contacts", identifier=("email", "email"))
    hubspot.error_rate(503, 1.0, path_prefix="/crm/properties/2026-09")
    response = admin_client.get(edit_url(mapping))
    assert response.status_code == 200
    html = response.content.decode()
    assert "HubSpot could not be reached. Please try again in a few minutes." in html
    # The fields can still be typed in …
    assert '<input type="text" name="properties-0-external_field"' not in html  # no rows yet
    assert '<input type="text" name="identifier-external_id_field"' in html
    # … and saving keeps what can be checked without HubSpot, and says what was not checked.
    response = admin_client.post(edit_url(mapping), editor_post(("email", "email"), [
        {"pretix_field": "invoice_address_city", "external_field": "city"},
    ]), follow=True)
    assert "Your changes have been saved, but HubSpot could not be asked, so the HubSpot fields have not been " \
           "checked." in messages_of(response)
    mapping.refresh_from_db()
    assert mapping.property_mappings[0]["external_field"] == "city"


@pytest.mark.django_db
def test_editor_renders_with_a_notice_when_hubspot_is_down(admin_client, connected_event, hubspot):
    from pretix.base.settings import GlobalSettingsObject
    mapping = make_mapping(connected_event, "Order", "contacts")
    # Nothing listens on port 9 of this machine.
    GlobalSettingsObject().settings.set("hubspot_api_url", "http://127.0.0.1:9")
    response = admin_client.get(edit_url(mapping))
    assert response.status_code == 200
    assert "HubSpot could not be reached." in response.content.decode()


@pytest.mark.django_db
def test_editor_asks_to_reconnect_when_hubspot_rejects_the_connection(admin_client, connected_event, connection):
    connection.needs_reconnect = True
    connection.save()
    mapping = make_mapping(connected_event, "Order", "contacts")
    response = admin_client.get(edit_url(mapping))
    assert response.status_code == 200
    assert "Please reconnect to HubSpot on this page." in response.content.decode()


# --- Caching of HubSpot's fields -------------------------------------------------------------------------------------

@pytest.fixture
def real_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "pretix-hubspot-mapping-tests"}}
    from django.core.cache import cache
    cache.clear()
    yield cache
    cache.clear()


@pytest.mark.django_db
def test_hubspot_fields_are_cached_and_can_be_refreshed(admin_client, connected_event, hubspot, real_cache):
    mapping = make_mapping(connected_event, "Order", "deals")
    assert admin_client.get(edit_url(mapping)).status_code == 200
    assert admin_client.get(edit_url(mapping)).status_code == 200
    assert hubspot.request_count("GET", "/crm/properties/2026-09/deals") == 1
    assert hubspot.request_count("GET", "/crm/pipelines/2026-09/deals") == 1

    # A property created in HubSpot shows up after "refresh".
    add_order_id_property(hubspot, "deals")
    assert "pretix_order_id" not in select2_properties(admin_client.get(edit_url(mapping)))
    response = admin_client.post(base_url(connected_event) + "mappings/refresh-fields/", {"next": edit_url(mapping)})
    assert response.status_code == 302 and response["Location"] == edit_url(mapping)
    assert "pretix_order_id" in select2_properties(admin_client.get(edit_url(mapping)))
    assert hubspot.request_count("GET", "/crm/properties/2026-09/deals") == 2

    # "next" only leads back into this pretix.
    response = admin_client.post(base_url(connected_event) + "mappings/refresh-fields/",
                                 {"next": "https://evil.example/"})
    assert response["Location"] == base_url(connected_event)


@pytest.mark.django_db
def test_cache_is_per_hubspot_account(admin_client, connected_event, hubspot, real_cache, connection):
    from pretix_hubspot.hubspot_api import schema
    first = schema.get_properties(connection, "contacts")
    hubspot.add_property("contacts", "badge", "Badge", "string", "text", portal_id=hubspot.SECOND_PORTAL_ID)
    tokens = hubspot.issue_tokens(hubspot.SECOND_PORTAL_ID)
    from pretix_hubspot.models import HubSpotConnection
    other = HubSpotConnection(organizer=connection.organizer, portal_id=hubspot.SECOND_PORTAL_ID,
                              access_token_expires=connection.access_token_expires, scopes=tokens["scopes"])
    other.access_token = tokens["access_token"]
    other.refresh_token = tokens["refresh_token"]
    other.save()
    assert "badge" not in first
    assert "badge" in schema.get_properties(other, "contacts")


# --- Permissions -----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_readonly_users_cannot_see_or_change_mappings(readonly_client, connected_event):
    mapping = make_mapping(connected_event, "Order", "contacts")
    assert readonly_client.get(edit_url(mapping)).status_code == 403
    assert readonly_client.post(edit_url(mapping), editor_post(("email", "email"), [])).status_code == 403
    assert readonly_client.post(edit_url(mapping) + "delete/").status_code == 403
    assert readonly_client.post(base_url(connected_event) + "mappings/",
                                list_post([{"id": mapping.pk, "delete": True}])).status_code == 403
    assert readonly_client.post(base_url(connected_event) + "mappings/refresh-fields/").status_code == 403
    assert mappings_of(connected_event) == [mapping]
    mapping.refresh_from_db()
    assert mapping.pretix_id_field == ""


@pytest.mark.django_db
def test_changes_need_post(admin_client, connected_event):
    mapping = make_mapping(connected_event, "Order", "contacts")
    assert admin_client.get(base_url(connected_event) + "mappings/").status_code == 302
    assert admin_client.get(base_url(connected_event) + "mappings/refresh-fields/").status_code == 405
    admin_client.get(edit_url(mapping) + "delete/")
    assert mappings_of(connected_event) == [mapping]


# --- Log entries -----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_log_entries_are_shown_through_pretix_log_registry(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot)
    admin_client.post(base_url(connected_event) + "mappings/", list_post([{}]))
    (mapping,) = mappings_of(connected_event)
    admin_client.post(edit_url(mapping), editor_post(("order_code", "pretix_order_id"), [
        {"pretix_field": "email", "external_field": "email"}], 0))
    admin_client.post(edit_url(mapping) + "delete/")
    assert log_actions(connected_event) == ["pretix_hubspot.mapping.created", "pretix_hubspot.mapping.changed",
                                            "pretix_hubspot.mapping.deleted"]
    with scopes_disabled():
        changed = connected_event.logentry_set.get(action_type="pretix_hubspot.mapping.changed")
        assert changed.parsed_data["property_mappings"][0]["external_field"] == "email"
        assert changed.display() == "A HubSpot object mapping has been changed."
    html = admin_client.get(f"/control/event/{connected_event.organizer.slug}/{connected_event.slug}/logs/")
    text = html.content.decode()
    assert "A HubSpot object mapping has been added." in text
    assert "A HubSpot object mapping has been deleted." in text


@pytest.mark.django_db
def test_editor_shows_the_mappings_history(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot)
    mapping = make_mapping(connected_event, "Order", "contacts")
    admin_client.post(edit_url(mapping), editor_post(("order_code", "pretix_order_id"), [
        {"pretix_field": "email", "external_field": "email"}], 0))
    html = admin_client.get(edit_url(mapping)).content.decode()
    assert "History" in html and "A HubSpot object mapping has been changed." in html


# --- Event copy ------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_copying_an_event_copies_its_mappings(connected_event, organizer):
    from pretix.base.models import Event
    with scopes_disabled():
        checkin_list = connected_event.checkin_lists.create(name="Entrance")
        make_mapping(connected_event, "Order", "contacts", identifier=("order_code", "pretix_order_id"),
                     rows=[("email", "email", "", MODE_OVERWRITE)], position=0)
        make_mapping(connected_event, "OrderPosition", "deals", identifier=("ticket_id", "pretix_order_id"),
                     rows=[(f"checkin_date_{checkin_list.pk}", "closedate", "", MODE_SET_IF_EMPTY),
                           ("ticket_status", "dealstage", json.dumps(DEAL_STAGE_MAP), MODE_OVERWRITE)],
                     position=1)
        copy = Event.objects.create(organizer=organizer, name="PyConf 2028", slug="pyconf28",
                                    date_from=connected_event.date_from, plugins=connected_event.plugins)
        copy.copy_data_from(connected_event)
        copied = list(copy.hubspot_object_mappings.order_by("position"))
        new_list = copy.checkin_lists.get(name="Entrance")
    assert [(m.pretix_model, m.external_object_type, m.pretix_id_field) for m in copied] == [
        ("Order", "contacts", "order_code"), ("OrderPosition", "deals", "ticket_id"),
    ]
    assert copied[0].property_mappings[0]["external_field"] == "email"
    # Check-in list fields follow the copied list.
    assert copied[1].property_mappings[0]["pretix_field"] == f"checkin_date_{new_list.pk}"
    assert json.loads(copied[1].property_mappings[1]["value_map"]) == DEAL_STAGE_MAP
    assert mappings_of(connected_event)[1].property_mappings[0]["pretix_field"] == f"checkin_date_{checkin_list.pk}"


# --- The stored mapping in pretix's data-sync framework --------------------------------------------------------------

@pytest.mark.django_db
def test_saved_mappings_round_trip_through_pretix_datasync(admin_client, connected_event, hubspot, order):
    from pretix.base.datasync.sourcefields import EVENT, ORDER, ORDER_POSITION, get_data_fields

    from pretix_hubspot.transfer.sync import HubSpotSync

    add_order_id_property(hubspot, "contacts")
    add_order_id_property(hubspot, "deals")
    admin_client.post(base_url(connected_event) + "mappings/", list_post([
        {"pretix_model": "Order", "external_object_type": "contacts"},
        {"pretix_model": "Order", "external_object_type": "deals"},
        {"pretix_model": "OrderPosition", "external_object_type": "contacts"},
    ], initial=0))
    contacts, deals, attendees = mappings_of(connected_event)
    for mapping in (contacts, deals, attendees):
        page = admin_client.get(edit_url(mapping) + "?starter=1")
        identifier = (page.context["identifier_form"].initial["pretix_id_field"],
                      page.context["identifier_form"].initial["external_id_field"])
        rows = [dict(f.initial) for f in page.context["formset"].forms]
        response = admin_client.post(edit_url(mapping), editor_post(identifier, rows, 0))
        assert response.status_code == 302, response.content.decode()

    with scopes_disabled():
        provider = HubSpotSync(connected_event)
        stored = provider.mappings
        assert [m.pk for m in stored] == [contacts.pk, deals.pk, attendees.pk]
        keys = {f.key for f in get_data_fields(connected_event)}
        order_inputs = {ORDER: order, EVENT: connected_event}
        for mapping in stored[:2]:
            assert {r["pretix_field"] for r in mapping.property_mappings} <= keys
            assert provider.get_field_value(order_inputs, {"pretix_field": mapping.pretix_id_field}) == "ABC12"
        contact_props = dict((f, v) for f, v, mode in provider.get_properties(order_inputs, stored[0].property_mappings))
        assert contact_props["email"] == "jane.doe@example.org"
        assert contact_props["company"] == "Doe Industries"
        assert contact_props["city"] == "Berlin"
        deal_props = {f: v for f, v, mode in provider.get_properties(order_inputs, stored[1].property_mappings)}
        assert deal_props["amount"] == "240.00"
        # The value map turned the paid order into the won stage.
        assert deal_props["dealstage"] in ("closedwon", ["closedwon"])
        position = order.positions.order_by("positionid").first()
        position_inputs = {**order_inputs, ORDER_POSITION: position, "event_or_subevent": connected_event}
        assert provider.get_field_value(position_inputs, {"pretix_field": stored[2].pretix_id_field}) == \
            "jane.doe@example.org"
        attendee_props = {f: v for f, v, mode in provider.get_properties(position_inputs, stored[2].property_mappings)}
        assert attendee_props["firstname"] == "Jane"
        assert attendee_props["lastname"] == "Doe"


@pytest.mark.django_db
def test_a_just_created_identifier_property_is_not_reported_missing(admin_client, connected_event, hubspot, real_cache):
    mapping = make_mapping(connected_event, "Order", "contacts", identifier=("order_code", "pretix_order_id"),
                           rows=[("email", "email", "", MODE_OVERWRITE)])
    assert "does not exist for contacts" in admin_client.get(edit_url(mapping)).content.decode()
    # The organizer creates the property (with the button, or in HubSpot) and comes back to the editor.
    add_order_id_property(hubspot, "contacts")
    response = admin_client.get(edit_url(mapping))
    assert "does not exist for contacts" not in response.content.decode()
    assert "pretix_order_id" in select2_properties(response)
    # Once it is there, the cached answer serves the page again.
    before = hubspot.request_count("GET", "/crm/properties/2026-09/contacts")
    admin_client.get(edit_url(mapping))
    assert hubspot.request_count("GET", "/crm/properties/2026-09/contacts") == before
