"""RFC 9457 problem details for every error the service returns.

flask-smorest routes every ``HTTPException`` (including routing 404/405 and webargs 422)
through ``Api.handle_http_exception``; ``ProblemApi`` in ``api/__init__.py`` overrides it to
call ``problem_response`` so there is exactly one error wire format.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Response, current_app, json, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

PROBLEM_MIME = "application/problem+json"
TYPE_BASE = "https://virtcompat.dev/problems/"

log = logging.getLogger("virtcompat.api")

_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


class Problem(HTTPException):
    """An error with a problem+json body; raise it from views and the domain adapters."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.title = title
        self.type_ = type_
        self.extra = extra
        self.extra_headers = dict(headers or {})


def flatten_messages(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """marshmallow's nested error dict -> (field path, message) pairs."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield from flatten_messages(value, path)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            for m in messages:
                yield prefix or "_schema", m
        else:
            for i, m in enumerate(messages):
                yield from flatten_messages(m, f"{prefix}.{i}" if prefix else str(i))
    else:
        yield prefix or "_schema", str(messages)


def problem_body(
    status: int, detail: str, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    from http import HTTPStatus

    try:
        default_title = HTTPStatus(status).phrase
    except ValueError:
        default_title = "Error"
    body: dict[str, Any] = {
        "type": TYPE_BASE + _TYPES.get(status, "error"),
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if request:
        body["instance"] = request.path
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


_NOT_AN_OBJECT = {"json": {"_schema": ["Invalid input type."]}}


def problem_response(exc: HTTPException) -> Response:
    status = exc.code or 500
    extra: dict[str, Any] = {}
    title: str | None = None
    headers: dict[str, str] = {}
    detail = exc.description or ""
    if isinstance(exc, Problem):
        extra = dict(exc.extra)
        title = exc.title
        headers = exc.extra_headers
        if exc.type_:
            extra["type"] = exc.type_
    data = getattr(exc, "data", None)
    if isinstance(data, Mapping) and data.get("messages") == _NOT_AN_OBJECT:
        # A JSON array or scalar where an object belongs: marshmallow's "_schema: Invalid
        # input type" names no field; answer as the hand-parsed JSON endpoints do.
        status, data = 400, None
        detail = "The body is not a JSON object."
    if isinstance(data, Mapping) and "messages" in data:
        # webargs/marshmallow validation error: keep field paths ("json.items.3.board").
        errors = [
            {"field": path, "message": msg} for path, msg in flatten_messages(data["messages"])
        ]
        extra["errors"] = errors
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:10]) or detail
        if status == 422:
            title = "Invalid request"
    if status == 413:
        limit = getattr(request, "max_content_length", None)
        if limit:
            detail = f"Request body exceeds the limit of {limit} bytes for this endpoint."
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    if status == 500:
        detail = "An internal error occurred; it has been logged."
    body = problem_body(status, detail, title, **extra)
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for k, v in headers.items():
        resp.headers[k] = v
    return resp


def handle_unexpected(exc: Exception) -> Response:
    """Our own bugs: logged with the request id, answered with a generic 500 problem.

    A database that is unreachable or busy is not a bug of the request: 503 with Retry-After.
    """
    if isinstance(exc, HTTPException):
        return problem_response(exc)
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.path,
            type(exc.orig).__name__ if exc.orig is not None else exc,
        )
        return problem_response(
            Problem(
                503,
                "The database is unavailable or busy; retry shortly.",
                headers={"Retry-After": "2"},
            )
        )
    log.exception("unhandled error on %s %s", request.method, request.path)
    if current_app.debug or current_app.testing and current_app.config.get("PROPAGATE_BUGS"):
        raise exc
    return problem_response(InternalServerError())


def validation_problem(exc: Any, location: str = "json") -> Problem:
    """A marshmallow ValidationError raised outside webargs, as a 422 with field paths."""
    errors = [
        {"field": f"{location}.{path}", "message": msg}
        for path, msg in flatten_messages(exc.messages)
    ]
    return Problem(
        422,
        "; ".join(f"{e['field']}: {e['message']}" for e in errors[:10]),
        title="Invalid request",
        errors=errors,
    )
