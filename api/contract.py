"""The request half of the OpenAPI contract, checked before any view runs.

- A body in a media type the operation does not take is a 415 naming the ones it does.
- A query parameter on an operation that documents none is a 422 naming it (operations with
  parameters check theirs in their own argument schemas, with the same wording).

Both read the OpenAPI document's operations, so the document and the checks cannot disagree:
/validate/domain-config documents JSON, text/plain and XML bodies and takes them; every
``@blp.arguments`` JSON body takes application/json only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Request
from flask_smorest.spec.plugins import FlaskPlugin

from api.errors import Problem

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CACHE = "request_contract"


@dataclass(frozen=True)
class _Operation:
    media_types: tuple[str, ...]  # empty: no body documented
    has_query: bool


def _table(app: Flask) -> dict[tuple[str, str], _Operation]:
    ext = app.extensions["virtcompat"]
    table: dict[tuple[str, str], _Operation] | None = ext.get(_CACHE)
    if table is None:
        api: Any = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        paths = api.spec.to_dict()["paths"]
        table = {}
        for rule in app.url_map.iter_rules():
            item = paths.get(FlaskPlugin.flaskpath2openapi(rule.rule))
            if item is None:
                continue
            for method in rule.methods or ():
                op = item.get(method.lower())
                if op is None:
                    continue
                content = op.get("requestBody", {}).get("content", {})
                params = op.get("parameters", []) + item.get("parameters", [])
                table[(rule.endpoint, method)] = _Operation(
                    tuple(content), any(p.get("in") == "query" for p in params)
                )
        ext[_CACHE] = table
    return table


def check_request(app: Flask, req: Request, endpoint: str) -> None:
    op = _table(app).get((endpoint, req.method))
    if op is None:
        return
    if not op.has_query and req.environ.get("QUERY_STRING"):
        unknown = sorted(req.args)
        if unknown:
            raise Problem(
                422,
                "; ".join(f"query.{k}: Unknown field." for k in unknown),
                title="Invalid request",
                errors=[{"field": f"query.{k}", "message": "Unknown field."} for k in unknown],
            )
    if req.method in _BODY_METHODS and op.media_types and req.mimetype not in op.media_types:
        accepted = op.media_types
        sent = req.mimetype or "none"
        header = "Accept-Patch" if req.method == "PATCH" else "Accept-Post"
        raise Problem(
            415,
            f"Content-Type {sent!r} is not accepted here; send one of: {', '.join(accepted)}.",
            headers={header: ", ".join(accepted)},
            accepted=list(accepted),
        )
