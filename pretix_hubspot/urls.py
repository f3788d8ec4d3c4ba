from django.urls import path

from .views import connection

EVENT_PREFIX = "control/event/<str:organizer>/<str:event>/hubspot/"

urlpatterns = [
    path(EVENT_PREFIX, connection.SettingsView.as_view(), name="settings"),
]
