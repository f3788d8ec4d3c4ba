"""
Export of existing orders: choosing them, counting them, putting them into pretix's sync queue, and following them.

pretix's data-sync queue (``OrderSyncQueue``) does the actual transfer at HubSpot's pace; this module only fills it
in bulk, for orders placed before the connection existed or already sent with older settings. Every run is recorded
as an ``OrderExport`` so its progress can be shown, and cancelled, even after a restart.
"""
import logging
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable, Iterator, List, Optional

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils.timezone import make_aware, now
from django_scopes import scopes_disabled
from pretix.base.models import LogEntry, Order, OrderPosition
from pretix.base.services.tasks import ProfiledEventTask
from pretix.celery_app import app

from .. import log_actions
from ..datasync_api import OrderSyncQueue, OrderSyncResult
from ..log_actions import PROVIDER
from ..models import OrderExport
from ..transfer.event_options import transferable

logger = logging.getLogger(__name__)

STATUS_ALL = "all"
STATUS_PAID = "paid"
STATUS_PENDING = "pending"
STATUS_CANCELLED = "cancelled"
STATUS_CODES = {
    STATUS_PAID: Order.STATUS_PAID,
    STATUS_PENDING: Order.STATUS_PENDING,
    STATUS_CANCELLED: Order.STATUS_CANCELED,
}

# Orders per INSERT. Each chunk commits on its own: an uncommitted queue row makes every other request that queues
# the same order (an order trigger after a payment, "Sync now") wait for the commit, and on SQLite any open write
# transaction holds up all other writes, ticket sales included. Short transactions keep those waits short.
QUEUE_CHUNK_SIZE = 2000
# Queueing 50,000 orders takes seconds; a run still "queueing" after this long was interrupted (or its task lost),
# and the periodic task starts its queueing again.
QUEUEING_TIMEOUT = timedelta(minutes=10)
# Ids per IN (...) when counting; stays below SQLite's and PostgreSQL's limits for query parameters.
COUNT_CHUNK_SIZE = 5000

# The log entry that says an export or a re-send started, by kind (written once the orders are queued).
LOG_STARTED = {OrderExport.KIND_EXPORT: log_actions.EXPORT_STARTED, OrderExport.KIND_RESYNC: log_actions.RESYNC_STARTED}


class ExportAlreadyRunning(Exception):
    """Another export of this event has not finished yet; starting a second one would only compete with it."""

    def __init__(self, export: OrderExport):
        super().__init__(f"export {export.pk} is still {export.state}")
        self.export = export


@dataclass(frozen=True)
class OrderSelection:
    """Which existing orders to export, as chosen on the form."""

    status: str = STATUS_ALL
    date_from: Optional[date] = None
    date_to: Optional[date] = None  # inclusive
    item_id: Optional[int] = None

    def orders(self, event):
        qs = transferable(Order.objects.filter(event=event), event)
        if self.status in STATUS_CODES:
            qs = qs.filter(status=STATUS_CODES[self.status])
        # The dates are days in the event's time zone, as the organizer sees them in the order list.
        tz = event.timezone
        if self.date_from:
            qs = qs.filter(datetime__gte=make_aware(datetime.combine(self.date_from, time.min), tz))
        if self.date_to:
            qs = qs.filter(datetime__lt=make_aware(datetime.combine(self.date_to + timedelta(days=1), time.min), tz))
        if self.item_id:
            # OrderPosition.all includes cancelled positions: a cancelled order still "contains" its product.
            qs = qs.filter(Exists(OrderPosition.all.filter(order=OuterRef("pk"), item_id=self.item_id)))
        return qs

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "item": self.item_id,
        }


def transferred_orders(event):
    """Orders of the event that have been sent to HubSpot at least once."""
    return transferable(Order.objects.filter(event=event), event).filter(
        Exists(OrderSyncResult.objects.filter(order=OuterRef("pk"), sync_provider=PROVIDER))
    )


@dataclass(frozen=True)
class ResyncOffer:
    count: int  # orders that were sent to HubSpot before
    settings_changed: bool  # some of them were sent before the last change of a mapping, and not queued since


