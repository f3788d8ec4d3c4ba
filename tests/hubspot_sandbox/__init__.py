"""
A local HubSpot for tests and demos (see ``sandbox.HubSpotSandbox``; fixtures in ``fixtures``; standalone with
``python -m tests.hubspot_sandbox --port 8765``).

Choices made where HubSpot's behaviour is uncertain (documented behaviour preferred) are listed in
``CHOICES`` below.
"""
from .sandbox import ConsentError, HubSpotSandbox

__all__ = ["HubSpotSandbox", "ConsentError"]
