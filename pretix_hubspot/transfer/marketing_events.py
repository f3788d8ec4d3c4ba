"""
The event itself in HubSpot: one marketing event per event (per date in an event series), and its participants.

- The organizer's choices live in the event's settings (``MarketingEventSettings``): off by default; who takes part
  (each attendee with an e-mail address, falling back to the buyer, or the buyer only); registered when the order is
  paid or already when it is placed; which check-in lists count as attendance.
- The marketing event is written with HubSpot's upsert by external id (``PUT …/events/{externalEventId}``), so a
  repeated request never makes a second one. ``externalAccountId`` names this pretix installation and organizer
  (``<site host>/<organizer slug>``), ``externalEventId`` the event or date by pretix's ids (``pretix-<event id>``,
  ``pretix-<event id>-<date id>``), both stable when the event is renamed or moved. It is only sent again when what
  pretix knows about it (name, dates, URL, cancelled, completed) has changed (``MarketingEventLink.payload_hash``).
- Registrations and cancellations ride the order's data-sync run (``sync.HubSpotSync``): ``OrderStep`` compares what
  each order should say with what was sent before (kept in the order's ``OrderSyncResult`` for the marketing event)
  and sends only the difference, batched over all orders of the run: one request per marketing event and state.
  Participants whose contact the order's contact mappings just found or created are recorded by contact id, so no
  second contact is ever made; the others by e-mail, which creates missing contacts.
- Check-ins are collected and sent in batches by ``checkins``.

HubSpot's answer "missing scopes" or "no access to marketing events" is a configuration error with a message that
says what to do; it is shown on the settings section and the order, and not retried.
"""
import hashlib
import json
import logging
from collections import OrderedDict
from urllib.parse import urljoin, urlsplit

from django.conf import settings as django_settings
from django.db.models import Sum
from django.utils.timezone import now
from django.utils.translation import gettext as _, gettext_lazy
from hubspot.marketing.events import (
    BatchInputMarketingEventEmailSubscriber, BatchInputMarketingEventSubscriber, MarketingEventCreateRequestParams,
    MarketingEventEmailSubscriber, MarketingEventSubscriber,
)
from pretix.base.i18n import language
from pretix.base.models import LogEntry, Order, OrderRefund
from pretix.multidomain.urlreverse import eventreverse

from ..datasync_api import OrderSyncResult, save_results
from ..hubspot_api.errors import HubSpotConfigError, HubSpotError, HubSpotRejected

logger = logging.getLogger(__name__)

# OrderSyncResult.mapping_id of the marketing-event rows (object mappings have ids from 1 on).
MAPPING_ID = 0
OBJECT_TYPE = "marketing_events"
# HubSpot's object type id of marketing events, for links into HubSpot's record pages.
OBJECT_TYPE_ID = "0-54"
# Participants per attendance request.
BATCH_SIZE = 100

REGISTER = "register"
ATTEND = "attend"
CANCEL = "cancel"

PARTICIPANTS_ATTENDEES = "attendees"
PARTICIPANTS_BUYER = "buyer"
REGISTER_ON_PAID = "paid"
REGISTER_ON_PLACED = "placed"


class MarketingEventSettings:
    """The organizer's choices for one event (event settings ``hubspot_marketing_event_*``)."""
    PREFIX = "hubspot_marketing_event_"

    def __init__(self, event):
        self.event = event

    def _get(self, name, default, as_type=str):
        return self.event.settings.get(self.PREFIX + name, default=default, as_type=as_type)

    @property
    def enabled(self):
        return bool(self._get("enabled", False, bool))

    @property
    def participants(self):
        value = self._get("participants", PARTICIPANTS_ATTENDEES)
        return value if value in (PARTICIPANTS_ATTENDEES, PARTICIPANTS_BUYER) else PARTICIPANTS_ATTENDEES

    @property
    def register_on(self):
        value = self._get("register_on", REGISTER_ON_PAID)
        return value if value in (REGISTER_ON_PAID, REGISTER_ON_PLACED) else REGISTER_ON_PAID

    @property
    def checkin_list_ids(self):
        """Check-in lists whose check-ins count as attendance; empty means every list."""
        raw = self._get("checkin_lists", "[]")
        try:
            return [int(i) for i in json.loads(raw or "[]")]
        except (TypeError, ValueError):
            return []

    @property
    def problem(self):
        """The last configuration problem HubSpot reported for the marketing event, or ''."""
        return self._get("problem", "")

    def save(self, *, enabled, participants, register_on, checkin_list_ids):
        self.event.settings.set(self.PREFIX + "enabled", bool(enabled))
        self.event.settings.set(self.PREFIX + "participants", participants)
        self.event.settings.set(self.PREFIX + "register_on", register_on)
        self.event.settings.set(self.PREFIX + "checkin_lists", json.dumps(sorted(int(i) for i in checkin_list_ids)))
        if not enabled:
            self.set_problem("")

    def set_problem(self, text):
        if text != self.problem:
            if text:
                self.event.settings.set(self.PREFIX + "problem", text)
            else:
                self.event.settings.delete(self.PREFIX + "problem")


