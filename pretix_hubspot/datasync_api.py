"""
Everything the plugin uses of pretix's data-sync framework, in one place.

pretix marks ``pretix.base.datasync`` as experimental: names may move or change between releases. The rest of the
plugin imports them from here only (a test enforces it), so adapting to a new pretix release means changing this
module, not every module that syncs, maps or exports.
"""
from pretix.base.datasync.datasync import (  # noqa: F401
    BaseSyncError, OutboundSyncProvider, RecoverableSyncError, SyncConfigError, UnrecoverableSyncError,
    datasync_providers,
)
from pretix.base.datasync.sourcefields import (  # noqa: F401
    AVAILABLE_MODELS, CAT_INVOICE_ADDRESS, CAT_PRODUCT, EVENT, EVENT_OR_SUBEVENT, ORDER, ORDER_POSITION, DataFieldInfo,
    get_data_fields,
)
from pretix.base.datasync.utils import assign_properties, translate_property_mappings  # noqa: F401
from pretix.base.models.datasync import (  # noqa: F401
    MODE_APPEND_LIST, MODE_OVERWRITE, MODE_SET_IF_EMPTY, MODE_SET_IF_NEW, OrderSyncQueue, OrderSyncResult,
)
from pretix.base.services.datasync import run_sync, sync_all  # noqa: F401


def save_results(results):
    """Stores the ``OrderSyncResult`` rows of one run: two bulk queries, however many orders and mappings."""
    existing = [r for r in results if r.pk]
    if existing:
        OrderSyncResult.objects.bulk_update(existing, [
            "external_object_type", "external_id_field", "id_value", "external_link_href",
            "external_link_display_name", "sync_info", "transmitted",
        ])
    new = [r for r in results if not r.pk]
    if new:
        OrderSyncResult.objects.bulk_create(new)


__all__ = [
    "AVAILABLE_MODELS", "BaseSyncError", "CAT_INVOICE_ADDRESS", "CAT_PRODUCT", "DataFieldInfo", "EVENT", "EVENT_OR_SUBEVENT",
    "MODE_APPEND_LIST", "MODE_OVERWRITE",
    "MODE_SET_IF_EMPTY", "MODE_SET_IF_NEW", "ORDER", "ORDER_POSITION", "OrderSyncQueue", "OrderSyncResult",
    "OutboundSyncProvider", "RecoverableSyncError", "SyncConfigError", "UnrecoverableSyncError", "assign_properties",
    "datasync_providers", "get_data_fields", "run_sync", "save_results", "sync_all", "translate_property_mappings",
]
