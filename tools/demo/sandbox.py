"""The HubSpot sandbox as a process of its own, and the demo's view of it through its control API (/_sandbox/…)."""
import re

import requests

from tools.demo import config
from tools.demo.processes import Child

OBJECT_TYPE_IDS = {"contacts": "0-1", "deals": "0-3"}


class SandboxProcess(Child):
    def __init__(self, ports: config.Ports):
        # Registering pretix's redirect URI makes the sandbox check it, as HubSpot does for a real app.
        super().__init__("sandbox", [config.PYTHON, "-m", "hubspot_sandbox", "--host", config.HOST,
                                     "--port", str(ports.sandbox),
                                     "--redirect-uri", ports.pretix_url + "/_hubspot/oauth_return/"])
        self.url = ports.sandbox_url

    def start(self):
        super().start()
        self.wait_until_answers(self.url + "/_sandbox/state", timeout=60)
        return self

    def control(self, path):
        r = requests.get(self.url + "/_sandbox/" + path.lstrip("/"), timeout=30)
        r.raise_for_status()
        return r.json()

    def state(self):
        return self.control("state")

    def app_config(self):
        """The ``[hubspot]`` section of pretix.cfg: the sandbox app's credentials, and the sandbox for API and consent."""
        # The secret is not part of the control API; the process prints it on start, as HubSpot shows it to the
        # app's developer.
        match = re.search(r"^client secret:\s*(\S+)", self.log_path.read_text(), re.MULTILINE)
        if not match:
            raise RuntimeError(f"the sandbox did not print its client secret; see {self.log_path}")
        return {
            "client_id": self.state()["client_id"],
            "client_secret": match.group(1),
            "api_url": self.url,
            "auth_url": self.url,
        }

    def records(self, object_type):
        return [r for r in self.control(f"records/{object_type}")["results"] if not r.get("archived")]

    def record_url(self, state, object_type, record_id):
        portal_id = str(state["default_portal_id"])
        ui_domain = state["portals"][portal_id]["ui_domain"]
        return f"https://{ui_domain}/contacts/{portal_id}/record/{OBJECT_TYPE_IDS[object_type]}/{record_id}"

    def requests_summary(self):
        return self.control("requests")