def enabled(event):
    return MarketingEventSettings(event).enabled


# --- identity and content ------------------------------------------------------------------------------------------

def external_account_id(event):
    host = urlsplit(django_settings.SITE_URL).netloc or "pretix"
    return "{}/{}".format(host, event.organizer.slug)[:100]


def external_event_id(event, subevent=None):
    if subevent is not None:
        return "pretix-{}-{}".format(event.pk, subevent.pk)
    return "pretix-{}".format(event.pk)


def _cancelled(event, subevent):
    """pretix's "Cancel event" (or "Cancel date") has been run for it."""
    if subevent is not None:
        return LogEntry.objects.filter(object_id=subevent.pk, action_type="pretix.subevent.canceled",
                                       event=event).exists()
    return LogEntry.objects.filter(object_id=event.pk, action_type="pretix.event.canceled", event=event).exists()


def event_payload(event, subevent=None):
    """What HubSpot should know about the event or date, as ``MarketingEventCreateRequestParams`` fields."""
    source = subevent or event
    start = source.date_from
    end = source.date_to or source.date_from
    with language(event.settings.locale):
        name = str(source.name)
        if subevent is not None:
            name = "{} – {}".format(name, subevent.get_date_from_display(tz=event.timezone, show_times=False))
        location = str(source.location or "").strip().replace("\n", ", ")
        if location:
            description = _("Location: {location}").format(location=location)
        else:
            description = _("Online or no venue given")
        event_type = _("Event with venue") if location else _("Online event")
    kwargs = {"subevent": subevent.pk} if subevent is not None else {}
    return {
        "external_account_id": external_account_id(event),
        "external_event_id": external_event_id(event, subevent),
        "event_name": name[:255],
        "event_organizer": str(event.organizer.name)[:255],
        "event_type": event_type,
        "start_date_time": start.isoformat(),
        "end_date_time": end.isoformat(),
        "event_description": description[:1000],
        # eventreverse gives a full URL for an event on its own domain, a path otherwise
        "event_url": urljoin(django_settings.SITE_URL, eventreverse(event, "presale:event.index", kwargs=kwargs)),
        "event_cancelled": _cancelled(event, subevent),
        "event_completed": end < now(),
    }


def payload_hash(payload):
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def marketing_event_url(connection, object_id):
    # Marketing events are CRM objects (type 0-54) with a record page like contacts and deals.
    return "https://{domain}/contacts/{portal}/record/{type_id}/{id}".format(
        domain=connection.ui_domain or "app.hubspot.com", portal=connection.portal_id, type_id=OBJECT_TYPE_ID,
        id=object_id)


# --- errors --------------------------------------------------------------------------------------------------------

def missing_scope_message():
    return _("The HubSpot connection has no permission for marketing events. Open Settings → HubSpot and request "
             "access again, granting the marketing events permission, or switch the \"Marketing event\" section off.")


def no_access_message(reason):
    return _("HubSpot does not let this account use marketing events ({reason}). Marketing events need a HubSpot "
             "plan that includes them; until then, switch the \"Marketing event\" section off in Settings → "
             "HubSpot.").format(reason=reason)


def translate_error(error):
    """HubSpot's 403 answers for marketing events, reworded: a missing permission or an account without them."""
    if isinstance(error, HubSpotError) and error.status == 403:
        if error.category == "MISSING_SCOPES":
            message = missing_scope_message()
        else:
            message = no_access_message(error.hubspot_message or _("access denied"))
        return HubSpotConfigError(message, status=error.status, category=error.category,
                                  hubspot_message=error.hubspot_message, correlation_id=error.correlation_id)
    return error


# --- writing -------------------------------------------------------------------------------------------------------

def _get(obj, name):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


