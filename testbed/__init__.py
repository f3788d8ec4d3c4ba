"""
A pretix with the plugin, wired to the HubSpot sandbox: what the test suite and the tools (benchmarks, soak test)
share, so that neither imports the other.

- here: building orders the way pretix stores them, and the plugin's URLs;
- ``fixtures``: the pytest fixtures of the pretix side (organizer, event, item, users, the HubSpot app pointing at
  the sandbox, a connection, a connected event), loaded with ``pytest_plugins = ["testbed.fixtures"]``;
- ``sync``: mappings, queueing and draining pretix's sync queue, reading what was sent;
- ``celery_worker``: a real Celery worker process, with its pytest marker and fixture.

The HubSpot side is the sandbox's own package, ``hubspot_sandbox`` (its fixtures: ``hubspot_sandbox.pytest_plugin``).
"""
from datetime import timedelta

from django.utils.timezone import now
from pretix.base.models import Order
from pretix.base.models.orders import InvoiceAddress


def make_order(event, item, *, code, email, attendees=(), status=Order.STATUS_PAID, invoice=None, question=None,
               answer=None, placed=None):
    """An order with one position per attendee (name, e-mail) and an optional invoice address."""
    placed = placed or now()
    total = item.default_price * max(len(attendees), 1)
    order = Order.objects.create(
        code=code, event=event, email=email, status=status, locale="en", datetime=placed,
        expires=placed + timedelta(days=10), total=total,
        sales_channel=event.organizer.sales_channels.get(identifier="web"),
    )
    for i, (name, attendee_email) in enumerate(attendees or [(None, None)], start=1):
        pos = order.positions.create(
            item=item, variation=None, price=item.default_price, positionid=i,
            attendee_name_parts={"_scheme": "given_family", "given_name": name.split()[0],
                                 "family_name": name.split()[-1]} if name else {},
            attendee_email=attendee_email,
        )
        if question is not None and answer is not None:
            pos.answers.create(question=question, answer=answer)
    if invoice:
        InvoiceAddress.objects.create(order=order, **invoice)
    return order


def hubspot_settings_url(event, action=""):
    return f"/control/event/{event.organizer.slug}/{event.slug}/hubspot/{action}"
