from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("pretix_hubspot", "0003_static_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="hubspotconnection",
            name="account_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="HubSpot account name"),
        ),
    ]
