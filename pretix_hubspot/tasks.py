"""
Draining a long queue without waiting for the next ``periodic_task``.

pretix's ``sync_all`` takes at most 1,000 queue rows per run, and ``periodic_task`` may run only every ten minutes.
When due HubSpot jobs remain after a run, the provider schedules ``continue_sync``, which runs the next portion
right away (the shared rate limiter paces it to HubSpot's budget). Each continuation knows its round; after
``MAX_ROUNDS`` the chain stops and the periodic task takes over, so a job that keeps coming back cannot loop forever.
A round is scheduled at most once per chain, across workers (through the cache) and within a process.
"""
import contextvars
import logging
import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.celery_app import app

from .datasync_api import OrderSyncQueue, run_sync
from .provider import PROVIDER

logger = logging.getLogger(__name__)

MAX_ROUNDS = 50
RUN_LIMIT = 1000
COUNTDOWN = 2  # seconds

# (chain id, round) of the continuation running in this context; (None, 0) for pretix's own periodic run.
_current = contextvars.ContextVar("pretix_hubspot_continuation", default=(None, 0))
_local_guard = {}
_local_lock = threading.Lock()


def due_jobs():
    return OrderSyncQueue.objects.filter(
        sync_provider=PROVIDER, in_flight=False, need_manual_retry__isnull=True, not_before__lt=now(),
    )


def _claim_round(key, ttl):
    with _local_lock:
        if _local_guard.get(key, 0) > time.time():
            return False
        _local_guard[key] = time.time() + ttl
    return cache.add("pretix_hubspot:continuation:" + key, 1, timeout=ttl)


def schedule_continuation():
    """Called after a run of the provider: start the next round soon if due jobs remain."""
    chain, round_no = _current.get()
    if round_no >= MAX_ROUNDS:
        logger.info("HubSpot sync: continuation chain %s ends after %d rounds", chain, round_no)
        return
    with scopes_disabled():
        if not due_jobs().exists():
            return
    if chain is None:
        # Several events in one periodic run must not start several chains.
        if not _claim_round("start", ttl=COUNTDOWN * 5):
            return
        chain = uuid.uuid4().hex
    elif not _claim_round("{}:{}".format(chain, round_no + 1), ttl=3600):
        return
    transaction.on_commit(lambda: continue_sync.apply_async(args=(chain, round_no + 1), countdown=COUNTDOWN))


@app.task()
def continue_sync(chain, round_no):
    token = _current.set((chain, round_no))
    try:
        with scopes_disabled():
            queue = list(
                due_jobs()
                .order_by(Window(expression=RowNumber(), partition_by=[F("event_id")], order_by="not_before"))
                .prefetch_related("event")[:RUN_LIMIT]
            )
            run_sync(queue)
    finally:
        _current.reset(token)
