"""
The data-sync provider's identifier, which pretix stores with every queue row and sync result of this plugin.

A module of its own, below everything else, so that the sync engine (which registers the provider under this name)
and the modules that read pretix's queue without going through the engine (the export, the continuation task)
name it the same way.
"""
PROVIDER = "hubspot"
