import pytest
from django_scopes import scopes_disabled
from pretix.base.plugins import get_all_plugins


@pytest.mark.django_db
def test_plugin_is_listed_as_integration(event):
    plugins = {p.module: p for p in get_all_plugins(event=event)}
    assert "pretix_hubspot" in plugins
    meta = plugins["pretix_hubspot"]
    assert str(meta.name) == "HubSpot"
    assert meta.category == "INTEGRATION"


@pytest.mark.django_db
def test_enable_plugin_in_integrations_tab(admin_client, event_without_plugin):
    ev = event_without_plugin
    url = f"/control/event/{ev.organizer.slug}/{ev.slug}/settings/plugins"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "HubSpot" in page.content.decode()
    response = admin_client.post(url, {"plugin:pretix_hubspot": "enable"})
    assert response.status_code == 302
    ev.refresh_from_db()
    assert "pretix_hubspot" in ev.get_plugins()
    # Once enabled, the gear menu offers "Settings > HubSpot" and the settings tab answers.
    page = admin_client.get(url).content.decode()
    assert "Settings &gt; HubSpot" in page
    with scopes_disabled():
        assert admin_client.get(f"/control/event/{ev.organizer.slug}/{ev.slug}/hubspot/").status_code == 200
