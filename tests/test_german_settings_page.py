"""
The plugin's pages for users who chose German in pretix: formal ("de", Sie) and informal ("de-informal", du) — the
settings page (before and after connecting), the mapping editor, the export page, the preview, the plugin's box on the
order page and its fields on pretix's global settings page.

Each page is checked for German text of every kind (title, buttons, help texts, messages after a POST) and for the
absence of any English text of the plugin: every English string of the catalogue that has a German translation must
not appear on a German page.
"""
import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django_scopes import scopes_disabled
from pretix.base.models.auth import StaffSession

from pretix_hubspot import conf
from testbed.orders import make_order
from testbed.sync import deals_mapping
from tests.helpers.mappings import add_order_id_property, base_url, edit_url, editor_post, list_post, make_mapping

LOCALE_DIR = Path(__file__).resolve().parent.parent / "pretix_hubspot" / "locale"
CATALOGUES = {"de": "de", "de-informal": "de_Informal"}
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)[sd]|</?[a-z]+>")

# What the formal and the informal German say differently; the other locale's wording must not appear.
ADDRESS = {
    "de": {
        "mapping_order_help": "stellen Sie also Kontakte vor die Deals, zu denen sie gehören.",
        "sync_now_help": "Sie können sie unten mit „Bestehende Bestellungen exportieren“ übertragen.",
        "refresh_help": "Rufen Sie sie erneut ab, nachdem Sie in HubSpot Eigenschaften oder Pipelines geändert haben.",
        "value_map_help": "Wählen Sie, welchen Wert HubSpot für jeden Wert des pretix-Felds erhält.",
        "saved": "Ihre Änderungen wurden gespeichert.",
        "saved_with_notes": "Ihre Änderungen wurden gespeichert. Bitte beachten Sie die Hinweise unten.",
        "deal_needs_name": "HubSpot braucht für jeden Deal einen Namen. Bitte fügen Sie eine Zeile hinzu, die "
                           "„Dealname“ (dealname) befüllt",
        "export_help": "Wählen Sie hier aus, welche davon exportiert werden sollen.",
    },
    "de-informal": {
        "mapping_order_help": "stelle also Kontakte vor die Deals, zu denen sie gehören.",
        "sync_now_help": "Du kannst sie unten mit „Bestehende Bestellungen exportieren“ übertragen.",
        "refresh_help": "Rufe sie erneut ab, nachdem du in HubSpot Eigenschaften oder Pipelines geändert hast.",
        "value_map_help": "Wähle, welchen Wert HubSpot für jeden Wert des pretix-Felds erhält.",
        "saved": "Deine Änderungen wurden gespeichert.",
        "saved_with_notes": "Deine Änderungen wurden gespeichert. Bitte beachte die Hinweise unten.",
        "deal_needs_name": "HubSpot braucht für jeden Deal einen Namen. Bitte füge eine Zeile hinzu, die "
                           "„Dealname“ (dealname) befüllt",
        "export_help": "Wähle hier aus, welche davon exportiert werden sollen.",
    },
}


def other(locale):
    return "de-informal" if locale == "de" else "de"


def catalogue(locale):
    with open(LOCALE_DIR / CATALOGUES[locale] / "LC_MESSAGES" / "django.po", "rb") as f:
        return read_po(f, abort_invalid=True)


def english_sentences(locale):
    """The plugin's English texts that German pages must never show: whole phrases, without placeholders."""
    found = []
    for message in catalogue(locale):
        if not message.id or isinstance(message.id, tuple) or message.string in ("", message.id):
            continue
        if " " in message.id and not PLACEHOLDER.search(message.id) and not message.id.startswith(","):
            found.append(message.id)
    return found


