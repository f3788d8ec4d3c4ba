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


def create_identifier_properties(browser):
    """Presses "Create property" for contacts and deals (or posts its form when the page shows no button)."""
    lines = []
    for object_type in OBJECT_TYPES:
        page = browser.settings_page()
        result = browser.submit_forms_with_field(page, "object_type", object_type)
        how = "via the settings page's button"
        if result is None:
            url = urljoin(browser.settings_url, "identifier-property/")
            r = browser.session.post(url, data={"csrfmiddlewaretoken": _csrf_token(browser), "object_type": object_type},
                                     headers={"Referer": browser.settings_url}, timeout=120)
            result = Page(r)
            how = "via POST to the identifier-property view (the page shows no button for it)"
        alerts = result.alerts()
        messages = "; ".join(text for _, text in alerts)
        if result.response.status_code != 200 or any(kind == "danger" for kind, _ in alerts):
            raise RuntimeError(f"creating the {IDENTIFIER_PROPERTY} property for {object_type} failed "
                               f"({result.response.status_code}): {messages or result.text[:300]}")
        lines.append(f"{object_type}: {how}" + (f" — pretix says: {messages}" if messages else ""))
    return lines


# The guide's three mappings, in transfer order (contacts before the deals that get associated with them).
STARTER_MAPPINGS = (("Order", "contacts"), ("Order", "deals"), ("OrderPosition", "contacts"))


def _mapping_list_form(page):
    return next((f for f in page.forms if f.action.rstrip("/").endswith("/mappings")), None)


def save_starter_mappings(browser):
    """
    Adds the three mappings on the settings page ("Add mapping" ×3, Save), then opens each one's editor, clicks
    "Fill in suggested properties" and saves the suggestion, as an organizer following the guide would.
    """
    page = browser.settings_page()
    form = _mapping_list_form(page)
    if form is None:
        raise RuntimeError("the HubSpot settings page shows no object mappings section")
    fields = dict(form.values())
    prefix = next(k[:-len("-TOTAL_FORMS")] for k in fields if k.endswith("-TOTAL_FORMS"))
    lines = []
    saved = [k for k, v in fields.items() if k.startswith(prefix + "-") and k.endswith("-id") and v]
    if not saved:
        # What the page's JavaScript sends after three clicks on "Add mapping" and a choice in each row.
        data = [(k, v) for k, v in form.values() if not k.startswith(prefix + "-") or k.endswith("_FORMS")]
        data = [(k, str(len(STARTER_MAPPINGS)) if k == f"{prefix}-TOTAL_FORMS" else v) for k, v in data]
        for i, (model, object_type) in enumerate(STARTER_MAPPINGS):
            data += [(f"{prefix}-{i}-id", ""), (f"{prefix}-{i}-ORDER", str(i + 1)),
                     (f"{prefix}-{i}-pretix_model", model), (f"{prefix}-{i}-external_object_type", object_type)]
        r = browser.session.post(urljoin(page.url, form.action), data=data, headers={"Referer": page.url},
                                 timeout=120)
        page = Page(r)
        _expect_saved(page, "the object mappings")
        lines.append("settings page: {} mappings added and saved".format(len(STARTER_MAPPINGS)))
    else:
        lines.append("settings page: the event has mappings already")
    for href in dict.fromkeys(h for h, text in page.links if "/mappings/" in h and "Edit mapping" in text):
        editor = browser.get(urljoin(page.url, href))
        title = editor.text.split("Edit mapping:", 1)[-1].split("Back to the HubSpot settings")[0].strip()
        starter = editor.link("Fill in suggested properties")
        if not starter:
            lines.append(f"{title}: has properties already")
            continue
        editor = browser.get(starter)
        form, button = editor.form_with_button("Save")
        saved = Page(editor.submit(browser.session, form, button, timeout=120))
        _expect_saved(saved, title)
        notes = [text for kind, text in saved.alerts() if kind == "warning"]
        lines.append(f"{title}: suggested properties saved" + (f" (pretix notes: {'; '.join(notes)})" if notes else ""))
    return lines


def _expect_saved(page, what):
    alerts = page.alerts()
    if not any("Your changes have been saved" in text for _, text in alerts):
        problems = "; ".join(text for kind, text in alerts if kind in ("danger", "warning")) or page.text[:400]
        raise RuntimeError(f"saving {what} failed: {problems}")


def export_existing_orders(browser):
    """
    "Export existing orders" on the plugin's export page: all orders, count them, start. The orders are queued;
    pretix's periodic task transfers them. Returns what the page said, or None when the page does not exist.
    """
    r = browser.session.get(browser.settings_url + "export/", timeout=120)
    if r.status_code == 404:
        return None
    r.raise_for_status()
    page = Page(r)
    form, button = page.form_with_button("Count orders")
    if form is None:
        raise RuntimeError("the export page has no 'Count orders' form")
    everything = form.field("status").option_value("All orders")
    page = Page(page.submit(browser.session, form, button, overrides={"status": everything}, timeout=120))
    form, button = page.form_with_button("to HubSpot")  # "Export 32 orders to HubSpot"
    if form is None:
        raise RuntimeError("the export page offers no export for all orders: " + page.text[:300])
    label = button.label
    done = Page(page.submit(browser.session, form, button, timeout=120))
    alerts = done.alerts()
    if any(kind == "danger" for kind, _ in alerts) or not alerts:
        raise RuntimeError("starting the export failed: " + ("; ".join(t for _, t in alerts) or done.text[:300]))
    return [f'clicked "{label}"'] + [f"pretix says: {text}" for _, text in alerts]
