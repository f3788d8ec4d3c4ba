"""
A pretix with the plugin, wired to the HubSpot sandbox: what the test suite and the tools (benchmarks, soak test)
share, so that neither imports the other.

- ``orders``: building orders the way pretix stores them; ``urls``: the plugin's pages;
- ``fixtures``: the pytest fixtures of the pretix side (organizer, event, item, users, the HubSpot app pointing at
  the sandbox, a connection, a connected event), loaded with ``pytest_plugins = ["testbed.fixtures"]``;
- ``sync``: mappings, queueing and draining pretix's sync queue, reading what was sent;
- ``celery_worker``: a real Celery worker process, with its pytest marker and fixture.

The HubSpot side is the sandbox's own package, ``hubspot_sandbox`` (its fixtures: ``hubspot_sandbox.pytest_plugin``).
"""
