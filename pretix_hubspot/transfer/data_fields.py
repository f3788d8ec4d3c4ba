"""
The pretix fields a mapping can read: pretix's own data fields plus the plugin's (see ``product_links`` and
``company_key``).

pretix offers no way for a plugin to add data fields, so the plugin's mapping editor, starter sets, validation and
sync all ask here instead of pretix directly.
"""
from ..datasync_api import AVAILABLE_MODELS, get_data_fields as pretix_data_fields
from . import company_key, product_links


def get_data_fields(event, for_model=None):
    own = product_links.data_fields(event) + company_key.data_fields(event)
    if for_model:
        own = [f for f in own if f.required_input in AVAILABLE_MODELS[for_model]]
    return pretix_data_fields(event, for_model=for_model) + own
