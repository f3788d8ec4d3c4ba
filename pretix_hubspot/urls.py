from django.urls import path

from .views import connection, mappings

EVENT_PREFIX = "control/event/<str:organizer>/<str:event>/hubspot/"

urlpatterns = [
    path(EVENT_PREFIX, connection.SettingsView.as_view(), name="settings"),
    # Object mappings: the list on the settings page, the editor, deleting, reading HubSpot's fields again
    path(EVENT_PREFIX + "mappings/", mappings.ObjectMappingListView.as_view(), name="mappings.list"),
    path(EVENT_PREFIX + "mappings/<int:mapping>/", mappings.MappingEditView.as_view(), name="mappings.edit"),
    path(EVENT_PREFIX + "mappings/<int:mapping>/delete/", mappings.MappingDeleteView.as_view(),
         name="mappings.delete"),
    path(EVENT_PREFIX + "mappings/refresh-fields/", mappings.SchemaRefreshView.as_view(),
         name="mappings.schema.refresh"),
]
