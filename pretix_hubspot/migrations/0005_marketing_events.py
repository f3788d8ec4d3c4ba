import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('pretix_hubspot', '0004_account_name'),
        ('pretixbase', '0298_pluggable_permissions'),
    ]

    operations = [
        migrations.CreateModel(
            name='MarketingEventLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ('external_event_id', models.CharField(max_length=100)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('name', models.CharField(blank=True, max_length=255)),
                ('payload_hash', models.CharField(blank=True, max_length=64)),
                ('sent', models.DateTimeField(blank=True, null=True)),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name='hubspot_marketing_events', to='pretixbase.event')),
                ('subevent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                               related_name='+', to='pretixbase.subevent')),
            ],
            options={
                'unique_together': {('event', 'external_event_id')},
            },
        ),
        migrations.CreateModel(
            name='PendingAttendance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ('checked_in_at', models.DateTimeField()),
                ('created', models.DateTimeField(default=django.utils.timezone.now)),
                ('sent', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                            to='pretixbase.event')),
                ('position', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                                  related_name='hubspot_attendance', to='pretixbase.orderposition')),
            ],
            options={
                'indexes': [models.Index(fields=['event', 'sent'], name='pretix_hubs_event_i_6ca986_idx')],
            },
        ),
    ]