class MarketingEventWriter:
    """Writes marketing events and participant states through one ``HubSpotApi`` (rate limit, retries, errors)."""

    def __init__(self, event, api, connection):
        self.event = event
        self.api = api
        self.connection = connection
        self.settings = MarketingEventSettings(event)
        self._links = {}
        self._failures = {}
        self._cleared = False

    @property
    def events_api(self):
        return self.api.sdk.marketing.events

    def ensure(self, subevent):
        """The marketing event of the event or date, written to HubSpot if it is new or has changed."""
        from ..models import MarketingEventLink

        key = subevent.pk if subevent is not None else None
        if key in self._links:
            return self._links[key]
        if key in self._failures:
            # Every order of the run needs the same event: one refusal (or outage) is enough to know.
            raise self._failures[key]
        payload = event_payload(self.event, subevent)
        link, _created = MarketingEventLink.objects.get_or_create(
            event=self.event, external_event_id=payload["external_event_id"], defaults={"subevent": subevent})
        digest = payload_hash(payload)
        if link.payload_hash != digest or not link.object_id:
            try:
                answer = self.api.call(self.events_api.basic_api.upsert, payload["external_event_id"],
                                       MarketingEventCreateRequestParams(**payload))
            except HubSpotError as e:
                error = self._fail(e)
                self._failures[key] = error
                raise error from None
            link.object_id = str(_get(answer, "object_id") or _get(answer, "id") or link.object_id)
            link.payload_hash = digest
            link.name = payload["event_name"]
            link.sent = now()
            link.save()
            self._succeeded()
        link.payload = payload
        self._links[key] = link
        return link

    def record(self, link, state, by_id, by_email):
        """
        Records participant states. ``by_id``: ``[(key, contact id, epoch ms, properties)]``, ``by_email``:
        ``[(key, email, epoch ms, properties, contact properties)]``. Returns ``{key: contact id or error}``.
        Inputs HubSpot did not take by contact id (the contact was deleted meanwhile) are tried again by e-mail when
        the caller gave an e-mail for them (``emails``).
        """
        api = self.events_api.add_event_attendees_api
        out = {}
        # One request per chunk and kind of contact reference; HubSpot answers with the contacts it recorded.
        self._record_batches(out, link, state, by_id, api.record_by_contact_ids, lambda answered: {
            str(_get(r, "vid")): str(_get(r, "vid")) for r in answered
        }, lambda chunk: BatchInputMarketingEventSubscriber(inputs=[
            MarketingEventSubscriber(vid=int(vid), interaction_date_time=ms, properties=props or None)
            for _key, vid, ms, props in chunk
        ]), key_of=lambda vid: str(vid))
        self._record_batches(out, link, state, by_email, api.record_by_contact_emails, lambda answered: {
            str(_get(r, "email") or "").lower(): str(_get(r, "vid")) for r in answered
        }, lambda chunk: BatchInputMarketingEventEmailSubscriber(inputs=[
            MarketingEventEmailSubscriber(email=email, interaction_date_time=ms, properties=props or None,
                                          contact_properties=contact_props or None)
            for _key, email, ms, props, contact_props in chunk
        ]), key_of=lambda email: email.lower())
        return out

    def _record_batches(self, out, link, state, items, method, recorded, batch_input, key_of):
        """Sends ``items`` in chunks through ``method``; puts each item's contact id (or error) into ``out``."""
        account = external_account_id(self.event)
        for chunk in _chunks(items):
            try:
                answer = self.api.call(method, link.external_event_id, state, batch_input(chunk),
                                       external_account_id=account)
            except HubSpotError as e:
                error = self._fail(e)
                for key, *_rest in chunk:
                    out[key] = error
                continue
            self._succeeded()
            done = recorded(_get(answer, "results") or [])
            problem = _first_error(answer)
            for key, reference, *_rest in chunk:
                out[key] = done.get(key_of(reference)) or problem

    def _succeeded(self):
        # HubSpot took a request: a problem shown on the settings section (e.g. before reconnecting) is over.
        if not self._cleared:
            self.settings.set_problem("")
            self._cleared = True

    def _fail(self, e):
        error = translate_error(e)
        if isinstance(error, HubSpotConfigError):
            self.settings.set_problem(str(error.messages[0]))
        return error


def _first_error(answer):
    for item in _get(answer, "errors") or []:
        message = _get(item, "message") or ""
        return HubSpotRejected(_("HubSpot did not record the participant: {reason}").format(reason=message),
                               status=400, hubspot_message=message)
    return HubSpotRejected(_("HubSpot did not record the participant."), status=400)


def _chunks(items):
    items = list(items)
    for i in range(0, len(items), BATCH_SIZE):
        yield items[i:i + BATCH_SIZE]


def epoch_ms(dt):
    return int(dt.timestamp() * 1000)


# --- registrations and cancellations with the order's sync run ------------------------------------------------------

