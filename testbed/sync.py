"""Mappings as the guide describes them, queueing and running pretix's sync queue, reading what was sent (tests, tools)."""
from django_scopes import scopes_disabled
from pretix.base.models.datasync import OrderSyncQueue, OrderSyncResult
from pretix.base.services.datasync import sync_all

from pretix_hubspot.hubspot_api.client import HubSpotApi
from pretix_hubspot.models import ObjectMapping
from pretix_hubspot.organizer.identifier_property import property_for


def prop(pretix_field, external_field, mode="overwrite", value_map=""):
    return {"pretix_field": pretix_field, "external_field": external_field, "value_map": value_map,
            "overwrite": mode}


def add_identifier_properties(hubspot, object_types=("contacts", "deals", "companies")):
    """The identifier properties the settings page's button creates: pretix-order-id, for companies pretix-company-id."""
    for object_type in object_types:
        identifier = property_for(object_type)
        hubspot.add_property(object_type, identifier.name, identifier.label, "string", "text", has_unique_value=True)


def with_implicit_associations(mapping):
    """The deal ↔ contact associations of the guide's mapping set, as rows (as the upgrade writes them)."""
    from pretix_hubspot.transfer.associations import implicit_rows

    with scopes_disabled():
        mappings = list(ObjectMapping.objects.filter(event=mapping.event))
        added = implicit_rows([(m.pk, m.external_object_type, m.associations) for m in mappings])
        for m in mappings:
            if m.pk in added:
                m.associations = m.associations + added[m.pk]
                m.save(update_fields=["associations"])
    mapping.refresh_from_db()
    return mapping


def contacts_mapping(event, position=0, properties=None, identifier=("event_order_code", "pretix_order_id")):
    return with_implicit_associations(ObjectMapping.objects.create(
        event=event, position=position, pretix_model="Order", external_object_type="contacts",
        pretix_id_field=identifier[0], external_id_field=identifier[1],
        property_mappings=properties if properties is not None else [
            prop("email", "email"),
            prop("invoice_address_name_given_name", "firstname"),
            prop("invoice_address_name_family_name", "lastname"),
            prop("invoice_address_company", "company"),
        ],
    ))


def attendee_mapping(event, position=1, properties=None):
    return with_implicit_associations(ObjectMapping.objects.create(
        event=event, position=position, pretix_model="OrderPosition", external_object_type="contacts",
        pretix_id_field="attendee_email", external_id_field="email",
        property_mappings=properties if properties is not None else [
            prop("attendee_name_given_name", "firstname"),
            prop("attendee_name_family_name", "lastname"),
        ],
    ))


def deals_mapping(event, position=2, properties=None):
    return with_implicit_associations(ObjectMapping.objects.create(
        event=event, position=position, pretix_model="Order", external_object_type="deals",
        pretix_id_field="event_order_code", external_id_field="pretix_order_id",
        property_mappings=properties if properties is not None else [
            prop("event_order_code", "dealname"),
            prop("order_total", "amount"),
            prop("order_date", "closedate"),
        ],
    ))


def enqueue(order, trigger="test"):
    from pretix_hubspot.transfer.sync import HubSpotSync
    with scopes_disabled():
        return HubSpotSync.enqueue_order(order, trigger)[0]


def run_queue():
    sync_all()


def queue_rows(order=None):
    with scopes_disabled():
        qs = OrderSyncQueue.objects.filter(sync_provider="hubspot")
        if order is not None:
            qs = qs.filter(order=order)
        return list(qs)


def results(order):
    with scopes_disabled():
        return list(OrderSyncResult.objects.filter(order=order, sync_provider="hubspot").order_by("mapping_id", "id"))


def records_by(hubspot, object_type, prop_name, value):
    return [r for r in hubspot.records(object_type, include_archived=False)
            if (r["properties"].get(prop_name) or "").lower() == str(value).lower()]


def log_actions(order):
    with scopes_disabled():
        return [(le.action_type, le.parsed_data) for le in order.all_logentries().order_by("pk")]


def fast_client(monkeypatch):
    """Keeps retries and waits short, so failure tests take milliseconds instead of seconds."""
    monkeypatch.setattr(HubSpotApi, "retry_backoff", 0)
    monkeypatch.setattr(HubSpotApi, "max_rate_limit_wait", 5)
