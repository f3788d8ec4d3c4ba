"""
The WSGI application: routing, then the knobs every request passes through (latency, injected failures, rate limits,
authentication), then the handler, then HubSpot's response headers.
"""
import json
import math
import socket
import time
import uuid

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from . import (  # noqa: F401  (the crm_* and oauth_* modules are imported for their @route registrations)
    control, crm_associations, crm_currencies, crm_labels, crm_objects, crm_pipelines, crm_properties, crm_schemas,
    crm_search, errors, marketing_events, oauth_endpoints, routing,
)
from .context import RequestContext


def json_response(status, body, headers=None):
    if status == 204 or body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json;charset=utf-8")


class SandboxApp:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.url_map = Map(list(routing.RULES), strict_slashes=False, merge_slashes=False,
                           converters=routing.CONVERTERS)

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            return control.handle(self.sandbox, request)(environ, start_response)

        sandbox = self.sandbox
        correlation_id = str(uuid.uuid4())
        entry = self._log_entry(request, correlation_id)
        if sandbox.latency:
            time.sleep(sandbox.latency)

        rule = sandbox._take_failure(request.method, request.path)
        failure = rule and rule["kind"]
        entry["injected"] = failure
        if failure in (500, 502, 503):
            response = self._failure_response(failure, correlation_id)
        elif failure == 429:
            response = self._injected_rate_limit(correlation_id, rule.get("retry_after", 1))
        elif failure == "timeout":
            # Hold the request like an overloaded HubSpot would, but boundedly, and let reset()/stop() cut it short.
            sandbox._release.wait(sandbox.timeout_seconds)
            response = self._failure_response(504, correlation_id)
        else:
            response = self._dispatch(request, environ, correlation_id, entry)

        malformation = sandbox._take_malformation(request.path) if failure is None else None
        if malformation is not None:
            response = self._malformed(response, malformation)
        response.headers["X-HubSpot-Correlation-Id"] = correlation_id
        entry["status"] = response.status_code
        if failure == "lost_response":
            # The write above has been applied; now the answer goes missing, as when a connection drops mid-flight.
            entry["lost_response"] = True
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise ConnectionResetError("sandbox dropped the response on purpose")
        return response(environ, start_response)

    def _log_entry(self, request, correlation_id):
        body = None
        if request.mimetype == "application/json":
            body = request.get_json(silent=True, cache=True)
        form = None
        if request.mimetype == "application/x-www-form-urlencoded":
            form = request.form.to_dict()
        entry = {
            "method": request.method,
            "path": request.path,
            "query": request.args.to_dict(),
            "args": request.args.to_dict(flat=False),
            "status": None,
            "portal_id": None,
            "json": body,
            "form": form,
            "time": time.time(),
            "correlation_id": correlation_id,
        }
        with self.sandbox.lock:
            self.sandbox.request_log.append(entry)
        return entry

    @staticmethod
    def _malformed(response, rule):
        if rule["body"] is not None:
            return Response(rule["body"], status=response.status_code, content_type="text/html")
        body = json.loads(response.get_data(as_text=True) or "{}")
        for key, value in rule["changes"].items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return Response(json.dumps(body), status=response.status_code, headers=headers)

    def _failure_response(self, status, correlation_id):
        if status == 502:
            # Gateways answer with HTML, not with HubSpot's JSON: clients must not assume a JSON error body.
            return Response("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
                            "</body></html>", status=502, content_type="text/html")
        messages = {500: "internal error", 503: "Service Unavailable", 504: "Gateway Timeout"}
        return json_response(status, {"status": "error", "message": messages[status],
                                      "correlationId": correlation_id, "category": "INTERNAL_ERROR"
                                      if status == 500 else "SERVICE_UNAVAILABLE"})

    def _injected_rate_limit(self, correlation_id, retry_after=1):
        sandbox = self.sandbox
        headers = {
            "Retry-After": str(retry_after),
            "X-HubSpot-RateLimit-Max": str(sandbox.rate_limit),
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(sandbox.rate_interval * 1000)),
        }
        body = errors.rate_limit_body("TEN_SECONDLY_ROLLING", correlation_id, str(uuid.uuid4()))
        return json_response(429, body, headers)

    def _dispatch(self, request, environ, correlation_id, entry):
        sandbox = self.sandbox
        adapter = self.url_map.bind_to_environ(environ)
        try:
            name, args = adapter.match()
        except MethodNotAllowed:
            return json_response(405, {"status": "error", "message": f"HTTP {request.method} is not supported by "
                                       f"this route.", "correlationId": correlation_id})
        except NotFound:
            return json_response(404, {"status": "error", "message": "Resource not found", "category":
                                       "OBJECT_NOT_FOUND", "correlationId": correlation_id})
        endpoint = routing.ENDPOINTS[name]
        api_version = args.pop("api_version", None)
        if endpoint.legacy and sandbox.refuse_legacy_paths:
            return json_response(404, errors.retired_api_body(request.path, correlation_id))
        if api_version is not None and api_version not in sandbox.api_versions:
            return json_response(404, errors.unknown_api_version_body(api_version, correlation_id))
        ctx = RequestContext(sandbox, request, correlation_id)
        ctx.api_version = api_version
        rate_headers = {}
        with sandbox.lock:
            try:
                if endpoint.auth:
                    ctx.authenticate()
                    entry["portal_id"] = ctx.portal.portal_id
                    if endpoint.search:
                        self._count_search(ctx)
                    else:
                        rate_headers = self._count_request(ctx)
                result = endpoint.handler(ctx, **args)
            except errors.HubSpotError as e:
                headers = dict(e.headers)
                headers.update(rate_headers)
                return json_response(e.status_code, e.to_body(correlation_id), headers)
        if isinstance(result, Response):
            response = result
        else:
            status, body = result
            response = json_response(status, body)
        for key, value in rate_headers.items():
            response.headers[key] = value
        return response

    # --- rate limits ------------------------------------------------------------------------------------------------
    def _count_request(self, ctx):
        """Rolling per-portal window; a request over the limit is refused with 429 and does not count."""
        sandbox = self.sandbox
        window = ctx.portal.rate_window
        now = time.monotonic()
        while window and window[0] <= now - sandbox.rate_interval:
            window.popleft()
        headers = {
            "X-HubSpot-RateLimit-Max": str(sandbox.rate_limit),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(sandbox.rate_interval * 1000)),
        }
        if len(window) >= sandbox.rate_limit:
            retry_after = max(1, math.ceil(window[0] + sandbox.rate_interval - now))
            headers["X-HubSpot-RateLimit-Remaining"] = "0"
            headers["Retry-After"] = str(retry_after)
            body = errors.rate_limit_body("TEN_SECONDLY_ROLLING", ctx.correlation_id, str(uuid.uuid4()))
            raise errors.HubSpotError(429, body["message"], None, body=body, headers=headers)
        window.append(now)
        headers["X-HubSpot-RateLimit-Remaining"] = str(sandbox.rate_limit - len(window))
        return headers

    def _count_search(self, ctx):
        sandbox = self.sandbox
        window = ctx.portal.search_window
        now = time.monotonic()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= sandbox.search_rate_limit:
            body = errors.rate_limit_body("SECONDLY", ctx.correlation_id, str(uuid.uuid4()))
            raise errors.HubSpotError(429, body["message"], None, body=body, headers={"Retry-After": "1"})
        window.append(now)