def refunded_amounts(order_ids):
    """Order id → sum of its completed refunds, for the orders that have any (one query for a whole run)."""
    rows = (OrderRefund.objects.filter(order_id__in=order_ids, state=OrderRefund.REFUND_STATE_DONE)
            .values("order_id").annotate(total=Sum("amount")))
    return {r["order_id"]: r["total"] for r in rows}


def desired_participants(order, settings, refunded=None):
    """
    ``{subevent or None: OrderedDict(email → (state, position, when))}``: what HubSpot should know about the order's
    participants. Positions without an attendee e-mail fall back to the buyer; each e-mail counts once per date.
    """
    if order.status in (Order.STATUS_CANCELED, Order.STATUS_EXPIRED) or (
            order.status == Order.STATUS_PAID and order.total > 0 and (refunded or 0) >= order.total):
        order_state = CANCEL
    elif order.status == Order.STATUS_PAID or (
            order.status == Order.STATUS_PENDING and settings.register_on == REGISTER_ON_PLACED):
        order_state = REGISTER
    else:
        order_state = None
    out = OrderedDict()
    for position in order.all_positions.all():
        if position.addon_to_id:
            continue
        state = CANCEL if position.canceled else order_state
        if state is None:
            continue
        email = (position.attendee_email if settings.participants == PARTICIPANTS_ATTENDEES else None) or order.email
        if not email:
            continue
        participants = out.setdefault(position.subevent, OrderedDict())
        key = email.strip().lower()
        # One registered position keeps the e-mail registered, even if another one of it is cancelled.
        if key not in participants or state == REGISTER:
            participants[key] = (state, position)
    return out


