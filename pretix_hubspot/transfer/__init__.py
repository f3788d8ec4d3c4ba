"""
The transfer: what goes to HubSpot for which order, and carrying it out. ``sync`` is pretix's data-sync provider;
``planner`` decides (without writing), ``executor`` writes in batches; triggers, marketing events and check-ins feed it.
"""
