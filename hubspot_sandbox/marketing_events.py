"""
Marketing events (``/marketing/v3/marketing-events/…``, served at ``/marketing/marketing-events/{YYYY-MM}/…`` too):
events identified by the app's ``externalAccountId`` + ``externalEventId``, and their participants' states.

What HubSpot documents and the sandbox does:
- create (``POST /events``, 200), upsert (``PUT /events/{externalEventId}``, 200), read/update/delete by external
  ids (``?externalAccountId=``), ``POST /events/{id}/cancel`` and ``…/complete`` (200);
- attendance by contact id (``/attendance/{id}/{state}/create``; unknown contact ids come back in ``errors``) and
  by e-mail (``…/email-create``), which creates missing contacts (``contactProperties`` apply to new ones only);
  states ``register``, ``attend`` (``joinedAt``/``leftAt`` in ``properties``), ``cancel``;
- participations: counters and a breakdown per contact (``/participations/{externalAccountId}/{externalEventId}…``);
- scopes ``crm.objects.marketing_events.write`` (writes) and ``.read`` (reads): 403 MISSING_SCOPES otherwise.

The sandbox's own assumptions (HubSpot does not document them): creating an event whose external ids exist already
answers 409; an account without access to marketing events (``HubSpotSandbox.disable_marketing_events``) answers 403
with category ``FORBIDDEN`` and the message below.
"""
import time

from . import errors
from .crm_objects import find_by_property, store_new_record
from .defaults import CONTACTS
from .routing import route
from .timeutil import iso, iso_from_datetime, parse_datetime

STATES = {"register": "REGISTERED", "attend": "ATTENDED", "cancel": "CANCELLED"}
EVENT_FIELDS = ("eventName", "eventOrganizer", "eventType", "startDateTime", "endDateTime", "eventDescription",
                "eventUrl", "eventCancelled", "eventCompleted", "customProperties")
REQUIRED_FIELDS = ("externalAccountId", "externalEventId", "eventName", "eventOrganizer")
NO_ACCESS_MESSAGE = "This account does not have access to marketing events."


def _check(ctx, write):
    ctx.require_scopes("crm.objects.marketing_events." + ("write" if write else "read"))
    if not ctx.portal.marketing_events_available:
        raise errors.HubSpotError(403, NO_ACCESS_MESSAGE, "FORBIDDEN")


def _account_id(ctx):
    value = ctx.request.args.get("externalAccountId")
    if not value:
        raise errors.validation_error("externalAccountId is required", context={"externalAccountId": ["missing"]})
    return value


def _find(ctx, external_event_id, account_id=None):
    event = ctx.portal.marketing_events.get((account_id or _account_id(ctx), external_event_id))
    if event is None:
        raise errors.not_found(f"Marketing event {external_event_id} not found.")
    return event


def _clean_fields(body):
    values = {}
    for name in EVENT_FIELDS:
        if name not in body:
            continue
        value = body[name]
        if name in ("startDateTime", "endDateTime") and value is not None:
            parsed = parse_datetime(str(value))
            if parsed is None:
                raise errors.validation_error(f"Invalid value for {name}: {value}", context={name: [str(value)]})
            value = iso_from_datetime(parsed)
        values[name] = value
    return values


def event_json(event):
    body = {"id": event["objectId"], "objectId": event["objectId"], "createdAt": iso(event["createdAt"]),
            "updatedAt": iso(event["updatedAt"]), "customProperties": [], "eventCancelled": False,
            "eventCompleted": False}
    body.update({k: v for k, v in event["fields"].items() if v is not None})
    return body


def _store(ctx, account_id, external_event_id, fields):
    now = time.time()
    key = (account_id, external_event_id)
    event = ctx.portal.marketing_events.get(key)
    if event is None:
        event = {"objectId": ctx.state.next_id(), "externalAccountId": account_id,
                 "externalEventId": external_event_id, "createdAt": now, "fields": {}, "participants": {}}
        ctx.portal.marketing_events[key] = event
    event["fields"].update(fields)
    event["updatedAt"] = now
    return event


def _body(ctx):
    body = ctx.json()
    if not isinstance(body, dict):
        raise errors.validation_error("Invalid input JSON: expected an object")
    return body


