from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("pretix_hubspot", "0002_order_export"),
    ]

    operations = [
        migrations.AddField(
            model_name="hubspotconnection",
            name="account_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="HubSpot account name"),
        ),
    ]
