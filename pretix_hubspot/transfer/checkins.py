"""
Check-ins as "attended" in the HubSpot marketing event, written in batches.

At a venue's doors thousands of tickets can be scanned within minutes, so a check-in is not sent on its own: the
receiver of pretix's ``checkin_created`` signal writes one small row (``PendingAttendance``, one per ticket, so a
repeated scan or a check-out adds nothing) and schedules ``send_attendance`` a few seconds later; that task, and
pretix's periodic task as a safety net, send all waiting rows of an event with HubSpot's attendance endpoint, up to
100 participants per request, through the shared rate limiter. A row is marked sent only once HubSpot took it; when
HubSpot fails, it stays for the next run, so a check-in is never lost. An annulled check-in that has not been sent
yet is taken back.

Participants are recorded by the contact id the order's registration used (``OrderSyncResult`` of the marketing
event) where known, else by e-mail, which finds or creates the contact. The check-in time is the time of joining.
"""
import logging
from collections import OrderedDict
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Checkin, Event
from pretix.celery_app import app
from pretix.helpers import OF_SELF

from ..datasync_api import OrderSyncResult
from ..hubspot_api.errors import HubSpotError, HubSpotRejected
from .marketing_events import (
    ATTEND, MAPPING_ID, PARTICIPANTS_ATTENDEES, MarketingEventSettings, MarketingEventWriter, epoch_ms,
    external_event_id,
)

logger = logging.getLogger(__name__)

# Seconds a check-in waits for others to share its request.
BATCH_DELAY = 5
SEND_DUE_SETTING = "hubspot_marketing_event_send_due"
# Rows per event and run; the next run takes the rest.
RUN_LIMIT = 5000


def counts(event, checkin):
    settings = MarketingEventSettings(event)
    if not settings.enabled or checkin.type != Checkin.TYPE_ENTRY or not checkin.successful:
        return False
    lists = settings.checkin_list_ids
    return not lists or checkin.list_id in lists


def record_checkin(event, checkin):
    """The check-in signal's work: one waiting row per ticket, then a batch run soon."""
    from ..models import EventConnection, PendingAttendance

    if not counts(event, checkin):
        return
    with scopes_disabled():
        if EventConnection.objects.for_event(event) is None:
            return
        if PendingAttendance.objects.filter(position_id=checkin.position_id).exists():
            return
        try:
            with transaction.atomic():
                PendingAttendance.objects.create(event=event, position_id=checkin.position_id,
                                                 checked_in_at=checkin.datetime)
        except IntegrityError:
            return  # the same ticket scanned twice at once
        schedule_sending(event)


def forget_checkin(event, checkin):
    """An annulled check-in that has not reached HubSpot yet is taken back, unless the ticket has another one."""
    from ..models import PendingAttendance

    with scopes_disabled():
        still_in = Checkin.objects.filter(position_id=checkin.position_id, successful=True,
                                          type=Checkin.TYPE_ENTRY).exclude(pk=checkin.pk).exists()
        if not still_in:
            PendingAttendance.objects.filter(position_id=checkin.position_id, sent__isnull=True).delete()


def queue_past_checkins(event):
    """Rows for the check-ins made so far (first successful entry per ticket); returns how many were added."""
    from ..models import PendingAttendance

    settings = MarketingEventSettings(event)
    checkins = Checkin.objects.filter(list__event=event, successful=True, type=Checkin.TYPE_ENTRY,
                                      position__canceled=False).order_by("datetime")
    if settings.checkin_list_ids:
        checkins = checkins.filter(list_id__in=settings.checkin_list_ids)
    known = set(PendingAttendance.objects.filter(event=event).values_list("position_id", flat=True))
    first = OrderedDict()
    for position_id, when in checkins.values_list("position_id", "datetime"):
        if position_id not in known:
            first.setdefault(position_id, when)
    PendingAttendance.objects.bulk_create(
        [PendingAttendance(event=event, position_id=pid, checked_in_at=when) for pid, when in first.items()],
        ignore_conflicts=True)
    return len(first)


def schedule_sending(event=None):
    """
    Runs ``send_attendance`` in ``BATCH_DELAY`` seconds. For the check-ins of one event, a run is scheduled only when
    none is due within the window (event setting ``hubspot_marketing_event_send_due``), so a stream of check-ins
    gets one run every few seconds, across processes, and never waits for more than one window.
    """
    if event is not None:
        due = event.settings.get(SEND_DUE_SETTING, default="", as_type=str)
        try:
            if due and datetime.fromisoformat(due) > now():
                return
        except ValueError:
            pass
        event.settings.set(SEND_DUE_SETTING, (now() + timedelta(seconds=BATCH_DELAY)).isoformat())
    transaction.on_commit(lambda: send_attendance.apply_async(countdown=BATCH_DELAY))


