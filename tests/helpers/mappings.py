"""Building and posting object mappings the way the settings page and the mapping editor do."""
import json

from django_scopes import scopes_disabled
from pretix.base.models.datasync import MODE_OVERWRITE

from pretix_hubspot.models import ObjectMapping
from pretix_hubspot.organizer.identifier_property import property_for


def base_url(event):
    return f"/control/event/{event.organizer.slug}/{event.slug}/hubspot/"


def edit_url(mapping):
    return f"{base_url(mapping.event)}mappings/{mapping.pk}/"


def list_post(rows, initial=None):
    """POST data for the "Object mappings" list: rows are dicts with id, pretix_model, external_object_type."""
    data = {
        "mappings-TOTAL_FORMS": str(len(rows)),
        "mappings-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        "mappings-MIN_NUM_FORMS": "0",
        "mappings-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data[f"mappings-{i}-id"] = row.get("id", "")
        data[f"mappings-{i}-pretix_model"] = row.get("pretix_model", "Order")
        data[f"mappings-{i}-external_object_type"] = row.get("external_object_type", "contacts")
        data[f"mappings-{i}-ORDER"] = str(row.get("order", i + 1))
        if row.get("delete"):
            data[f"mappings-{i}-DELETE"] = "on"
    return data


def editor_post(identifier, rows, initial_forms=None):
    """POST data for the mapping editor: identifier = (pretix field, HubSpot property); rows are dicts."""
    data = {
        "identifier-pretix_id_field": identifier[0],
        "identifier-external_id_field": identifier[1],
        "properties-TOTAL_FORMS": str(len(rows)),
        "properties-INITIAL_FORMS": str(len(rows) if initial_forms is None else initial_forms),
        "properties-MIN_NUM_FORMS": "0",
        "properties-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data[f"properties-{i}-pretix_field"] = row["pretix_field"]
        data[f"properties-{i}-external_field"] = row["external_field"]
        data[f"properties-{i}-value_map"] = row.get("value_map", "")
        data[f"properties-{i}-overwrite"] = row.get("overwrite", MODE_OVERWRITE)
        data[f"properties-{i}-ORDER"] = str(row.get("order", i + 1))
        if row.get("delete"):
            data[f"properties-{i}-DELETE"] = "on"
    return data


def make_mapping(event, pretix_model="Order", object_type="contacts", identifier=("", ""), rows=(), position=0):
    with scopes_disabled():
        return ObjectMapping.objects.create(
            event=event, position=position, pretix_model=pretix_model, external_object_type=object_type,
            pretix_id_field=identifier[0], external_id_field=identifier[1],
            property_mappings=[{"pretix_field": p, "external_field": e, "value_map": v, "overwrite": m}
                               for p, e, v, m in rows],
        )


def add_order_id_property(hubspot, object_type="contacts", unique=True):
    hubspot.add_property(object_type, "pretix_order_id", "pretix-order-id", "string", "text",
                         has_unique_value=unique)


def add_identifier_property(hubspot, object_type="contacts"):
    """The property the settings page's button creates for the type (for companies pretix-company-id)."""
    identifier = property_for(object_type)
    hubspot.add_property(object_type, identifier.name, identifier.label, "string", "text", has_unique_value=True)


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def mappings_of(event):
    with scopes_disabled():
        return list(event.hubspot_object_mappings.order_by("position"))


DEAL_STAGE_MAP = {"n": "appointmentscheduled", "p": "closedwon", "e": "closedlost", "c": "closedlost"}


def log_actions(event, action_prefix="pretix_hubspot.mapping."):
    with scopes_disabled():
        return list(event.logentry_set.filter(action_type__startswith=action_prefix)
                    .order_by("pk").values_list("action_type", flat=True))


def select2_properties(response):
    """The HubSpot properties the editor offers, as select2 reads them from the page."""
    html = response.content.decode()
    marker = '<script id="propertiesexternal-fields" type="application/json">'
    assert marker in html
    start = html.index(marker) + len(marker)
    return {p["id"]: p for p in json.loads(html[start:html.index("</script>", start)])}
