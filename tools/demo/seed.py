"""
The pretix side of the demo, run inside pretix's Django (``python -m tools.demo.seed <step>``, with
``PRETIX_CONFIG_FILE`` pointing at the demo instance).

Steps (each idempotent):
- ``base``: admin user, organizer, team with an API token, event with the plugin enabled, products, quotas and
  questions. Prints a JSON line with what the HTTP side needs (API token, product and question ids).
- ``report``: what pretix's data-sync queue did (transferred, queued, failed, links to the records).
- ``enqueue``: queues every order of the event for HubSpot (the event was connected after they were placed, so
  pretix did not queue them by itself).
"""
import json
import os
import sys
from datetime import timedelta
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.settings")
django.setup()

from django.db import transaction  # NOQA: E402 (needs django.setup())
from django.utils.timezone import now  # NOQA: E402
from django_scopes import scopes_disabled  # NOQA: E402
from i18nfield.strings import LazyI18nString  # NOQA: E402
from pretix.base.models import (  # NOQA: E402
    Event, Item, Organizer, Question, QuestionOption, Quota, Team, TeamAPIToken, User,
)

from tools.demo import config  # NOQA: E402

PRODUCTS = {
    "conf": ("Conference ticket", Decimal("249.00")),
    "student": ("Student ticket", Decimal("99.00")),
    "workshop": ("Workshop: Django in depth", Decimal("149.00")),
}
TSHIRT_SIZES = ("S", "M", "L", "XL")


def _admin():
    user = User.objects.filter(email=config.ADMIN_EMAIL).first()
    if user is None:
        user = User.objects.create_superuser(config.ADMIN_EMAIL, config.ADMIN_PASSWORD)
    user.fullname = "Demo Admin"
    user.set_password(config.ADMIN_PASSWORD)
    user.save()
    return user


def _event(organizer):
    event, created = Event.objects.get_or_create(
        organizer=organizer, slug=config.EVENT_SLUG,
        defaults=dict(
            name=LazyI18nString({"en": config.EVENT_NAME}), currency="EUR", live=True,
            date_from=(now() + timedelta(days=75)).replace(hour=9, minute=0, second=0, microsecond=0),
            date_to=(now() + timedelta(days=77)).replace(hour=18, minute=0, second=0, microsecond=0),
            location=LazyI18nString({"en": "Congress Center, Berlin"}),
        ),
    )
    event.enable_plugin("pretix.plugins.banktransfer")
    event.enable_plugin("pretix_hubspot")
    event.save()
    s = event.settings
    s.locales = ["en", "de"]
    s.locale = "en"
    s.timezone = "Europe/Berlin"
    s.name_scheme = "given_family"
    s.attendee_names_asked = True
    s.attendee_names_required = True
    s.attendee_emails_asked = True
    s.invoice_address_asked = True
    s.invoice_name_required = True
    s.payment_banktransfer__enabled = True
    s.payment_banktransfer_bank_details_type = "sepa"
    s.payment_banktransfer_bank_details_sepa_name = config.ORGANIZER_NAME
    s.payment_banktransfer_bank_details_sepa_iban = "DE02120300000000202051"
    s.payment_banktransfer_bank_details_sepa_bic = "BYLADEM1001"
    s.payment_banktransfer_bank_details_sepa_bank = "Demo Bank"
    return event


def _products(event):
    items = {}
    for key, (name, price) in PRODUCTS.items():
        item = Item.objects.filter(event=event, internal_name=key).first()
        if item is None:
            item = Item.objects.create(event=event, name=LazyI18nString({"en": name}), internal_name=key,
                                       default_price=price, admission=True, active=True)
        quota, _ = Quota.objects.get_or_create(event=event, name=name, defaults={"size": 500})
        quota.items.add(item)
        items[key] = item
    return items


