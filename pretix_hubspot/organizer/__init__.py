"""
The organizer's side: what an organizer sets up and starts (connections, mappings and their checks, the preview,
exports of existing orders). The views in ``views`` are thin layers over these modules.
"""
