from django.urls import path

from .views import connection, mappings

EVENT_PREFIX = "control/event/<str:organizer>/<str:event>/hubspot/"

urlpatterns = [
    path(EVENT_PREFIX, connection.SettingsView.as_view(), name="settings"),
    # Connection (request access, OAuth return, reuse, disconnect, identifier property)
    path(EVENT_PREFIX + "connect/", connection.RequestAccessView.as_view(), name="connect"),
    path(EVENT_PREFIX + "connect/existing/", connection.UseExistingConnectionView.as_view(), name="connect.existing"),
    path(EVENT_PREFIX + "disconnect/", connection.DisconnectView.as_view(), name="disconnect"),
    path(EVENT_PREFIX + "identifier-property/", connection.IdentifierPropertyCreateView.as_view(),
         name="identifier_property.create"),
    # The one redirect URI registered in the HubSpot app, for every event: the state says which event it is for.
    path("_hubspot/oauth_return/", connection.oauth_return, name="oauth.return"),
    # Object mappings: the list on the settings page, the editor, deleting, reading HubSpot's fields again
    path(EVENT_PREFIX + "mappings/", mappings.ObjectMappingListView.as_view(), name="mappings.list"),
    path(EVENT_PREFIX + "mappings/<int:mapping>/", mappings.MappingEditView.as_view(), name="mappings.edit"),
    path(EVENT_PREFIX + "mappings/<int:mapping>/delete/", mappings.MappingDeleteView.as_view(),
         name="mappings.delete"),
    path(EVENT_PREFIX + "mappings/refresh-fields/", mappings.SchemaRefreshView.as_view(),
         name="mappings.schema.refresh"),
]

# Export of existing orders, and sending transferred orders again after a settings change
from .views import export as export_views  # noqa: E402

urlpatterns += [
    path(EVENT_PREFIX + "export/", export_views.ExportView.as_view(), name="export"),
    path(EVENT_PREFIX + "export/start/", export_views.ExportStartView.as_view(), name="export.start"),
    path(EVENT_PREFIX + "export/<int:export>/cancel/", export_views.ExportCancelView.as_view(), name="export.cancel"),
    path(EVENT_PREFIX + "resync/", export_views.ResyncView.as_view(), name="resync"),
]

# Preview of the HubSpot data of one order (reads only)
from .views import preview as preview_views  # noqa: E402

urlpatterns += [
    path(EVENT_PREFIX + "preview/", preview_views.PreviewView.as_view(), name="preview"),
]

# The "Marketing event" section
from .views import marketing_event as marketing_event_views  # noqa: E402

urlpatterns += [
    path(EVENT_PREFIX + "marketing-event/", marketing_event_views.MarketingEventSettingsView.as_view(),
         name="marketing_event"),
    path(EVENT_PREFIX + "marketing-event/past-checkins/", marketing_event_views.PastCheckinsView.as_view(),
         name="marketing_event.past_checkins"),
]