def resync_offer(event) -> ResyncOffer:
    count = transferred_orders(event).count()
    if not count:
        return ResyncOffer(0, False)
    changed = LogEntry.objects.filter(event=event, action_type__startswith=log_actions.MAPPING_PREFIX).aggregate(
        m=Max("datetime"))["m"]
    if changed is None:
        return ResyncOffer(count, False)
    if OrderExport.objects.filter(event=event, kind=OrderExport.KIND_RESYNC, created__gte=changed).exclude(
            state=OrderExport.STATE_CANCELLED).exists():
        # Sending everything again answers the change, even while the orders are still on their way.
        return ResyncOffer(count, False)
    # New orders keep being sent with the new settings; what matters is whether older transfers remain.
    stale = OrderSyncResult.objects.filter(order__event=event, sync_provider=PROVIDER, transmitted__lt=changed).exists()
    return ResyncOffer(count, stale)


def count_orders(event, selection: OrderSelection) -> int:
    return selection.orders(event).count()


def start_export(event, user, selection: OrderSelection) -> OrderExport:
    """Queue the selected orders for HubSpot. Raises ``ExportAlreadyRunning`` while another export is active."""
    return _start(event, user, OrderExport.KIND_EXPORT, selection.orders(event), selection.to_dict())


def start_resync(event, user) -> OrderExport:
    """Queue every order that was sent to HubSpot before, so it is sent again with the current settings."""
    return _start(event, user, OrderExport.KIND_RESYNC, transferred_orders(event), {})


def _start(event, user, kind, orders, filters) -> OrderExport:
    """
    Record the run with its selection, then hand the queueing to ``queue_export``: like pretix's bulk e-mail, the
    click only starts the work. Without a Celery worker pretix runs the task right here, as before.
    """
    running = OrderExport.objects.filter(event=event, state__in=OrderExport.ACTIVE_STATES).first()
    if running is not None:
        refresh_state(running)  # retires a run whose orders have all left the queue
        if running.is_active:
            raise ExportAlreadyRunning(running)
    order_ids = list(orders.order_by("pk").values_list("pk", flat=True))
    try:
        with transaction.atomic():
            export = OrderExport.objects.create(
                event=event, kind=kind, created_by=user, filters=filters, order_ids=order_ids,
                selected_count=len(order_ids),
            )
    except IntegrityError:
        # Someone else started one between our check and our insert (a double click, a second tab).
        raise ExportAlreadyRunning(OrderExport.objects.filter(event=event, state__in=OrderExport.ACTIVE_STATES).first())
    # The row is committed above (requests run in autocommit), so the worker finds it; a task that is lost anyway is
    # started again by the periodic ``restart_stopped_exports``.
    queue_export.apply_async(args=(event.pk, export.pk))
    export.refresh_from_db()
    return export


@app.task(base=ProfiledEventTask, acks_late=True)
def queue_export(event, export_id: int):
    """
    Put the orders of an export into pretix's sync queue, chunk by chunk, then let it run.

    Idempotent: running it twice, or at the same time in two workers, queues every order once. The export's
    ``queued_through`` (the highest order id queued so far) says where to go on; each chunk moves it in the chunk's
    own transaction, and a run that finds it moved already re-reads it. A cancellation moves the export out of
    "queueing", which stops every run at its next chunk.
    """
    export = OrderExport.objects.filter(event=event, pk=export_id).first()
    if export is None or export.state != OrderExport.STATE_QUEUEING:
        return
    order_ids = sorted(export.order_ids)
    while True:
        current = OrderExport.objects.filter(pk=export.pk).values("state", "queued_through").first()
        if current is None or current["state"] != OrderExport.STATE_QUEUEING:
            break
        chunk = order_ids[bisect_right(order_ids, current["queued_through"]):][:QUEUE_CHUNK_SIZE]
        if not chunk:
            break
        _queue_chunk(event, export, chunk)
    _end_queueing(event, export)


def _end_queueing(event, export: OrderExport):
    started = OrderExport.objects.filter(pk=export.pk, state=OrderExport.STATE_QUEUEING).update(
        state=OrderExport.STATE_RUNNING)
    export.refresh_from_db()
    if started:
        event.log_action(LOG_STARTED[export.kind], user=export.created_by, data={
            "export_id": export.pk, "count": export.selected_count, "queued": export.queued_count, **export.filters,
        })
        refresh_state(export)  # an export of nothing is finished right away
        _drain_soon()
    elif export.state == OrderExport.STATE_CANCELLED:
        # Cancelled from another request while we were still queueing: take back what we queued after that.
        removed = _remove_pending_rows(export)
        OrderExport.objects.filter(pk=export.pk).update(removed_count=F("removed_count") + removed)
        export.refresh_from_db()


