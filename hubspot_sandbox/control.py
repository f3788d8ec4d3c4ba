"""``/_sandbox/…``: a small JSON control API for the standalone process (demo scripts, a second terminal)."""
import json

from werkzeug.wrappers import Response


def _json(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/json")


def handle(sandbox, request):
    path = request.path[len("/_sandbox"):].rstrip("/")
    if path == "/state" and request.method == "GET":
        return _json(sandbox.summary())
    if path.startswith("/records/") and request.method == "GET":
        object_type = path[len("/records/"):]
        try:
            return _json({"results": sandbox.records(object_type, request.args.get("portal_id"))})
        except KeyError:
            return _json({"message": f"unknown object type or portal: {object_type}"}, 404)
    if path == "/requests" and request.method == "GET":
        with sandbox.lock:
            counts = {}
            for entry in sandbox.request_log:
                key = f"{entry['method']} {entry['path']}"
                counts[key] = counts.get(key, 0) + 1
            statuses = {}
            for entry in sandbox.request_log:
                statuses[str(entry["status"])] = statuses.get(str(entry["status"]), 0) + 1
        return _json({"total": sum(counts.values()), "by_endpoint": counts, "by_status": statuses})
    if path == "/reset" and request.method == "POST":
        sandbox.reset()
        return _json({"reset": True})
    if path == "/tokens" and request.method == "POST":
        body = request.get_json(silent=True) or {}
        return _json(sandbox.issue_tokens(body.get("portal_id", sandbox.default_portal_id), body.get("scopes")))
    if path == "/knobs" and request.method == "POST":
        body = request.get_json(silent=True) or {}
        allowed = ("latency", "rate_limit", "rate_interval", "search_lag", "timeout_seconds", "redirect_uris",
                   "rotate_refresh_tokens", "refuse_legacy_paths")
        with sandbox.lock:
            for key, value in body.items():
                if key in allowed:
                    setattr(sandbox, key, value)
        return _json(sandbox.summary()["knobs"])
    return _json({"message": "unknown control endpoint"}, 404)