class OrderStep:
    """The marketing-event step of one sync run: after the mappings, for the orders that went through without error."""

    def __init__(self, provider):
        self.provider = provider
        self.event = provider.event
        self.settings = MarketingEventSettings(self.event)

    def run(self, outcomes):
        outcomes = [o for o in outcomes.values() if not o.errors]
        if not outcomes:
            return
        try:
            connection = self.provider.connection()
            writer = MarketingEventWriter(self.event, self.provider.api, connection)
        except HubSpotError as e:
            for outcome in outcomes:
                outcome.add_error(e)
            return
        previous = {}
        for r in OrderSyncResult.objects.filter(order_id__in=[o.order.pk for o in outcomes],
                                                sync_provider=self.provider.identifier, mapping_id=MAPPING_ID):
            previous[(r.order_id, r.id_value)] = r

        refunded = refunded_amounts([o.order.pk for o in outcomes])
        # per order and date: (order outcome, link, participants sent before, previous result)
        plans = []
        changes = OrderedDict()  # state → [(plan index, email, position, link, contact id)]
        for outcome in outcomes:
            order = outcome.order
            contact_ids = self._contact_ids(outcome)
            wanted = desired_participants(order, self.settings, refunded.get(order.pk))
            dates = OrderedDict((external_event_id(self.event, se), se) for se in wanted)
            for (order_id, ext_id), result in previous.items():
                if order_id == order.pk and ext_id not in dates:
                    dates[ext_id] = result
            for ext_id, subevent in dates.items():
                known = previous.get((order.pk, ext_id))
                sent = dict(((known.sync_info or {}).get("participants") or {}) if known else {})
                wanted_here = wanted.get(subevent, {}) if not isinstance(subevent, OrderSyncResult) else {}
                if not wanted_here and not any(p.get("state") == REGISTER for p in sent.values()):
                    continue
                if isinstance(subevent, OrderSyncResult):
                    subevent = self._subevent_of(known)
                try:
                    link = writer.ensure(subevent)
                except HubSpotError as e:
                    outcome.add_error(self._order_error(order, e))
                    break
                index = len(plans)
                plans.append((outcome, link, sent, known))
                for email, (state, position) in wanted_here.items():
                    before = sent.get(email, {}).get("state")
                    if state == before or (state == CANCEL and before != REGISTER):
                        continue
                    changes.setdefault(state, []).append((index, email, position, link, contact_ids.get(email)
                                                          or sent.get(email, {}).get("contact_id")))
                for email, info in sent.items():
                    if info.get("state") == REGISTER and email not in wanted_here:
                        changes.setdefault(CANCEL, []).append((index, email, None, link, info.get("contact_id")))
        self._send(writer, plans, changes)
        self._save(plans, connection)

    def _subevent_of(self, result):
        from ..models import MarketingEventLink

        link = MarketingEventLink.objects.filter(event=self.event, external_event_id=result.id_value).first()
        return link.subevent if link else None

    def _contact_ids(self, outcome):
        """E-mail → contact id of the contacts this run's contact mappings found or created for the order."""
        from ..models import HUBSPOT_CONTACTS

        ids = {}
        for objects in outcome.objects.values():
            for obj in objects:
                if obj and obj.record_id and not obj.error and obj.email and \
                        obj.mapping.external_object_type == HUBSPOT_CONTACTS:
                    ids.setdefault(obj.email.strip().lower(), str(obj.record_id))
        return ids

    def _send(self, writer, plans, changes):
        when = epoch_ms(now())
        self.sent = {}
        for state, items in changes.items():
            by_link = OrderedDict()
            for item in items:
                by_link.setdefault(item[3].external_event_id, []).append(item)
            for _ext_id, group in by_link.items():
                link = group[0][3]
                by_id, by_email, keys = [], [], {}
                for n, (index, email, position, _link, contact_id) in enumerate(group):
                    key = (index, email)
                    keys[key] = contact_id
                    order = plans[index][0].order
                    ms = epoch_ms(order.datetime) if state == REGISTER else when
                    if contact_id:
                        by_id.append((key, contact_id, ms, None))
                    else:
                        by_email.append((key, email, ms, None, self._contact_properties(position)))
                result = writer.record(link, state, by_id, by_email)
                # A remembered contact that HubSpot no longer knows: by e-mail, which finds or creates it.
                retry = [(key, key[1], ms, None, None) for key, vid, ms, _p in by_id
                         if isinstance(result.get(key), HubSpotRejected)]
                if retry:
                    result.update(writer.record(link, state, [], retry))
                for key, value in result.items():
                    self.sent[key] = (state, value)

    @staticmethod
    def _contact_properties(position):
        if position is None:
            return None
        parts = position.attendee_name_parts or {}
        props = {}
        if parts.get("given_name"):
            props["firstname"] = parts["given_name"]
        if parts.get("family_name"):
            props["lastname"] = parts["family_name"]
        return props or None

    def _order_error(self, order, error):
        with language(self.event.settings.locale):
            message = _("Order {order}, marketing event: {reason}").format(
                order=order.code, reason=error.messages[0] if getattr(error, "messages", None) else str(error))
        if isinstance(error, HubSpotError):
            new = type(error)(message, status=error.status, category=error.category,
                              hubspot_message=error.hubspot_message, correlation_id=error.correlation_id)
            for attr in ("retry_after",):
                if hasattr(error, attr):
                    setattr(new, attr, getattr(error, attr))
            return new
        return error

    def _save(self, plans, connection):
        transmitted = now()
        to_save = []
        for index, (outcome, link, sent, known) in enumerate(plans):
            participants = dict(sent)
            failed = None
            changed = False
            for (i, email), (state, value) in self.sent.items():
                if i != index:
                    continue
                if isinstance(value, Exception):
                    failed = failed or value
                    continue
                participants[email] = {"state": state, "contact_id": value}
                changed = True
            if failed is not None:
                outcome.add_error(self._order_error(outcome.order, failed))
            if not participants:
                continue
            result = known or OrderSyncResult(order=outcome.order, sync_provider=self.provider.identifier,
                                              mapping_id=MAPPING_ID)
            registered = sum(1 for p in participants.values() if p["state"] == REGISTER)
            cancelled = sum(1 for p in participants.values() if p["state"] == CANCEL)
            result.external_object_type = OBJECT_TYPE
            result.external_id_field = "externalEventId"
            result.id_value = link.external_event_id
            result.external_link_href = marketing_event_url(connection, link.object_id)
            result.external_link_display_name = label(link, registered, cancelled)[:255]
            result.sync_info = {"action": "update" if changed else "nothing_to_do", "object_id": link.object_id,
                                "participants": participants}
            result.transmitted = transmitted
            to_save.append(result)
            outcome.mapped_objects.setdefault(MAPPING_ID, []).append(result)
        save_results(to_save)


def label(link, registered, cancelled):
    parts = []
    if registered:
        parts.append(_("{count} registered").format(count=registered))
    if cancelled:
        parts.append(_("{count} cancelled").format(count=cancelled))
    return _("Marketing event #{id} – {name} ({state})").format(
        id=link.object_id, name=link.name, state=", ".join(parts))


# For the settings form
PARTICIPANT_CHOICES = (
    (PARTICIPANTS_ATTENDEES, gettext_lazy("Each attendee with an e-mail address (the buyer for tickets without one)")),
    (PARTICIPANTS_BUYER, gettext_lazy("The buyer only")),
)
REGISTER_ON_CHOICES = (
    (REGISTER_ON_PAID, gettext_lazy("When the order is paid (free orders count as paid)")),
    (REGISTER_ON_PLACED, gettext_lazy("As soon as the order is placed")),
)
