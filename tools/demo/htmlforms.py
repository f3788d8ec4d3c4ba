"""
Just enough of a browser to fill and submit HTML forms: parses a page's forms, links and message boxes, and builds
the request that clicking a given button would send (hidden fields, checked boxes, selected options, the button's
own name/value).
"""
import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin

# Boxes of Django's messages framework; pretix's page furniture (e.g. ``alert-legal``) is not a message.
MESSAGE_KINDS = ("success", "info", "warning", "danger")


def _squash(text):
    return re.sub(r"\s+", " ", unescape(text or "")).strip()


@dataclass
class Control:
    tag: str
    attrs: dict
    text: str = ""
    options: list = field(default_factory=list)  # for <select>: (value, selected, label)

    def option_value(self, label):
        """The value of the <select>'s option shown as ``label``."""
        return next((v for v, _, text in self.options if text.lower() == label.lower()), None)

    @property
    def name(self):
        return self.attrs.get("name")

    @property
    def type(self):
        return (self.attrs.get("type") or ("submit" if self.tag == "button" else "text")).lower()

    @property
    def label(self):
        return _squash(self.text or self.attrs.get("value") or self.attrs.get("aria-label") or "")

    def is_button(self):
        return self.tag == "button" and self.type == "submit" or self.tag == "input" and self.type in ("submit", "image")


@dataclass
class Form:
    action: str
    method: str
    attrs: dict
    controls: list = field(default_factory=list)

    def buttons(self):
        return [c for c in self.controls if c.is_button()]

    def button(self, label):
        wanted = label.lower()
        for c in self.buttons():
            if c.label.lower() == wanted or wanted in c.label.lower():
                return c
        return None

    def has_field(self, name):
        return any(c.name == name for c in self.controls)

    def field(self, name):
        return next((c for c in self.controls if c.name == name), None)

    def values(self, clicked=None, overrides=None):
        """The (name, value) pairs a browser submits when ``clicked`` is pressed, with ``overrides`` applied."""
        data = []
        radios_seen = {}
        for c in self.controls:
            if not c.name or "disabled" in c.attrs:
                continue
            if c.is_button():
                if c is clicked:
                    data.append((c.name, c.attrs.get("value", "")))
                continue
            if c.tag == "select":
                chosen = [v for v, selected, _ in c.options if selected] or [v for v, _, _ in c.options[:1]]
                data.extend((c.name, v) for v in (chosen if "multiple" in c.attrs else chosen[:1]))
            elif c.tag == "textarea":
                data.append((c.name, c.text))
            elif c.type in ("checkbox", "radio"):
                if "checked" in c.attrs:
                    data.append((c.name, c.attrs.get("value", "on")))
                    radios_seen[c.name] = True
            elif c.type not in ("file", "reset", "button"):
                data.append((c.name, c.attrs.get("value", "")))
        # A radio group with nothing checked: choose its first option, as a person clicking the first entry would.
        for c in self.controls:
            if c.type == "radio" and c.name and c.name not in radios_seen:
                radios_seen[c.name] = True
                data.append((c.name, c.attrs.get("value", "on")))
        if overrides:
            data = [(k, v) for k, v in data if k not in overrides] + list(overrides.items())
        return data


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.forms = []
        self.links = []  # (href, text)
        self._form = None
        self._open = None  # control whose text we collect (button, textarea, option's select)
        self._option = None
        self._link = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=attrs.get("action", ""), method=attrs.get("method", "get").lower(), attrs=attrs)
            self.forms.append(self._form)
        elif tag == "a" and "href" in attrs:
            self._link = [attrs["href"], ""]
        elif tag in ("input", "button", "select", "textarea"):
            control = Control(tag, attrs)
            form = self._form_for(attrs)
            if form is not None:
                form.controls.append(control)
            if tag in ("button", "select", "textarea"):
                self._open = control
        elif tag == "option" and self._open is not None and self._open.tag == "select":
            self._option = [attrs.get("value"), "selected" in attrs, ""]
            self._open.options.append(self._option)

    def _form_for(self, attrs):
        if attrs.get("form"):
            return next((f for f in self.forms if f.attrs.get("id") == attrs["form"]), self._form)
        return self._form

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], _squash(self._link[1])))
            self._link = None
        elif tag == "option" and self._option is not None:
            if self._option[0] is None:
                self._option[0] = _squash(self._option[2])
            self._open.options[-1] = (self._option[0], self._option[1], _squash(self._option[2]))
            self._option = None
        elif tag in ("button", "select", "textarea") and self._open is not None and self._open.tag == tag:
            self._open = None

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        if self._option is not None:
            self._option[2] += data
        elif self._open is not None and self._open.tag in ("button", "textarea"):
            self._open.text += data

    def handle_entityref(self, name):
        self.handle_data(unescape(f"&{name};"))

    def handle_charref(self, name):
        self.handle_data(unescape(f"&#{name};"))


class Page:
    def __init__(self, response):
        self.response = response
        self.url = response.url
        self.html = response.text
        parser = _PageParser()
        parser.feed(self.html)
        self.forms = parser.forms
        self.links = parser.links

    @property
    def text(self):
        return _squash(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", self.html)))

    def form_with_button(self, label):
        for form in self.forms:
            button = form.button(label)
            if button is not None:
                return form, button
        return None, None

    def link(self, label):
        wanted = label.lower()
        for href, text in self.links:
            if wanted in text.lower():
                return urljoin(self.url, href)
        return None

    def alerts(self):
        """The texts of pretix's message boxes: ``[(kind, text)]`` for ``alert-success``, ``alert-danger``, …"""
        found = []
        for match in re.finditer(r'(?is)<div[^>]*class="[^"]*\balert-(\w+)\b[^"]*"[^>]*>(.*?)</div>', self.html):
            if match.group(1) in MESSAGE_KINDS:
                found.append((match.group(1), _squash(re.sub(r"<[^>]+>", " ", match.group(2)))))
        return found

    def submit(self, session, form, button=None, overrides=None, **kwargs):
        url = urljoin(self.url, form.action or self.url)
        data = form.values(button, overrides)
        if form.method == "post":
            headers = {"Referer": self.url}
            return session.post(url, data=data, headers=headers, **kwargs)
        return session.get(url, params=data, **kwargs)
