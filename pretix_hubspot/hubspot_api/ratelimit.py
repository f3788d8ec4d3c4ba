"""
One request budget per HubSpot account, shared by every worker that talks to it.

HubSpot allows OAuth apps 110 requests per rolling 10 seconds per installing account. All celery workers and web
processes of a pretix installation count against the same budget, so the count lives in pretix's cache (Redis in
production). The window is split into ten buckets; a request first increments the bucket of "now" (an atomic INCR
in Redis) and then adds up the buckets that cover the last window. If that sum is over the budget, it takes its
increment back and waits for the oldest bucket to fall out of the window. Looking at eleven buckets instead of ten
keeps any rolling window under the budget, at the price of a slightly lower throughput.

When HubSpot answers 429 anyway (another installation or app uses the same account), ``pause`` makes every worker
hold back for the time HubSpot asks in ``Retry-After``, up to ``MAX_PAUSE``. Callers say how long they may wait
(``acquire(max_wait=…)``): a page a few seconds, a sync run a minute per request; a wait longer than that is not
started, and the caller reports HubSpot's limit instead (a sync run puts its orders back into the queue).

When the cache cannot count (pretix's default dummy cache on small installations, or the test settings), the
limiter counts inside this process instead, which is still right for a single worker.
"""
import logging
import threading
import time
from collections import deque

from django.core.cache import cache as default_cache

logger = logging.getLogger(__name__)

HUBSPOT_OAUTH_LIMIT = 110
HUBSPOT_OAUTH_INTERVAL = 10.0
BUCKETS_PER_INTERVAL = 10
# HubSpot's Retry-After for its ten-second window is at most ten seconds. A longer one (a proxy, a misbehaving
# answer) holds back every worker of the account for at most this long; the next 429 pauses again.
MAX_PAUSE = 60.0

_local_lock = threading.Lock()
_local_windows = {}
_local_pauses = {}


def _sleep(seconds):
    time.sleep(seconds)  # looked up on every call, so a test can watch how long the plugin sleeps


class WaitTooLong(Exception):
    """Sending the next request would mean waiting longer than the caller may: ``seconds`` is the wait needed."""

    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = seconds


class PortalRateLimiter:
    def __init__(self, portal_id, limit=None, interval=None, cache=None, clock=time.time, sleep=None):
        self.portal_id = portal_id
        self.limit = limit or HUBSPOT_OAUTH_LIMIT
        self.interval = float(interval or HUBSPOT_OAUTH_INTERVAL)
        self.bucket_width = self.interval / BUCKETS_PER_INTERVAL
        self.cache = cache if cache is not None else default_cache
        self.clock = clock
        self.sleep = sleep or _sleep
        self.waited = 0.0

    # cache keys ---------------------------------------------------------------------------------------------------

    def _key(self, bucket):
        return "pretix_hubspot:rl:{}:{}:{}".format(self.portal_id, int(self.interval * 1000), bucket)

    @property
    def _pause_key(self):
        return "pretix_hubspot:rl:{}:pause".format(self.portal_id)

    # public API ---------------------------------------------------------------------------------------------------

    def acquire(self, max_wait=None):
        """
        Blocks until one request may be sent to this portal. Returns the seconds spent waiting. Raises
        ``WaitTooLong`` instead of starting a wait that would take the total beyond ``max_wait`` seconds.
        """
        waited = 0.0
        while True:
            pause = self._pause_remaining()
            delay = pause if pause > 0 else self._try_take()
            if delay <= 0:
                self.waited += waited
                return waited
            if max_wait is not None and waited + delay > max_wait:
                self.waited += waited
                raise WaitTooLong(delay)
            self.sleep(delay)
            waited += delay

    def pause(self, seconds):
        """
        Makes every worker hold back requests to this portal for ``seconds`` (HubSpot's Retry-After after a 429),
        at most ``MAX_PAUSE``. A pause already running for longer is kept.
        """
        seconds = min(max(float(seconds), 0.0), MAX_PAUSE)
        # read before taking the time, so that a slow cache does not shorten the pause
        running = (self.cache.get(self._pause_key) or 0) if self._cache_works() else 0
        until = max(self.clock() + seconds, running)
        if self._cache_works():
            self.cache.set(self._pause_key, until, timeout=int(until - self.clock()) + 1)
        with _local_lock:
            _local_pauses[self.portal_id] = max(until, _local_pauses.get(self.portal_id, 0))

    # internals ----------------------------------------------------------------------------------------------------

    def _pause_remaining(self):
        until = _local_pauses.get(self.portal_id, 0)
        if self._cache_works():
            until = max(until, self.cache.get(self._pause_key) or 0)
        return max(0.0, until - self.clock())

    def _cache_works(self):
        # A dummy cache forgets everything, so ``incr`` fails on a key we just added.
        if not hasattr(self, "_cache_ok"):
            probe = "pretix_hubspot:rl:probe"
            try:
                self.cache.add(probe, 0, timeout=60)
                self.cache.incr(probe)
                self._cache_ok = True
            except ValueError:
                self._cache_ok = False
        return self._cache_ok

    def _try_take(self):
        if self._cache_works():
            return self._try_take_shared()
        return self._try_take_local()

    def _try_take_shared(self):
        now = self.clock()
        bucket = int(now / self.bucket_width)
        key = self._key(bucket)
        timeout = int(self.interval * 2) + 2
        self.cache.add(key, 0, timeout=timeout)
        try:
            self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.add(key, 1, timeout=timeout)
        keys = [self._key(b) for b in range(bucket - BUCKETS_PER_INTERVAL, bucket + 1)]
        counts = self.cache.get_many(keys)
        total = sum(int(v or 0) for v in counts.values())
        if total <= self.limit:
            return 0.0
        try:
            self.cache.decr(key)
        except ValueError:
            pass
        # wait until the oldest non-empty bucket has left the window
        for b in range(bucket - BUCKETS_PER_INTERVAL, bucket + 1):
            if int(counts.get(self._key(b)) or 0):
                return max((b + BUCKETS_PER_INTERVAL + 1) * self.bucket_width - now, 0.01)
        return self.bucket_width

    def _try_take_local(self):
        now = self.clock()
        with _local_lock:
            window = _local_windows.setdefault((self.portal_id, self.limit, self.interval), deque())
            while window and window[0] <= now - self.interval:
                window.popleft()
            if len(window) < self.limit:
                window.append(now)
                return 0.0
            return max(window[0] + self.interval - now, 0.01)