@scopes_disabled()
def restart_stopped_exports():
    """
    For pretix's periodic task: queue the rest of each export whose queueing stopped (a worker that died, a task
    that was lost), and record the end of each export whose orders have all left the queue.
    """
    stalled = OrderExport.objects.filter(state=OrderExport.STATE_QUEUEING, created__lt=now() - QUEUEING_TIMEOUT)
    for event_id, export_id in stalled.values_list("event_id", "pk"):
        logger.info("Resuming the interrupted HubSpot export %s of event %s", export_id, event_id)
        queue_export.apply_async(args=(event_id, export_id))
    for export in OrderExport.objects.filter(state=OrderExport.STATE_RUNNING).defer("order_ids"):
        refresh_state(export)


def _queue_chunk(event, export: OrderExport, order_ids: List[int]) -> int:
    """
    Queue these orders (ascending ids) for the export, unless another run of it got to them first or it was
    cancelled. Returns how many it put into the queue. One transaction, committed before the next chunk.
    """
    tag = export.queue_tag
    with transaction.atomic():
        claimed = OrderExport.objects.filter(
            pk=export.pk, state=OrderExport.STATE_QUEUEING, queued_through__lt=order_ids[0],
        ).update(queued_through=order_ids[-1])
        if not claimed:
            return 0
        # Orders whose last attempt failed for good are waiting for a manual retry: exporting them again is one.
        retried = OrderSyncQueue.objects.filter(
            event=event, sync_provider=PROVIDER, in_flight=False, need_manual_retry__isnull=False,
            order_id__in=order_ids,
        ).update(need_manual_retry=None, failed_attempts=0, not_before=now(), triggered_by=tag)
        # (order, provider, in_flight) is unique: an order already waiting keeps its row and is not queued twice.
        # An order in flight right now gets a second row, so it is sent again with whatever changed meanwhile.
        queued = retried + _insert_queue_rows(event, tag, order_ids)
        OrderExport.objects.filter(pk=export.pk).update(queued_count=F("queued_count") + queued)
    return queued