def page_text(response):
    """What a person (or a screen reader) gets from the page: text and labelling attributes, whitespace collapsed."""
    source = response.content.decode()
    source = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", source)
    attributes = re.findall(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"', source)
    text = " ".join([re.sub(r"(?s)<[^>]+>", " ", source)] + attributes)
    return re.sub(r"\s+", " ", html.unescape(text))


def assert_no_english(locale, text):
    leaks = [sentence for sentence in english_sentences(locale) if sentence in text]
    assert not leaks, leaks


@pytest.fixture(params=["de", "de-informal"])
def locale(request, user):
    user.locale = request.param
    user.save()
    return request.param


@pytest.fixture
def contact_mapping(connected_event, hubspot):
    add_order_id_property(hubspot, "contacts")
    return make_mapping(connected_event, "Order", "contacts", identifier=("order_code", "pretix_order_id"),
                        rows=[("email", "email", {}, "overwrite"), ("invoice_address_city", "city", {}, "overwrite")])


@pytest.mark.django_db
def test_settings_page_in_german(admin_client, locale, connected_event, contact_mapping):
    response = admin_client.get(base_url(connected_event))
    assert response.status_code == 200
    text = page_text(response)

    assert "<title>HubSpot-Integration ::" in response.content.decode()
    for german in [
        "HubSpot-Integration", "Verbindung zu HubSpot", "HubSpot-Account", "Verbunden", "Berechtigungen", "Trennen",
        "Identifikator-Eigenschaft", "„pretix-order-id“ für Deals anlegen",
        "Objekt-Zuordnungen", "pretix-Objekttyp", "HubSpot-Objekttyp", "Zuordnung bearbeiten",
        "Zuordnung Bestellung → Kontakte bearbeiten", "Zuordnung hinzufügen", "Speichern",
        "Bestehende Bestellungen exportieren",
        ADDRESS[locale]["mapping_order_help"], ADDRESS[locale]["sync_now_help"],
    ]:
        assert german in text, german
    for formality in ("mapping_order_help", "sync_now_help"):
        assert ADDRESS[other(locale)][formality] not in text

    for english in ["HubSpot Integration", "Connection to HubSpot", "Object mappings", "Add mapping",
                    "Export existing orders", "Order → Contacts", "Each mapping transfers", "Sync now"]:
        assert english not in text, english
    assert_no_english(locale, text)


@pytest.mark.django_db
def test_mapping_editor_in_german(admin_client, locale, connected_event, contact_mapping):
    response = admin_client.get(edit_url(contact_mapping))
    assert response.status_code == 200
    text = page_text(response)

    assert "<title>HubSpot-Integration ::" in response.content.decode()
    for german in [
        "Zuordnung bearbeiten: Bestellung → Kontakte", "Zurück zu den HubSpot-Einstellungen", "Eigenschaften",
        "pretix-Feld", "HubSpot-Feld", "Modus", "Identifikator", "Felder erneut von HubSpot abrufen",
        "Zuordnung löschen", "Werte-Zuordnung ändern", "pretix-Wert", "HubSpot-Wert", "Anwenden", "Verlauf",
        ADDRESS[locale]["refresh_help"], ADDRESS[locale]["value_map_help"],
    ]:
        assert german in text, german
    for formality in ("refresh_help", "value_map_help"):
        assert ADDRESS[other(locale)][formality] not in text

    # "External field" is the label pretix's own form gives the HubSpot column (read out by screen readers).
    for english in ["Edit mapping:", "External field", "HubSpot Field", "Read the fields from HubSpot again",
                    "Delete mapping", "Edit value mapping", "History"]:
        assert english not in text, english
    assert_no_english(locale, text)


@pytest.mark.django_db
def test_messages_after_saving_are_german(admin_client, locale, connected_event, contact_mapping, hubspot):
    # The mapping list: saved.
    response = admin_client.post(base_url(connected_event) + "mappings/", list_post([
        {"id": contact_mapping.pk, "pretix_model": "Order", "external_object_type": "contacts"},
    ]), follow=True)
    text = page_text(response)
    assert ADDRESS[locale]["saved"] in text
    assert "Your changes have been saved." not in text
    assert_no_english(locale, text)

    # The editor: saved, with a note in German (contacts without an e-mail address).
    response = admin_client.post(edit_url(contact_mapping), editor_post(
        ("order_code", "pretix_order_id"), [{"pretix_field": "invoice_address_city", "external_field": "city"}], 0,
    ), follow=True)
    text = page_text(response)
    assert ADDRESS[locale]["saved_with_notes"] in text
    assert "HubSpot erkennt Kontakte an ihrer E-Mail-Adresse." in text
    assert "„E-Mail-Adresse der Bestellung“ oder „E-Mail Teilnehmer*in“" in text
    assert ADDRESS[other(locale)]["saved_with_notes"] not in text
    assert_no_english(locale, text)

    # The editor: refused, with the reason in German (a deal needs a name).
    add_order_id_property(hubspot, "deals")
    deals = make_mapping(connected_event, "Order", "deals", position=1)
    response = admin_client.post(edit_url(deals), editor_post(
        ("order_code", "pretix_order_id"), [{"pretix_field": "order_status", "external_field": "dealstage"}], 0,
    ), follow=True)
    text = page_text(response)
    assert "Die Änderungen konnten nicht gespeichert werden" in text
    assert ADDRESS[locale]["deal_needs_name"] in text
    assert ADDRESS[other(locale)]["deal_needs_name"] not in text
    assert "HubSpot needs a name for every deal" not in text
    assert_no_english(locale, text)


@pytest.mark.django_db
def test_export_page_counts_in_german(admin_client, locale, connected_event, contact_mapping, item):
    with scopes_disabled():
        make_order(connected_event, item, code="GER01", email="anna@example.org")
    url = base_url(connected_event) + "export/"

    response = admin_client.get(url, {"status": "all"})
    text = page_text(response)
    assert "Bestehende Bestellungen nach HubSpot exportieren" in text
    assert ADDRESS[locale]["export_help"] in text
    assert ADDRESS[other(locale)]["export_help"] not in text
    assert "1 Bestellung entspricht dieser Auswahl." in text
    assert "1 Bestellung nach HubSpot exportieren" in text
    assert_no_english(locale, text)

    with scopes_disabled():
        make_order(connected_event, item, code="GER02", email="ben@example.org")
    text = page_text(admin_client.get(url, {"status": "all"}))
    assert "2 Bestellungen entsprechen dieser Auswahl." in text
    assert "2 Bestellungen nach HubSpot exportieren" in text
    assert "orders match this selection" not in text


@pytest.mark.parametrize("locale", ["de", "de-informal"])
def test_catalogue_is_complete_and_keeps_placeholders(locale):
    address = re.compile(r"\b(Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b" if locale == "de-informal" else
                         r"\b([Dd]u|dich|dir|[Dd]ein|[Dd]eine|[Dd]einen|[Dd]einem|[Dd]einer|[Dd]eines)\b")
    messages = [m for m in catalogue(locale) if m.id]
    assert len(messages) > 100
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert "fuzzy" not in message.flags, ids[0]
        for string in strings:
            assert string.strip(), ids[0]
            assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(ids[-1])), (ids[0], string)
            assert not address.search(string), (ids[0], string)


