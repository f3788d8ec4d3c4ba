"""
``make demo``'s seed: the event it builds takes every demo order through pretix's own REST API (the way the demo
places them), and seeding twice changes nothing.
"""
import pytest
from django_scopes import scopes_disabled
from pretix.base.models import Event, Order
from rest_framework.test import APIClient

from tools.demo import config
from tools.demo.orders import _order_payload
from tools.demo.people import ORDERS, PEOPLE, order_code


@pytest.fixture
def seed(db):
    from tools.demo import seed as seed_module
    return seed_module


@pytest.mark.django_db
def test_seed_is_idempotent_and_enables_the_plugin(seed):
    first = seed.base()
    second = seed.base()
    assert first == second
    with scopes_disabled():
        event = Event.objects.get(organizer__slug=config.ORGANIZER_SLUG, slug=config.EVENT_SLUG)
        assert "pretix_hubspot" in event.get_plugins()
        assert "banktransfer" in event.get_payment_providers()
        assert event.items.count() == 3
        assert event.questions.count() == 2


@pytest.mark.django_db
def test_demo_orders_are_accepted_by_the_rest_api(seed):
    data = seed.base()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + data["api_token"])
    url = f"/api/v1/organizers/{config.ORGANIZER_SLUG}/events/{config.EVENT_SLUG}/orders/"
    for index in range(len(ORDERS)):
        r = api.post(url, _order_payload(index, data), format="json")
        assert r.status_code == 201, (order_code(index), r.content)

    with scopes_disabled():
        orders = Order.objects.filter(event__slug=config.EVENT_SLUG)
        assert orders.count() == len(ORDERS) >= 30
        assert orders.filter(status=Order.STATUS_PAID).count() == sum(1 for o in ORDERS if o[3] == "p")
        # Several orders of one buyer: the demo shows how HubSpot keeps one contact per e-mail address.
        assert orders.filter(email=PEOPLE[0].email).count() == 2
        first = orders.get(code=order_code(0))
        assert first.invoice_address.company == PEOPLE[0].company
        assert first.invoice_address.country == PEOPLE[0].country
        assert [p.attendee_email for p in first.positions.all()] == [PEOPLE[0].email, PEOPLE[7].email]
        answers = {a.question.identifier: a.answer for a in first.positions.first().answers.all()}
        assert answers == {"JOBTITLE": PEOPLE[0].job, "TSHIRT": PEOPLE[0].tshirt}
