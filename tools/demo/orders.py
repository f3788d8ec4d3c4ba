"""
Places the demo's orders through pretix's REST API, so they are real orders: positions, answers, invoice
addresses, payments, transactions, log entries, and the signals pretix sends for a new order.
"""
import requests

from tools.demo import config
from tools.demo.people import ORDERS, PEOPLE, order_code


def _name_parts(person):
    return {"_scheme": "given_family", "given_name": person.given, "family_name": person.family}


def _order_payload(index, seed):
    buyer_index, attendee_indexes, products, status = ORDERS[index]
    buyer = PEOPLE[buyer_index]
    positions = []
    for attendee_index, product in zip(attendee_indexes, products):
        attendee = PEOPLE[attendee_index]
        positions.append({
            "item": seed["items"][product],
            "price": seed["prices"][product],
            "attendee_name_parts": _name_parts(attendee),
            "attendee_email": attendee.email,
            "answers": [
                {"question": seed["questions"]["job"], "answer": attendee.job, "options": []},
                {"question": seed["questions"]["tshirt"], "answer": attendee.tshirt,
                 "options": [seed["tshirt_options"][attendee.tshirt]]},
            ],
        })
    return {
        "code": order_code(index),
        "email": buyer.email,
        "locale": "de" if buyer.country in ("DE", "AT", "CH") else "en",
        "sales_channel": "web",
        "status": "p" if status == "p" else "n",
        "payment_provider": "banktransfer",
        "send_email": False,
        "invoice_address": {
            "is_business": bool(buyer.company),
            "company": buyer.company,
            "name_parts": _name_parts(buyer),
            "street": buyer.street,
            "zipcode": buyer.zipcode,
            "city": buyer.city,
            "country": buyer.country,
        },
        "positions": positions,
    }


def place_all(pretix_url, seed):
    """Places every order that does not exist yet; returns counts by status."""
    api = requests.Session()
    api.headers["Authorization"] = "Token " + seed["api_token"]
    base = "{}/api/v1/organizers/{}/events/{}/orders/".format(pretix_url, config.ORGANIZER_SLUG, config.EVENT_SLUG)
    existing = set()
    url = base
    while url:
        page = api.get(url, params={"page_size": 100} if url == base else None, timeout=60)
        page.raise_for_status()
        existing.update(o["code"] for o in page.json()["results"])
        url = page.json()["next"]
    placed = {"p": 0, "n": 0, "c": 0, "existing": 0}
    for index, (_, _, _, status) in enumerate(ORDERS):
        code = order_code(index)
        if code in existing:
            placed["existing"] += 1
            continue
        r = api.post(base, json=_order_payload(index, seed), timeout=60)
        if r.status_code != 201:
            raise RuntimeError(f"pretix refused order {code}: {r.status_code} {r.text[:500]}")
        if status == "c":
            r = api.post(f"{base}{code}/mark_canceled/", json={"send_email": False}, timeout=60)
            if r.status_code != 200:
                raise RuntimeError(f"pretix did not cancel order {code}: {r.status_code} {r.text[:500]}")
        placed[status] += 1
    return placed
