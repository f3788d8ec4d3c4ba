"""
Django settings of the worker process: pretix's test settings, with Celery switched back on.

Everything else (database, secret, Redis URLs, HTTP to the local HubSpot sandbox) reaches the worker through
pretix's own ``PRETIX_<SECTION>_<OPTION>`` environment variables, set by the test that starts the worker, so pretix
computes the broker options (queues, Redis priority steps) exactly as it does for an installation with
``[celery] broker=redis://…``.
"""
import os

from pretix.testutils.settings import *  # NOQA
from pretix.testutils.settings import config

# pretix.testutils.settings switches Celery off ("Disable celery"); the worker is the one place it must be on.
HAS_CELERY = True
CELERY_ALWAYS_EAGER = False
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = config.get("celery", "broker")
CELERY_RESULT_BACKEND = config.get("celery", "backend")

# A shared cache, as pretix has with [redis] (the tests' dummy cache cannot count): the soak test's workers share one
# HubSpot request budget through it (tools/soak.py).
if os.environ.get("PRETIX_HUBSPOT_TEST_CACHE"):
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                          "LOCATION": os.environ["PRETIX_HUBSPOT_TEST_CACHE"]}}
