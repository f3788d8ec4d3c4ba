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
    return hubspot_server
