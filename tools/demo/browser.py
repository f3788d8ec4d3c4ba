"""
The person at the keyboard: logs into pretix's backend over HTTP, clicks "Request access", goes through HubSpot's
consent screens (here: the sandbox's), and saves the plugin's settings, with the same forms and CSRF tokens a
browser would use.
"""
from urllib.parse import urlsplit

import requests

from tools.demo import config
from tools.demo.htmlforms import Page

ACTIVE_MESSAGE = "The HubSpot integration is now active"
# The consent screens' buttons and links, in the order a person meets them.
CONSENT_STEPS = ("Sign in to your HubSpot account", "Choose account", "Connect app")


class FlowError(RuntimeError):
    pass


class Browser:
    def __init__(self, pretix_url):
        self.pretix_url = pretix_url
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "pretix-hubspot demo"

    def get(self, url, **kwargs):
        r = self.session.get(url, timeout=120, **kwargs)
        r.raise_for_status()
        return Page(r)

    def event_url(self, suffix=""):
        return "{}/control/event/{}/{}/{}".format(self.pretix_url, config.ORGANIZER_SLUG, config.EVENT_SLUG, suffix)

    @property
    def settings_url(self):
        return self.event_url("hubspot/")

    def login(self, email, password):
        page = self.get(self.pretix_url + "/control/login")
        form = next((f for f in page.forms if f.has_field("password")), None)
        if form is None:
            raise FlowError("pretix's login page has no login form")
        r = page.submit(self.session, form, overrides={"email": email, "password": password}, timeout=120)
        if "/control/login" in urlsplit(r.url).path:
            raise FlowError("pretix did not accept the demo login")

    def settings_page(self):
        return self.get(self.settings_url)

    def connect(self):
        """Request access → consent screens → back on the settings page. Returns the final page."""
        page = self.settings_page()
        form, button = page.form_with_button("Request access")
        if form is None:
            raise FlowError("the HubSpot settings page has no 'Request access' button")
        page = Page(page.submit(self.session, form, button, timeout=120))
        for _ in range(10):  # bounded: a consent flow has three screens
            if self._is_pretix(page.url):
                break
            page = self._consent_step(page)
        else:
            raise FlowError(f"the consent flow did not lead back to pretix (stuck at {page.url})")
        if ACTIVE_MESSAGE not in page.text:
            alerts = "; ".join(text for _, text in page.alerts()) or page.text[:300]
            raise FlowError(f"pretix did not report an active integration after consent: {alerts}")
        return page

    def _is_pretix(self, url):
        return urlsplit(url).netloc == urlsplit(self.pretix_url).netloc

    def _consent_step(self, page):
        for label in CONSENT_STEPS:
            form, button = page.form_with_button(label)
            if form is not None:
                return Page(page.submit(self.session, form, button, timeout=120))
            href = page.link(label)
            if href:
                return self.get(href)
        raise FlowError("unexpected HubSpot page at {}: {}".format(page.url, page.text[:300]))

    def submit_forms_with_field(self, page, name, value):
        """
        Submits the form on ``page`` that posts ``name=value``, e.g. object_type=contacts: by clicking the button
        that carries it, or the form's first button when it is a field.
        """
        for form in page.forms:
            for control in form.controls:
                if control.name == name and control.attrs.get("value") == value:
                    button = control if control.is_button() else (form.buttons() or [None])[0]
                    return Page(page.submit(self.session, form, button, timeout=120))
        return None
