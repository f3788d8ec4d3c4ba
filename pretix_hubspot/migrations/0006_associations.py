from django.db import migrations, models


def write_implicit_associations(apps, schema_editor):
    """
    Before the association setup, every deal was associated with the contacts (buyer and attendees) of its order with
    HubSpot's default type. Those associations become explicit rows, stored on the later mapping of each pair.
    """
    ObjectMapping = apps.get_model("pretix_hubspot", "ObjectMapping")
    by_event = {}
    for mapping in ObjectMapping.objects.order_by("event_id", "position", "id"):
        by_event.setdefault(mapping.event_id, []).append(mapping)
    for mappings in by_event.values():
        for index, mapping in enumerate(mappings):
            rows = list(mapping.associations or [])
            for earlier in mappings[:index]:
                if {mapping.external_object_type, earlier.external_object_type} != {"contacts", "deals"}:
                    continue
                if any(r.get("to_mapping") == earlier.pk for r in rows):
                    continue
                rows.append({"to_mapping": earlier.pk, "category": "", "type_id": None, "label": "",
                             "remove_stale": False})
            if rows != (mapping.associations or []):
                mapping.associations = rows
                mapping.save(update_fields=["associations"])


class Migration(migrations.Migration):

    dependencies = [
        ('pretix_hubspot', '0005_marketing_events'),
    ]

    operations = [
        migrations.AddField(
            model_name='objectmapping',
            name='associations',
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(write_implicit_associations, migrations.RunPython.noop),
    ]
