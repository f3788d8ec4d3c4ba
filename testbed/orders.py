"""Orders built the way pretix stores them: positions with attendees and answers, an invoice address."""
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