@pytest.mark.django_db
def test_preview_and_order_page_in_german(admin_client, locale, connected_event, contact_mapping, order, hubspot):
    hubspot.add_property("deals", "pretix_order_id", "pretix-order-id", "string", "text", has_unique_value=True)
    with scopes_disabled():
        deals_mapping(connected_event, position=1)
    prefix = f"/control/event/{connected_event.organizer.slug}/{connected_event.slug}/"

    text = page_text(admin_client.get(prefix + f"orders/{order.code}/"))
    assert "Zeigt, was eine Übertragung dieser Bestellung in HubSpot schreiben würde" in text
    assert_no_english(locale, text)

    response = admin_client.get(prefix + "hubspot/preview/", {"order": order.code})
    assert response.status_code == 200
    text = page_text(response)
    for german in [
        "Vorschau der HubSpot-Daten", "Bestellung ABC12", "HubSpot würde die Daten dieser Bestellung wie unten gezeigt "
        "annehmen.", "Ein neuer Datensatz würde angelegt", "Bestellung → Kontakte", "Bestellung → Deals",
        "HubSpot-Eigenschaft", "Aktueller Wert in HubSpot", "Wert aus pretix", "Was passiert", "(neuer Datensatz)",
        "Setzt den Wert des neuen Datensatzes.",
        "Nach dem Schreiben verknüpft die Synchronisation den Datensatz mit den Datensätzen derselben Bestellung aus: "
        "„Bestellung → Kontakte“ (ohne Label)",
        "Die Synchronisation sucht den Datensatz über die bei der letzten Übertragung dieser Bestellung gemerkte "
        "Datensatz-ID",
    ]:
        assert german in text, german
    for english in ["Preview HubSpot data", "A new record would be created", "Order → Contacts", "What happens"]:
        assert english not in text, english
    assert_no_english(locale, text)


@pytest.mark.django_db
def test_pages_before_connecting_in_german(admin_client, locale, event, user, hubspot):
    # No HubSpot app on this server yet.
    text = page_text(admin_client.get(base_url(event)))
    assert "Die HubSpot-App ist auf diesem Server noch nicht eingerichtet." in text
    assert "In der HubSpot-App muss diese Weiterleitungs-URL eingetragen sein:" in text
    assert_no_english(locale, text)

    # The administrator's side: pretix's global settings, as staff.
    user.is_staff = True
    user.save()
    session = admin_client.session
    session.save()
    StaffSession.objects.create(user=user, session_key=session.session_key)
    text = page_text(admin_client.get("/control/global/settings/"))
    for german in ["HubSpot-App: Client-ID", "HubSpot-App: Client-Secret", "Zeitlimit für Anfragen an HubSpot (Sekunden)",
                   f"Leer lassen für {conf.DEFAULTS['timeout']} Sekunden."]:
        assert german in text, german
    assert_no_english(locale, text)


@pytest.mark.django_db
def test_request_access_in_german(admin_client, locale, event, hubspot_app):
    text = page_text(admin_client.get(base_url(event)))
    greeting = {"de": "Verbinden Sie diese Veranstaltung mit Ihrem HubSpot-Account",
                "de-informal": "Verbinde diese Veranstaltung mit deinem HubSpot-Account"}
    assert greeting[locale] in text and greeting[other(locale)] not in text
    assert "Zugriff anfordern" in text
    assert "Nur Bestellungen, die nach dem Verbinden eingehen, werden automatisch übertragen." in text
    assert "Request access" not in text
    assert_no_english(locale, text)
