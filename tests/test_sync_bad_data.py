"""
One order whose data cannot be prepared for HubSpot fails alone: the other orders of its chunk are transferred, its
error names the order, the mapping and the field, and its preview shows the problem instead of failing.
"""
from html import unescape

import pytest
from django_scopes import scopes_disabled
from pretix.base.models import Question

from pretix_hubspot.hubspot_api.properties import HubSpotProperty
from pretix_hubspot.transfer.values import to_hubspot
from testbed.orders import make_order
from testbed.sync import attendee_mapping, enqueue, log_actions, prop, queue_rows, records_by, run_queue

pytestmark = pytest.mark.django_db

# pretix does not limit the digits of an answer to a number question; Python's decimals round at 28.
THIRTY_DIGITS = "123456789012345678901234567890"


def preview_url(event, code):
    return f"/control/event/{event.organizer.slug}/{event.slug}/hubspot/preview/?order={code}"


@pytest.fixture
def team_size(event, item, hubspot):
    hubspot.add_property("contacts", "team_size", "Team size", "number", "number")
    q = Question.objects.create(event=event, question="Team size", type=Question.TYPE_NUMBER, identifier="TEAMSIZE",
                                required=False)
    q.items.add(item)
    return q


@pytest.fixture
def track(event, item, hubspot):
    hubspot.add_property("contacts", "track", "Track", "enumeration", "select", options=["web", "data"])
    q = Question.objects.create(event=event, question="Track", type=Question.TYPE_CHOICE, identifier="TRACK",
                                required=False)
    q.items.add(item)
    q.options.create(answer="Web", identifier="WEB")
    q.options.create(answer="Data", identifier="DATA")
    return q


def attendee_order(event, item, code, question=None, answer=None, option=None):
    with scopes_disabled():
        order = make_order(event, item, code=code, email=f"{code.lower()}@example.org",
                           attendees=[(f"Ann {code}", f"{code.lower()}@example.org")], question=question,
                           answer=answer)
        if option is not None:
            answer = order.positions.get().answers.get()
            answer.options.add(question.options.get(identifier=option))
    return order


def failure(order):
    entries = [d for a, d in log_actions(order) if a.startswith("pretix.event.order.data_sync.failed")]
    return entries[-1] if entries else None


def test_a_thirty_digit_number_is_sent_exactly_and_does_not_hold_up_the_chunk(sync_event, event, item, team_size,
                                                                              hubspot):
    attendee_mapping(sync_event, properties=[prop("question_TEAMSIZE", "team_size")])
    orders = [attendee_order(event, item, f"GOOD{i}", team_size, str(10 + i)) for i in range(4)]
    big = attendee_order(event, item, "HUGE1", team_size, THIRTY_DIGITS)
    orders.insert(2, big)
    for o in orders:
        enqueue(o)
    run_queue()
    assert queue_rows() == []
    [record] = records_by(hubspot, "contacts", "email", "huge1@example.org")
    assert record["properties"]["team_size"] == THIRTY_DIGITS
    for i in range(4):
        [record] = records_by(hubspot, "contacts", "email", f"good{i}@example.org")
        assert record["properties"]["team_size"] == str(10 + i)


def test_numbers_are_sent_as_plain_digits_whatever_their_size():
    number = HubSpotProperty(name="team_size", label="Team size", type="number", field_type="number")
    assert to_hubspot(THIRTY_DIGITS, number) == (THIRTY_DIGITS, False)
    assert to_hubspot("-" + THIRTY_DIGITS + ".500", number) == ("-" + THIRTY_DIGITS + ".5", False)
    # HubSpot takes digits, a sign and one decimal point: no exponent
    assert to_hubspot("0.0000001", number) == ("0.0000001", False)
    assert to_hubspot("1E+3", number) == ("1000", False)
    assert to_hubspot("120.00", number) == ("120", False)


def test_a_value_pretix_cannot_compute_fails_only_its_order(sync_event, event, item, track, hubspot):
    # A value mapping the editor would refuse, stored e.g. by an older version or by hand in the database.
    attendee_mapping(sync_event, properties=[prop("attendee_name_given_name", "firstname"),
                                             prop("question_TRACK", "track", value_map="{not json")])
    good = [attendee_order(event, item, f"GOOD{i}") for i in range(3)]
    bad = attendee_order(event, item, "BAD22", track, "Web", option="WEB")
    for o in good[:1] + [bad] + good[1:]:
        enqueue(o)
    run_queue()

    [row] = queue_rows()
    assert row.order_id == bad.pk
    assert row.need_manual_retry == "permanent"
    for i in range(3):
        assert len(records_by(hubspot, "contacts", "email", f"good{i}@example.org")) == 1
    assert records_by(hubspot, "contacts", "email", "bad22@example.org") == []
    message = " ".join(failure(bad)["error"])
    assert message.startswith('Order BAD22, mapping "Order position → Contacts", HubSpot field "Track (track)": ')
    assert "pretix could not work out the value of “Question: Track”" in message


def test_preview_shows_a_value_pretix_cannot_compute(sync_event, event, item, track, admin_client, hubspot):
    attendee_mapping(sync_event, properties=[prop("question_TRACK", "track", value_map="{not json")])
    bad = attendee_order(event, item, "BAD22", track, "Web", option="WEB")
    response = admin_client.get(preview_url(event, bad.code))
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "A transfer of this order would fail:" in page
    assert 'Order BAD22, mapping "Order position → Contacts", HubSpot field "Track (track)"' in page


def test_preview_of_a_thirty_digit_number(sync_event, event, item, team_size, admin_client, hubspot):
    attendee_mapping(sync_event, properties=[prop("question_TEAMSIZE", "team_size")])
    big = attendee_order(event, item, "HUGE1", team_size, THIRTY_DIGITS)
    response = admin_client.get(preview_url(event, big.code))
    assert response.status_code == 200
    page = response.content.decode()
    assert THIRTY_DIGITS in page
    assert "HubSpot would accept this order's data as shown below." in page
