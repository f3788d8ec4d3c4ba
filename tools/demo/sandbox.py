"""The HubSpot sandbox as a process of its own, and the demo's view of it through its control API (/_sandbox/…)."""
import requests

from tools.demo import config
from tools.demo.processes import Child


class SandboxProcess(Child):
    def __init__(self, ports: config.Ports):
        super().__init__("sandbox", [config.PYTHON, "-m", "tests.hubspot_sandbox", "--host", config.HOST,
                                     "--port", str(ports.sandbox)])
        self.url = ports.sandbox_url
        self.ports = ports
        self._state = None

    def start(self):
        super().start()
        self.wait_until_answers(self.url + "/_sandbox/state", timeout=60)
        return self

    def control(self, method, path, **kwargs):
        r = requests.request(method, self.url + "/_sandbox/" + path.lstrip("/"), timeout=30, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def state(self):
        return self.control("GET", "state")

    def app_config(self):
        """The ``[hubspot]`` section of pretix.cfg: the sandbox's app credentials and its URL for API and consent."""
        state = self.state()
        return {
            "client_id": state["client_id"],
            "client_secret": state["client_secret"],
            "api_url": self.url,
            "auth_url": self.url,
        }

    def has_property(self, object_type, name):
        return any(p["name"] == name for p in self.control("GET", f"properties/{object_type}"))

    def records(self, object_type):
        return self.control("GET", f"records/{object_type}")

    def associations(self, from_type, from_id, to_type):
        return self.control("GET", f"associations/{from_type}/{from_id}/{to_type}")

    def request_count(self):
        return self.control("GET", "requests/count")