def _require(body):
    missing = [name for name in REQUIRED_FIELDS if not body.get(name)]
    if missing:
        raise errors.validation_error("Some required fields were not set: " + ", ".join(missing),
                                      context={"missingFields": missing})


# --- events ----------------------------------------------------------------------------------------------------------

@route("/marketing/v3/marketing-events/events", ["POST"])
def create(ctx):
    _check(ctx, True)
    body = _body(ctx)
    _require(body)
    if (body["externalAccountId"], body["externalEventId"]) in ctx.portal.marketing_events:
        raise errors.HubSpotError(409, "A marketing event with these external ids exists already.", "CONFLICT")
    event = _store(ctx, body["externalAccountId"], body["externalEventId"], _clean_fields(body))
    return 200, event_json(event)


@route("/marketing/v3/marketing-events/events/<external_event_id>", ["PUT"])
def upsert(ctx, external_event_id):
    _check(ctx, True)
    body = _body(ctx)
    _require(dict(body, externalEventId=external_event_id))
    event = _store(ctx, body["externalAccountId"], external_event_id, _clean_fields(body))
    return 200, event_json(event)


@route("/marketing/v3/marketing-events/events/<external_event_id>", ["GET"])
def get_details(ctx, external_event_id):
    _check(ctx, False)
    event = _find(ctx, external_event_id)
    body = event_json(event)
    counters = _counters(event)
    body.update({"externalEventId": external_event_id, "registrants": counters["registered"],
                 "attendees": counters["attended"], "cancellations": counters["cancelled"], "noShows": 0})
    return 200, body


@route("/marketing/v3/marketing-events/events/<external_event_id>", ["PATCH"])
def update(ctx, external_event_id):
    _check(ctx, True)
    event = _find(ctx, external_event_id)
    event["fields"].update(_clean_fields(_body(ctx)))
    event["updatedAt"] = time.time()
    return 200, event_json(event)


@route("/marketing/v3/marketing-events/events/<external_event_id>", ["DELETE"])
def archive(ctx, external_event_id):
    _check(ctx, True)
    account_id = _account_id(ctx)
    _find(ctx, external_event_id, account_id)
    del ctx.portal.marketing_events[(account_id, external_event_id)]
    return 204, None


@route("/marketing/v3/marketing-events/events/<external_event_id>/cancel", ["POST"])
def cancel(ctx, external_event_id):
    _check(ctx, True)
    event = _find(ctx, external_event_id)
    event["fields"]["eventCancelled"] = True
    event["updatedAt"] = time.time()
    return 200, event_json(event)


@route("/marketing/v3/marketing-events/events/<external_event_id>/complete", ["POST"])
def complete(ctx, external_event_id):
    _check(ctx, True)
    event = _find(ctx, external_event_id)
    body = _body(ctx)
    missing = [name for name in ("startDateTime", "endDateTime") if not body.get(name)]
    if missing:
        raise errors.validation_error("Some required fields were not set: " + ", ".join(missing))
    event["fields"].update(_clean_fields(body))
    event["fields"]["eventCompleted"] = True
    event["updatedAt"] = time.time()
    return 200, event_json(event)


# --- attendance ------------------------------------------------------------------------------------------------------

def _state(subscriber_state):
    state = STATES.get(subscriber_state.lower())
    if state is None:
        raise errors.validation_error(f"Unknown subscriber state: {subscriber_state}",
                                      context={"subscriberState": [subscriber_state]})
    return state


def _inputs(ctx):
    body = _body(ctx)
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise errors.validation_error("inputs is required")
    return inputs


def _record(event, contact, state, item):
    """One participation change; a contact has one current state per event, changes are kept as its history."""
    when = item.get("interactionDateTime")
    if not isinstance(when, int):
        raise errors.validation_error("interactionDateTime must be epoch milliseconds")
    participant = event["participants"].setdefault(contact.id, {"contactId": contact.id, "history": []})
    participant["history"].append({"state": state, "at": when, "properties": dict(item.get("properties") or {})})
    # A registration after attending does not undo the attendance.
    if not (state == "REGISTERED" and participant.get("state") == "ATTENDED"):
        participant["state"] = state
        participant["occurredAt"] = when


