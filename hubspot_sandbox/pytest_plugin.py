"""pytest fixtures: one sandbox server per test session, reset before every test that asks for it."""
import pytest

from .sandbox import HubSpotSandbox


@pytest.fixture(scope="session")
def hubspot_server():
    sandbox = HubSpotSandbox().start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def hubspot(hubspot_server):
    hubspot_server.reset()
    # HubSpot's numbered paths are retired in 2027: every test proves that nothing is sent to them.
    hubspot_server.refuse_legacy_paths = True
    return hubspot_server


@pytest.fixture
def hubspot_sdk(hubspot):
    """HubSpot's official client, authorized for the sandbox's default account with every scope the plugin asks for."""
    from hubspot import HubSpot

    # The client's typed APIs speak the numbered paths, which the sandbox still serves when asked to.
    hubspot.refuse_legacy_paths = False
    tokens = hubspot.issue_tokens(hubspot.default_portal_id)
    return HubSpot(access_token=tokens["access_token"], host=hubspot.url)
