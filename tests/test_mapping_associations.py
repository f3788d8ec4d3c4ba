"""The mapping editor's "Association setup": choosing earlier mappings and the account's association labels,
validation on save, log entries and event copy, against the HubSpot sandbox."""
import json

import pytest
from django_scopes import scopes_disabled
from pretix.base.models.datasync import MODE_OVERWRITE

from tests.helpers.mappings import (
    DEAL_STAGE_MAP, add_order_id_property, edit_url, editor_post, log_actions, make_mapping, messages_of,
)

pytestmark = pytest.mark.django_db

DEAL_ROWS = [("event_order_code", "dealname", "", MODE_OVERWRITE)]


def association_post(*rows, initial=0):
    """POST data of the association rows: (target value, remove stale); ``initial`` rows were stored before."""
    data = {"associations-TOTAL_FORMS": str(len(rows)), "associations-INITIAL_FORMS": str(initial),
            "associations-MIN_NUM_FORMS": "0", "associations-MAX_NUM_FORMS": "1000"}
    for i, (target, remove_stale) in enumerate(rows):
        data[f"associations-{i}-target"] = target
        if remove_stale:
            data[f"associations-{i}-remove_stale"] = "on"
    return data


def deal_post(*rows, initial=0):
    return {**editor_post(("event_order_code", "pretix_order_id"), [
        {"pretix_field": "event_order_code", "external_field": "dealname"},
        {"pretix_field": "order_status", "external_field": "dealstage", "value_map": json.dumps(DEAL_STAGE_MAP)},
    ]), **association_post(*rows, initial=initial)}


@pytest.fixture
def three_mappings(connected_event, hubspot):
    """Order → Contacts, Order → Companies, Order → Deals (the one being edited)."""
    for object_type in ("contacts", "companies", "deals"):
        add_order_id_property(hubspot, object_type)
    contacts = make_mapping(connected_event, "Order", "contacts", ("event_order_code", "pretix_order_id"),
                            [("email", "email", "", MODE_OVERWRITE)], position=0)
    companies = make_mapping(connected_event, "Order", "companies", ("invoice_address_company", "pretix_order_id"),
                             [("invoice_address_company", "name", "", MODE_OVERWRITE)], position=1)
    deals = make_mapping(connected_event, "Order", "deals", ("event_order_code", "pretix_order_id"), DEAL_ROWS,
                         position=2)
    return contacts, companies, deals


def test_first_mapping_has_nothing_to_associate_with(admin_client, three_mappings):
    contacts, companies, deals = three_mappings
    html = admin_client.get(edit_url(contacts)).content.decode()
    assert "Association setup" in html
    assert "Multiple object mappings will be evaluated in order. Associations can reference all objects created " \
           "earlier on." in html
    assert "data-hubspot-no-earlier-mappings" in html


def test_editor_offers_the_accounts_labels_of_earlier_mappings(admin_client, three_mappings, hubspot):
    contacts, companies, deals = three_mappings
    hubspot.add_association_label("deals", "contacts", "Buyer")
    html = admin_client.get(edit_url(deals)).content.decode()
    assert f'<option value="{companies.pk}:HUBSPOT_DEFINED:5">2. Order → Companies: Primary</option>' in html
    assert f'<option value="{companies.pk}::">2. Order → Companies: Associated (no label)</option>' in html
    assert f'<option value="{contacts.pk}::">1. Order → Contacts: Associated (no label)</option>' in html
    assert '">1. Order → Contacts: Buyer</option>' in html
    assert "Remove associations that no longer hold" in html
    # The companies mapping comes before the deals: it can only associate with the contacts.
    html = admin_client.get(edit_url(companies)).content.decode()
    assert f'value="{deals.pk}::"' not in html and f'value="{contacts.pk}:HUBSPOT_DEFINED:2"' in html