@app.task()
def send_attendance():
    from ..models import PendingAttendance

    with scopes_disabled():
        event_ids = set(PendingAttendance.objects.filter(sent__isnull=True).values_list("event_id", flat=True))
        for event in Event.objects.filter(pk__in=event_ids).select_related("organizer"):
            try:
                send_event_attendance(event)
            except Exception:
                logger.exception("Could not send check-ins of event %s to HubSpot", event.pk)


def send_event_attendance(event):
    """Sends the event's waiting check-ins; returns ``(sent, failed)`` row counts."""
    from ..models import PendingAttendance
    from .sync import HubSpotSync

    if not MarketingEventSettings(event).enabled:
        return 0, 0
    # The rows stay locked while they are sent: another worker running at the same time skips them instead of
    # sending them a second time.
    with transaction.atomic():
        rows = list(
            PendingAttendance.objects.filter(event=event, sent__isnull=True)
            .select_for_update(skip_locked=True, of=OF_SELF)
            .select_related("position", "position__order", "position__subevent")
            .order_by("checked_in_at")[:RUN_LIMIT]
        )
        if not rows:
            return 0, 0
        provider = HubSpotSync(event)
        try:
            writer = MarketingEventWriter(event, provider.api, provider.connection())
        except HubSpotError as e:
            _failed(rows, e)
            return 0, len(rows)
        return _send(event, writer, rows)


def _participant_email(event, position):
    settings = MarketingEventSettings(event)
    if settings.participants == PARTICIPANTS_ATTENDEES and position.attendee_email:
        return position.attendee_email.strip().lower()
    return (position.order.email or "").strip().lower()


def _known_contacts(event, rows):
    """(external event id, e-mail) → contact id, as the orders' registrations recorded them."""
    from .sync import HubSpotSync

    known = {}
    for result in OrderSyncResult.objects.filter(order_id__in={r.position.order_id for r in rows},
                                                 sync_provider=HubSpotSync.identifier, mapping_id=MAPPING_ID):
        for email, info in ((result.sync_info or {}).get("participants") or {}).items():
            if info.get("contact_id"):
                known[(result.id_value, email)] = info["contact_id"]
    return known


def _send(event, writer, rows):
    known = _known_contacts(event, rows)
    by_date = OrderedDict()
    for row in rows:
        by_date.setdefault(row.position.subevent, []).append(row)
    sent = failed = 0
    for subevent, date_rows in by_date.items():
        try:
            link = writer.ensure(subevent)
        except HubSpotError as e:
            _failed(date_rows, e)
            failed += len(date_rows)
            continue
        ext_id = external_event_id(event, subevent)
        participants = OrderedDict()  # e-mail → rows (in buyer mode one buyer may hold several tickets)
        for row in date_rows:
            email = _participant_email(event, row.position)
            if not email:
                row.sent = now()
                row.last_error = "no e-mail address"
                row.save(update_fields=["sent", "last_error"])
                continue
            participants.setdefault(email, []).append(row)
        by_id, by_email = [], []
        for email, email_rows in participants.items():
            joined = epoch_ms(min(r.checked_in_at for r in email_rows))
            props = {"joinedAt": str(joined)}
            contact_id = known.get((ext_id, email))
            if contact_id:
                by_id.append((email, contact_id, joined, props))
            else:
                by_email.append((email, email, joined, props, None))
        result = writer.record(link, ATTEND, by_id, by_email)
        # A remembered contact that HubSpot no longer knows: by e-mail, which finds or creates it.
        retry = [(email, email, ms, props, None) for email, _vid, ms, props in by_id
                 if isinstance(result.get(email), HubSpotRejected)]
        if retry:
            result.update(writer.record(link, ATTEND, [], retry))
        done, bad = [], []
        for email, email_rows in participants.items():
            outcome = result.get(email)
            if isinstance(outcome, Exception) or outcome is None:
                for row in email_rows:
                    row.attempts += 1
                    row.last_error = str(outcome or "")[:1000]
                bad += email_rows
            else:
                done += email_rows
        when = now()
        _mark(done, bad, when)
        sent += len(done)
        failed += len(bad)
    return sent, failed


def _mark(done, bad, when):
    from ..models import PendingAttendance

    PendingAttendance.objects.filter(pk__in=[r.pk for r in done]).update(sent=when, last_error="")
    for row in bad:
        PendingAttendance.objects.filter(pk=row.pk).update(attempts=row.attempts, last_error=row.last_error)


def _failed(rows, error):
    from ..models import PendingAttendance

    message = str(getattr(error, "messages", [error])[0])[:1000]
    for row in rows:
        PendingAttendance.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, last_error=message)
