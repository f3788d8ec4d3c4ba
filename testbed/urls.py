"""The plugin's pages in the event's backend."""


def hubspot_settings_url(event, action=""):
    return f"/control/event/{event.organizer.slug}/{event.slug}/hubspot/{action}"
