from django.urls import path

from .views import connection, export, mappings, marketing_event, organizer, preview, products

EVENT_PREFIX = "control/event/<str:organizer>/<str:event>/hubspot/"
ORGANIZER_PREFIX = "control/organizer/<str:organizer>/hubspot/"

urlpatterns = [
    path(EVENT_PREFIX, connection.SettingsView.as_view(), name="settings"),
    # Connection (request access, OAuth return, reuse, disconnect, identifier property)
    path(EVENT_PREFIX + "connect/", connection.RequestAccessView.as_view(), name="connect"),
    path(EVENT_PREFIX + "connect/existing/", connection.UseExistingConnectionView.as_view(), name="connect.existing"),
    path(EVENT_PREFIX + "disconnect/", connection.DisconnectView.as_view(), name="disconnect"),
    path(EVENT_PREFIX + "options/", connection.TransferOptionsView.as_view(), name="options"),
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
    # The HubSpot products of the event's products (for line items)
    path(EVENT_PREFIX + "products/", products.ProductLinksView.as_view(), name="products"),
    path(EVENT_PREFIX + "products/save/", products.ProductLinksSaveView.as_view(), name="products.save"),
    path(EVENT_PREFIX + "products/create/", products.ProductCreateView.as_view(), name="products.create"),
    # Export of existing orders, and sending transferred orders again after a settings change
    path(EVENT_PREFIX + "export/", export.ExportView.as_view(), name="export"),
    path(EVENT_PREFIX + "export/start/", export.ExportStartView.as_view(), name="export.start"),
    path(EVENT_PREFIX + "export/<int:export>/cancel/", export.ExportCancelView.as_view(), name="export.cancel"),
    path(EVENT_PREFIX + "resync/", export.ResyncView.as_view(), name="resync"),
    # Preview of the HubSpot data of one order (reads only)
    path(EVENT_PREFIX + "preview/", preview.PreviewView.as_view(), name="preview"),
    # The "Marketing event" section
    path(EVENT_PREFIX + "marketing-event/", marketing_event.MarketingEventSettingsView.as_view(),
         name="marketing_event"),
    path(EVENT_PREFIX + "marketing-event/past-checkins/", marketing_event.PastCheckinsView.as_view(),
         name="marketing_event.past_checkins"),
    # The organizer's HubSpot page: access tokens of single-account HubSpot apps
    path(ORGANIZER_PREFIX, organizer.OrganizerSettingsView.as_view(), name="organizer.settings"),
    path(ORGANIZER_PREFIX + "tokens/<int:connection>/remove/", organizer.RemoveTokenView.as_view(),
         name="organizer.token.remove"),
]
