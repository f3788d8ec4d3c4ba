"""
The marketing event in headless Chromium against a live pretix and the HubSpot sandbox: switch the section on, two
orders, one ticket checked in through pretix's check-in API (as the check-in app does), the other order cancelled,
pretix's periodic task; HubSpot holds one marketing event with one attended and one cancelled participant, and both
order pages link to it.

Set PRETIX_HUBSPOT_SCREENSHOTS to a folder to keep the screenshots (the pictures of the README and docs/organizer-guide.md come from there).
"""
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled
from playwright.sync_api import expect
from pretix.base.services.orders import cancel_order
from pretix.base.signals import order_placed

from testbed.orders import make_order
from testbed.sync import contacts_mapping
from tests.helpers.browser import SCREENSHOTS


def snapshot_of(locator, name):
    """A screenshot of one part of the page (the organizer's guide shows the section and the box, not the whole page)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        locator.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


PERIODIC = "pretix.base.services.datasync.periodic_sync_all,pretix_hubspot.signals.marketing_event_send_attendance"


@pytest.mark.django_db(transaction=True)
def test_registration_attendance_and_cancellation_reach_the_marketing_event(
        site_on_live_server, browser_page, admin_client, team, sync_event, item, hubspot_app):
    site, page, event = site_on_live_server, browser_page, sync_event
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": site} for name, morsel in admin_client.cookies.items()
    ])
    base = f"{site}/control/event/{event.organizer.slug}/{event.slug}"
    contacts_mapping(event)
    with scopes_disabled():
        entrance = event.checkin_lists.create(name="Main entrance")

    # Switch the section on: each attendee, registered when paid, the main entrance counts.
    page.goto(f"{base}/hubspot/")
    section = page.locator("#hubspot-marketing-event")
    expect(section).to_contain_text("Marketing event")
    section.get_by_label("Show this event in HubSpot as a marketing event").check()
    section.get_by_label("Each attendee with an e-mail address").check()
    section.get_by_label("When the order is paid").check()
    section.get_by_label("Main entrance").check()
    section.get_by_role("button", name="Save marketing event settings").click()
    expect(page.locator(".alert-success")).to_contain_text("The marketing event is switched on.")

    # Two orders; pretix's periodic task transfers them with their registrations.
    with scopes_disabled():
        came = make_order(event, item, code="CAME1", email="ada@example.org",
                          attendees=[("Ada Lovelace", "ada@example.org")])
        cancelled = make_order(event, item, code="GONE1", email="alan@example.org",
                               attendees=[("Alan Turing", "alan@example.org")])
        for order in (came, cancelled):
            order_placed.send(event, order=order)
    call_command("runperiodic", tasks=PERIODIC)

    # The check-in app redeems Ada's ticket through pretix's check-in API.
    with scopes_disabled():
        token = team.tokens.create(name="Check-in app").token
        secret = came.positions.get().secret
    scanner = Client(HTTP_AUTHORIZATION=f"Token {token}")
    answer = scanner.post(f"/api/v1/organizers/{event.organizer.slug}/checkinrpc/redeem/",
                          {"secret": secret, "lists": [entrance.pk]}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "ok"

    # Alan's order is cancelled; the periodic task sends the cancellation and any check-in still waiting.
    with scopes_disabled():
        cancel_order(cancelled.pk, send_mail=False)
    call_command("runperiodic", tasks=PERIODIC)

    [marketing_event] = hubspot_app.marketing_events()
    states = {hubspot_app.get_record("contacts", cid)["properties"]["email"]: p["state"]
              for cid, p in marketing_event["participants"].items()}
    assert states == {"ada@example.org": "ATTENDED", "alan@example.org": "CANCELLED"}
    assert marketing_event["eventName"] == "PyConf 2027"
    # Recorded on the contacts the mapping made: one per person.
    assert len(hubspot_app.records("contacts")) == 2

    page.goto(f"{base}/hubspot/")
    expect(page.locator(".hubspot-marketing-event-links")).to_contain_text("PyConf 2027")
    snapshot_of(page.locator("#hubspot-marketing-event"), "marketing-event-settings")

    object_id = marketing_event["objectId"]
    for order, state in ((came, "1 registered"), (cancelled, "1 cancelled")):
        page.goto(f"{base}/orders/{order.code}/")
        box = page.locator(".panel", has_text="Data transfer to external systems")
        link = box.locator(f'a[href$="/record/0-54/{object_id}"]')
        expect(link).to_contain_text(f"Marketing event #{object_id} – PyConf 2027 ({state})")
        if order is came:
            snapshot_of(box, "marketing-event-order-page")
