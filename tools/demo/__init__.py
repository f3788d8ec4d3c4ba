"""
``make demo``: a local HubSpot sandbox, a pretix instance on SQLite with demo orders, connected to the sandbox
through the real OAuth flow, with starter mappings and one run of pretix's periodic task.

Everything lives in ``demo-data/`` (gitignored). Entry point: ``python -m tools.demo`` (see ``run.py``).
"""
