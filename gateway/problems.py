"""Every error leaves the gateway as application/problem+json (RFC 9457), never a traceback."""

import logging

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from infra.errors import Moved, ServiceError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "about:blank"


def problem(status: int, title: str, detail: str = "", errors: dict | None = None, **extra):
    body = {"type": PROBLEM_TYPE, "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _http_error(error: HTTPException):
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:  # webargs/flask-smorest validation: {"json": {"field": [...]}, "query": ...}
        errors = {}
        for location, found in messages.items():
            errors.update(found if isinstance(found, dict) else {location: found})
        return problem(422, "Validation failed", "The request has invalid fields.", errors)
    response = problem(error.code or 500, error.name, error.description or "")
    for header, value in [*error.get_headers(), *(data.get("headers") or {}).items()]:
        if header.lower() != "content-type":
            response.headers[header] = value
    return response


def takes_files(view):
    """Mark a view that takes a multipart/form-data body (a file upload) instead of JSON."""
    view.takes_files = True
    return view


def require_json(request):
    """A body that is not JSON is refused up front, not read as an empty object; a request
    the routes refuse anyway (404, 405) is left to say so."""
    if (
        request.routing_exception is None
        and request.method in ("POST", "PUT", "PATCH")
        and request.content_length
        and not request.is_json
        and not _upload(request)
    ):
        return problem(
            415,
            "Unsupported Media Type",
            "Send the body as JSON, with 'Content-Type: application/json'.",
        )
    return None


def _upload(request) -> bool:
    view = current_app.view_functions.get(request.endpoint)
    return request.mimetype == "multipart/form-data" and getattr(view, "takes_files", False)


def _service_error(error: ServiceError):
    response = problem(error.status, error.title, error.detail, error.errors, **error.extra)
    if isinstance(error, Moved):  # the same request, at the surviving record
        path = request.full_path.rstrip("?")
        response.headers["Location"] = path.replace(
            error.extra["merged_id"], error.extra["location_id"]
        )
    return response


def _unexpected(error: Exception):
    log.exception("unhandled error: %s", error)
    return problem(500, "Internal server error", "Something went wrong on our side.")


def register(app: Flask) -> None:
    app.before_request(lambda: require_json(request))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(Exception, _unexpected)