def _insert_queue_rows(event, tag: str, order_ids: List[int]) -> int:
    """
    One INSERT … SELECT … ON CONFLICT DO NOTHING (PostgreSQL and SQLite, pretix's two databases) per chunk.

    ``bulk_create(ignore_conflicts=True)`` does the same, but builds a model instance per order first: for 50,000
    orders that Python work took about three times as long as the database's.
    """
    queue, orders = OrderSyncQueue._meta, Order._meta
    qn = connection.ops.quote_name
    ts = connection.ops.adapt_datetimefield_value(now())
    columns = ", ".join(qn(queue.get_field(f).column) for f in (
        "order", "event", "sync_provider", "triggered_by", "triggered", "failed_attempts", "not_before", "in_flight",
    ))
    sql = (
        f"INSERT INTO {qn(queue.db_table)} ({columns}) "
        f"SELECT {qn(orders.pk.column)}, {qn(orders.get_field('event').column)}, %s, %s, %s, 0, %s, %s "
        f"FROM {qn(orders.db_table)} "
        f"WHERE {qn(orders.get_field('event').column)} = %s AND {qn(orders.pk.column)} IN ({', '.join(['%s'] * len(order_ids))}) "
        f"ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [PROVIDER, tag, ts, ts, False, event.pk, *order_ids])
        return cursor.rowcount  # the rows inserted; those skipped by ON CONFLICT do not count


def _drain_soon():
    """
    Start one sync run once the queue rows are committed instead of waiting for the next periodic run; the sync
    engine keeps going from there at HubSpot's rate.

    Without a Celery worker, pretix runs tasks inside the current request: a whole batch of HubSpot calls would
    then hold up the organizer's click, so the queue is left to the periodic task instead.
    """
    if not settings.HAS_CELERY:
        return
    from ..datasync_api import sync_all

    transaction.on_commit(lambda: sync_all.apply_async())


def cancel_export(export: OrderExport, user) -> int:
    """Stop an export: remove its orders that are still waiting. Orders being sent right now finish."""
    with transaction.atomic():
        updated = OrderExport.objects.filter(pk=export.pk, state__in=OrderExport.ACTIVE_STATES).update(
            state=OrderExport.STATE_CANCELLED, cancelled=now(), cancelled_by=user,
        )
    if not updated:
        export.refresh_from_db()
        return 0
    removed = _remove_pending_rows(export)
    OrderExport.objects.filter(pk=export.pk).update(removed_count=F("removed_count") + removed)
    export.refresh_from_db()
    export.event.log_action(
        log_actions.RESYNC_CANCELLED if export.kind == OrderExport.KIND_RESYNC else log_actions.EXPORT_CANCELLED,
        user=user, data={"export_id": export.pk, "removed": removed},
    )
    return removed


def _queue_rows(export: OrderExport):
    return OrderSyncQueue.objects.filter(event_id=export.event_id, sync_provider=PROVIDER,
                                         triggered_by=export.queue_tag)


def _remove_pending_rows(export: OrderExport) -> int:
    removed, _ = _queue_rows(export).filter(in_flight=False, need_manual_retry__isnull=True).delete()
    return removed


@dataclass(frozen=True)
class ExportProgress:
    selected: int  # orders chosen when the export started
    queued: int  # of these, put into the queue by the export (the others were waiting in it already)
    waiting: int  # still in the queue because of the export (including those being sent right now)
    transferred: int  # sent to HubSpot since the export started
    failed: int  # waiting for a manual retry on pretix's sync problems page
    removed: int  # taken out of the queue by cancelling

    @property
    def done(self) -> int:
        return self.transferred + self.failed

    @property
    def percent(self) -> int:
        if not self.selected:
            return 100
        return min(100, round(100 * self.done / self.selected))


def export_progress(export: OrderExport) -> ExportProgress:
    rows = _queue_rows(export)
    waiting_ids = set(rows.filter(need_manual_retry__isnull=True).values_list("order_id", flat=True))
    failed_ids = set(rows.filter(need_manual_retry__isnull=False).values_list("order_id", flat=True))
    sent_ids = set()
    for chunk in _chunks(export.order_ids, COUNT_CHUNK_SIZE):
        # pretix renews ``transmitted`` on every successful transfer, so this counts transfers of this run only.
        sent_ids.update(
            OrderSyncResult.objects.filter(
                sync_provider=PROVIDER, transmitted__gte=export.created, order_id__in=chunk,
            ).values_list("order_id", flat=True).distinct()
        )
    # An order that is queued again or failed on a later object is not finished, whatever it sent before.
    sent_ids -= waiting_ids | failed_ids
    return ExportProgress(
        selected=export.selected_count,
        queued=export.queued_count,
        waiting=len(waiting_ids),
        transferred=len(sent_ids),
        failed=len(failed_ids),
        removed=export.removed_count,
    )


def current_progress(export: OrderExport) -> ExportProgress:
    """The figures of an export for display, with its state as it is now (see ``shown_as_now``)."""
    progress = export_progress(export)
    shown_as_now(export, progress)
    return progress


def shown_as_now(export: OrderExport, progress: ExportProgress) -> OrderExport:
    """
    A running export none of whose orders waits in the queue any more has finished: shown so on this object only.
    Pages never write; ``refresh_state`` records it, when the next export starts or the periodic task runs.
    """
    if export.state == OrderExport.STATE_RUNNING and progress.waiting == 0:
        export.state = OrderExport.STATE_FINISHED
    return export


@dataclass(frozen=True)
class ExportSummary:
    """The "Export existing orders" section of the settings page."""

    running: Optional[OrderExport]  # the export that has not ended, if any
    progress: Optional[ExportProgress]  # its figures
    last: Optional[OrderExport]  # else the latest one that ended
    offer: ResyncOffer


def summary(event) -> ExportSummary:
    """Reads only, like every page: a run whose orders have all left the queue is shown as finished."""
    offer = resync_offer(event)
    current = OrderExport.objects.filter(event=event, state__in=OrderExport.ACTIVE_STATES).first()
    if current is not None:
        progress = current_progress(current)
        if current.is_active:
            return ExportSummary(current, progress, None, offer)
    last = OrderExport.objects.filter(event=event).defer("order_ids").first()
    if current is not None and last is not None and last.pk == current.pk:
        last = current  # finished as far as the page is concerned
    return ExportSummary(None, None, last, offer)


def refresh_state(export: OrderExport) -> OrderExport:
    """Record that a running export has finished once none of its orders wait in the queue any more."""
    if export.state != OrderExport.STATE_RUNNING:
        return export
    if _queue_rows(export).filter(need_manual_retry__isnull=True).exists():
        return export
    ts = now()
    if OrderExport.objects.filter(pk=export.pk, state=OrderExport.STATE_RUNNING).update(
            state=OrderExport.STATE_FINISHED, finished=ts):
        export.state = OrderExport.STATE_FINISHED
        export.finished = ts
    return export


def _chunks(ids: Iterable[int], size: int) -> Iterator[List[int]]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
