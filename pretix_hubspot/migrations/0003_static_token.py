from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("pretix_hubspot", "0002_order_export"),
    ]

    operations = [
        migrations.AddField(
            model_name="hubspotconnection",
            name="auth_type",
            field=models.CharField(
                choices=[("oauth", "HubSpot sign-in (OAuth)"), ("static", "Access token of a single-account app")],
                default="oauth", max_length=16,
            ),
        ),
    ]
