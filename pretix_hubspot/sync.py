"""The data-sync provider: pretix's queue hands us orders, we write them to HubSpot."""
from django.utils.translation import gettext_lazy as _
from pretix.base.datasync.datasync import OutboundSyncProvider, datasync_providers


@datasync_providers.register
class HubSpotSync(OutboundSyncProvider):
    identifier = "hubspot"
    display_name = _("HubSpot")

    @property
    def mappings(self):
        return list(self.event.hubspot_object_mappings.all())

    def sync_object_with_properties(self, external_id_field, id_value, properties, inputs, mapping, mapped_objects,
                                    **kwargs):
        raise NotImplementedError
