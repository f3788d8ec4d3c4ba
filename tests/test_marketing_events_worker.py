"""
Check-ins reach the marketing event through a real Celery worker: the check-in signal schedules one run per batch
window, the worker sends the waiting check-ins together. Deselected on SQLite's in-memory database (see
testbed/celery_worker/plugin.py); ``make test DB=postgres`` runs it.
"""
import pytest
from django.db import transaction
from django_scopes import scopes_disabled
from pretix.base.services.checkin import perform_checkin

from pretix_hubspot.models import PendingAttendance
from testbed.orders import make_order
from tests.test_marketing_events_sync import participants, switch_on

pytestmark = pytest.mark.celery_worker

SEND_ATTENDANCE = "pretix_hubspot.transfer.checkins.send_attendance"


def test_a_burst_of_checkins_is_sent_by_the_worker_in_one_request(celery_worker, sync_event, item, hubspot):
    switch_on(sync_event)
    with scopes_disabled():
        clist = sync_event.checkin_lists.create(name="Main entrance")
        positions = []
        for i in range(5):
            with transaction.atomic():
                order = make_order(sync_event, item, code=f"ORD{i:02d}", email=f"p{i}@example.org",
                                   attendees=[(f"P Number{i}", f"p{i}@example.org")])
                order.create_transactions()
            positions.append(order.positions.get())
    worker = celery_worker()

    with scopes_disabled():
        for position in positions:
            with transaction.atomic():
                perform_checkin(position, clist, {})

    def all_sent():
        with scopes_disabled():
            return not PendingAttendance.objects.filter(sent__isnull=True).exists()

    worker.wait_until(lambda: worker.succeeded(SEND_ATTENDANCE) >= 1 and all_sent(), timeout=60,
                      what="the worker sent the check-ins")
    assert set(participants(hubspot).values()) == {"ATTENDED"} and len(participants(hubspot)) == 5
    assert worker.received(SEND_ATTENDANCE) == 1
    assert hubspot.request_count(path_prefix=f"/marketing/marketing-events/2026-09/attendance/pretix-{sync_event.pk}"
                                             "/attend/") == 1
