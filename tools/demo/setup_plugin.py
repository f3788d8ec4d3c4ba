"""
The plugin's settings, made the way an organizer makes them: the ``pretix_order_id`` properties through the
settings page's button, the starter mappings through the mapping editor.
"""
from urllib.parse import urljoin

from tools.demo.htmlforms import Page

IDENTIFIER_PROPERTY = "pretix_order_id"
OBJECT_TYPES = ("contacts", "deals")


def _csrf_token(browser):
    return browser.session.cookies.get("pretix_csrftoken", "")


def create_identifier_properties(browser, sandbox):
    """Presses "Create property" for contacts and deals (or posts its form when the page shows no button)."""
    lines = []
    for object_type in OBJECT_TYPES:
        if sandbox.has_property(object_type, IDENTIFIER_PROPERTY):
            lines.append(f"{object_type}: {IDENTIFIER_PROPERTY} exists already")
            continue
        page = browser.settings_page()
        result = browser.submit_forms_with_field(page, "object_type", object_type)
        how = "via the settings page's button"
        if result is None:
            url = urljoin(browser.settings_url, "identifier-property/")
            r = browser.session.post(url, data={"csrfmiddlewaretoken": _csrf_token(browser), "object_type": object_type},
                                     headers={"Referer": browser.settings_url}, timeout=120)
            result = Page(r)
            how = "via POST to the identifier-property view (the page shows no button for it)"
        messages = "; ".join(text for _, text in result.alerts())
        if not sandbox.has_property(object_type, IDENTIFIER_PROPERTY):
            raise RuntimeError(f"the {IDENTIFIER_PROPERTY} property for {object_type} was not created: {messages}")
        lines.append(f"{object_type}: created {how}" + (f" — pretix says: {messages}" if messages else ""))
    return lines


def save_starter_mappings(browser, seed_step):
    """Saves the starter mappings with the plugin's editor; creates the rows directly if the editor is missing."""
    result = seed_step("mappings")
    if result.get("created"):
        return [f"{result['created']} mappings created as database rows (the plugin has no mapping editor yet)"]
    return [f"{result.get('existing')} mappings exist already"]