def _batch_answer(results, failures, started):
    body = {"status": "COMPLETE", "results": results, "startedAt": iso(started), "completedAt": iso(time.time())}
    if failures:
        body["numErrors"] = len(failures)
        body["errors"] = failures
    return 200, body


@route("/marketing/v3/marketing-events/attendance/<external_event_id>/<subscriber_state>/create", ["POST"])
def attendance_by_id(ctx, external_event_id, subscriber_state):
    started = time.time()
    _check(ctx, True)
    event = _find(ctx, external_event_id)
    state = _state(subscriber_state)
    results, failures = [], []
    for item in _inputs(ctx):
        contact = ctx.portal.records[CONTACTS].get(str(item.get("vid")))
        if contact is None or contact.archived:
            failures.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                             "message": f"Contact {item.get('vid')} not found.",
                             "context": {"vid": [str(item.get("vid"))]}})
            continue
        _record(event, contact, state, item)
        results.append({"vid": int(contact.id)})
    return _batch_answer(results, failures, started)


@route("/marketing/v3/marketing-events/attendance/<external_event_id>/<subscriber_state>/email-create", ["POST"])
def attendance_by_email(ctx, external_event_id, subscriber_state):
    started = time.time()
    _check(ctx, True)
    event = _find(ctx, external_event_id)
    state = _state(subscriber_state)
    results, failures = [], []
    for item in _inputs(ctx):
        email = str(item.get("email") or "").strip()
        if "@" not in email:
            failures.append({"status": "error", "category": "VALIDATION_ERROR",
                             "message": f"Invalid email: {email}", "context": {"email": [email]}})
            continue
        contact = find_by_property(ctx.portal, CONTACTS, "email", email)
        if contact is None:
            values = {k: str(v) for k, v in (item.get("contactProperties") or {}).items()}
            values["email"] = email
            contact = store_new_record(ctx.sandbox, ctx.portal, CONTACTS, values)
        _record(event, contact, state, item)
        results.append({"vid": int(contact.id), "email": contact.properties.get("email")})
    return _batch_answer(results, failures, started)


# --- participations --------------------------------------------------------------------------------------------------

def _counters(event):
    counts = {"REGISTERED": 0, "ATTENDED": 0, "CANCELLED": 0}
    for participant in event["participants"].values():
        counts[participant["state"]] += 1
    return {"registered": counts["REGISTERED"], "attended": counts["ATTENDED"], "cancelled": counts["CANCELLED"],
            "noShows": 0}


@route("/marketing/v3/marketing-events/participations/<external_account_id>/<external_event_id>", ["GET"])
def participation_counters(ctx, external_account_id, external_event_id):
    _check(ctx, False)
    return 200, _counters(_find(ctx, external_event_id, external_account_id))


@route("/marketing/v3/marketing-events/participations/<external_account_id>/<external_event_id>/breakdown", ["GET"])
def participation_breakdown(ctx, external_account_id, external_event_id):
    _check(ctx, False)
    event = _find(ctx, external_event_id, external_account_id)
    results = []
    for participant in event["participants"].values():
        contact = ctx.portal.records[CONTACTS][participant["contactId"]]
        results.append({
            "id": f"{event['objectId']}-{contact.id}",
            "createdAt": iso(participant["history"][0]["at"] / 1000),
            "associations": {
                "marketingEvent": {"marketingEventId": event["objectId"], "name": event["fields"].get("eventName"),
                                   "externalEventId": event["externalEventId"],
                                   "externalAccountId": event["externalAccountId"]},
                "contact": {"contactId": contact.id, "email": contact.properties.get("email"),
                            "firstname": contact.properties.get("firstname"),
                            "lastname": contact.properties.get("lastname")},
            },
            "properties": {"attendanceState": participant["state"], "occurredAt": participant["occurredAt"]},
        })
    return 200, {"total": len(results), "results": results}


def summary(portal):
    """Every marketing event of an account with its participants, for tests: ``[{…, "participants": {…}}]``."""
    out = []
    for event in portal.marketing_events.values():
        body = event_json(event)
        body.update({"externalAccountId": event["externalAccountId"], "externalEventId": event["externalEventId"],
                     "participants": {cid: {"state": p["state"], "history": [dict(h) for h in p["history"]]}
                                      for cid, p in event["participants"].items()}})
        out.append(body)
    return out