def test_saving_the_primary_company_and_a_custom_label(admin_client, three_mappings, hubspot):
    contacts, companies, deals = three_mappings
    __, buyer = hubspot.add_association_label("contacts", "deals", "Buyer", inverse_label="Bought by")
    response = admin_client.post(edit_url(deals), deal_post((f"{companies.pk}:HUBSPOT_DEFINED:5", False),
                                                            (f"{contacts.pk}:USER_DEFINED:{buyer}", True)),
                                 follow=True)
    assert "Your changes have been saved." in messages_of(response)
    with scopes_disabled():
        deals.refresh_from_db()
    assert deals.associations == [
        {"to_mapping": companies.pk, "category": "HUBSPOT_DEFINED", "type_id": 5, "label": "Primary",
         "remove_stale": False},
        {"to_mapping": contacts.pk, "category": "USER_DEFINED", "type_id": buyer, "label": "Bought by",
         "remove_stale": True},
    ]
    assert log_actions(deals.event) == ["pretix_hubspot.mapping.changed"]
    # The saved rows are shown again, with a new empty row to add one.
    html = response.content.decode()
    assert f'<option value="{companies.pk}:HUBSPOT_DEFINED:5" selected>2. Order → Companies: Primary</option>' in html
    assert 'name="associations-TOTAL_FORMS" value="3"' in html

    # Removing a row.
    data = deal_post((f"{companies.pk}:HUBSPOT_DEFINED:5", False), (f"{contacts.pk}:USER_DEFINED:{buyer}", True),
                     initial=2)
    data["associations-1-DELETE"] = "on"
    assert admin_client.post(edit_url(deals), data).status_code == 302
    with scopes_disabled():
        deals.refresh_from_db()
    assert [r["type_id"] for r in deals.associations] == [5]


@pytest.mark.parametrize("target, message", [
    ("later", "Associations can only refer to a mapping that is evaluated before this one."),
    ("999999::", "Associations can only refer to a mapping that is evaluated before this one."),
    ("companies:HUBSPOT_DEFINED:1", "The HubSpot account has no such association label (any more)."),
    ("contacts:USER_DEFINED:987", "The HubSpot account has no such association label (any more)."),
    ("twice", "This association is set up twice."),
])
def test_invalid_rows_are_not_saved(admin_client, three_mappings, connected_event, target, message):
    contacts, companies, deals = three_mappings
    later = make_mapping(connected_event, "Order", "contacts", ("event_order_code", "pretix_order_id"),
                         [("email", "email", "", MODE_OVERWRITE)], position=3)
    rows = {
        "later": [(f"{later.pk}::", False)],
        "twice": [(f"{contacts.pk}::", False), (f"{contacts.pk}::", True)],
    }.get(target) or [(target.replace("companies", str(companies.pk)).replace("contacts", str(contacts.pk)), False)]
    response = admin_client.post(edit_url(deals), deal_post(*rows))
    assert response.status_code == 200
    assert "We could not save your changes. See below for details." in messages_of(response)
    assert message in response.content.decode()
    with scopes_disabled():
        deals.refresh_from_db()
    assert deals.associations == []


def test_a_pair_hubspot_cannot_associate_is_refused(admin_client, connected_event, hubspot):
    add_order_id_property(hubspot, "line_items")
    attendees = make_mapping(connected_event, "OrderPosition", "contacts", ("attendee_email", "email"),
                             [("attendee_email", "email", "", MODE_OVERWRITE)], position=0)
    line_items = make_mapping(connected_event, "OrderPosition", "line_items", ("ticket_id", "pretix_order_id"),
                              [("product", "name", "", MODE_OVERWRITE)], position=1)
    data = {**editor_post(("ticket_id", "pretix_order_id"), [{"pretix_field": "product", "external_field": "name"}]),
            **association_post((f"{attendees.pk}::", False))}
    response = admin_client.post(edit_url(line_items), data)
    assert "HubSpot cannot associate Line items with Contacts. Please remove this row." in response.content.decode()
    # Nor does the editor offer it.
    html = admin_client.get(edit_url(line_items)).content.decode()
    assert f'value="{attendees.pk}::"' not in html


def test_copying_an_event_copies_the_association_setup(connected_event, organizer, three_mappings):
    from pretix.base.models import Event
    contacts, companies, deals = three_mappings
    with scopes_disabled():
        deals.associations = [{"to_mapping": companies.pk, "category": "HUBSPOT_DEFINED", "type_id": 5,
                               "label": "Primary", "remove_stale": True},
                              {"to_mapping": contacts.pk, "category": "", "type_id": None, "label": "",
                               "remove_stale": False}]
        deals.save()
        copy = Event.objects.create(organizer=organizer, name="PyConf 2028", slug="pyconf28",
                                    date_from=connected_event.date_from, plugins=connected_event.plugins)
        copy.copy_data_from(connected_event)
        new_contacts, new_companies, new_deals = list(copy.hubspot_object_mappings.order_by("position"))
    assert new_deals.associations == [
        {"to_mapping": new_companies.pk, "category": "HUBSPOT_DEFINED", "type_id": 5, "label": "Primary",
         "remove_stale": True},
        {"to_mapping": new_contacts.pk, "category": "", "type_id": None, "label": "", "remove_stale": False},
    ]
