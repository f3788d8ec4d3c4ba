from django.utils.translation import gettext_lazy

from . import __version__

try:
    from pretix.base.plugins import PluginConfig
except ImportError:
    raise RuntimeError("Please use pretix 2026.3 or above to run this plugin!")


class PluginApp(PluginConfig):
    default = True
    name = "pretix_hubspot"
    verbose_name = "HubSpot"

    class PretixPluginMeta:
        name = gettext_lazy("HubSpot")
        author = "pretix-hubspot contributors"
        description = gettext_lazy(
            "Transfer orders, customers and attendees of this event into your HubSpot CRM as contacts and deals."
        )
        visible = True
        version = __version__
        category = "INTEGRATION"
        compatibility = "pretix>=2026.3.0"
        settings_links = [
            ((gettext_lazy("Settings"), gettext_lazy("HubSpot")), "plugins:pretix_hubspot:settings", {}),
        ]
        navigation_links = []

    def ready(self):
        from . import signals  # NOQA: registers receivers and the data-sync provider
        from .transfer import sync  # NOQA: registers receivers and the data-sync provider