def _questions(event, items):
    job, _ = Question.objects.get_or_create(
        event=event, identifier="JOBTITLE",
        defaults=dict(question=LazyI18nString({"en": "Job title"}), type=Question.TYPE_STRING, required=False,
                      position=1),
    )
    shirt, created = Question.objects.get_or_create(
        event=event, identifier="TSHIRT",
        defaults=dict(question=LazyI18nString({"en": "T-shirt size"}), type=Question.TYPE_CHOICE, required=False,
                      position=2),
    )
    if created:
        for i, size in enumerate(TSHIRT_SIZES):
            QuestionOption.objects.create(question=shirt, identifier=size, answer=LazyI18nString({"en": size}),
                                          position=i)
    for q in (job, shirt):
        q.items.add(*items.values())
    return job, shirt


def base():
    with scopes_disabled(), transaction.atomic():
        user = _admin()
        organizer, _ = Organizer.objects.get_or_create(slug=config.ORGANIZER_SLUG,
                                                       defaults={"name": config.ORGANIZER_NAME})
        organizer.enable_plugin("pretix.plugins.banktransfer")  # an organizer-and-event plugin: needs both
        organizer.save()
        team, _ = Team.objects.get_or_create(
            organizer=organizer, name="Administrators",
            defaults=dict(all_events=True, all_event_permissions=True, all_organizer_permissions=True),
        )
        team.members.add(user)
        token = team.tokens.filter(name="demo seed", active=True).first() or TeamAPIToken.objects.create(
            team=team, name="demo seed")
        event = _event(organizer)
        items = _products(event)
        job, shirt = _questions(event, items)
        return {
            "api_token": token.token,
            "items": {key: item.pk for key, item in items.items()},
            "prices": {key: str(item.default_price) for key, item in items.items()},
            "questions": {"job": job.pk, "tshirt": shirt.pk},
            "tshirt_options": {o.identifier: o.pk for o in shirt.options.all()},
        }


def _event_in_scope():
    return Event.objects.get(organizer__slug=config.ORGANIZER_SLUG, slug=config.EVENT_SLUG)


def enqueue():
    from pretix_hubspot.transfer.sync import HubSpotSync

    with scopes_disabled():
        event = _event_in_scope()
        orders = list(event.orders.all())
        for order in orders:
            HubSpotSync.enqueue_order(order, "demo")
        return {"queued": len(orders)}


def _last_sync_error(order):
    entry = order.all_logentries().filter(action_type__startswith="pretix.event.order.data_sync.failed").last()
    return entry.parsed_data.get("error") if entry else None


def report():
    """What pretix's data-sync queue did: results per order, what is still queued, what failed and why."""
    from pretix.base.models.datasync import OrderSyncQueue, OrderSyncResult

    from pretix_hubspot.transfer.record_links import label_for_link

    with scopes_disabled():
        event = _event_in_scope()
        results = OrderSyncResult.objects.filter(order__event=event, sync_provider="hubspot")
        queue = OrderSyncQueue.objects.filter(order__event=event, sync_provider="hubspot")
        failed = queue.filter(need_manual_retry__isnull=False)
        return {
            "orders": event.orders.count(),
            "orders_by_status": {s: event.orders.filter(status=s).count() for s in ("p", "n", "c")},
            "synced_orders": results.values("order").distinct().count(),
            "results": results.count(),
            "queued": queue.count() - failed.count(),
            "failed": [
                {"order": q.order.code, "reason": q.need_manual_retry, "message": _last_sync_error(q.order)}
                for q in failed.select_related("order")[:10]
            ],
            "failed_count": failed.count(),
            "sample_links": list({
                r.external_link_href: {"order": r.order.code, "href": r.external_link_href,
                                       "label": label_for_link(r.external_link_href, r.external_link_display_name)}
                for r in results.select_related("order").order_by("order__code", "pk")[:8] if r.external_link_href
            }.values())[:5],
        }


STEPS = {"base": base, "enqueue": enqueue, "report": report}

if __name__ == "__main__":
    print(json.dumps(STEPS[sys.argv[1]]()))
