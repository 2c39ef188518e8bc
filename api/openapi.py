"""The OpenAPI document says every status the API can answer, each error as problem+json.

flask-smorest documents the success response of a view and, for all of them, one catch-all
``default`` error. A client generator or a contract tester (schemathesis) needs the real list,
so this apispec plugin adds, per operation, the errors that the shared layers produce whatever
the view: the request-decoding layer and unknown parameters (400/422), missing ids (404),
bodies (413/415), conditional GET (304), gunicorn's request-line and header limits (414/431)
and the database (503). A view that answers something else documents it itself.
"""

from __future__ import annotations

import http
from typing import Any

from apispec import BasePlugin

_EVERY = (400, 414, 422, 431, 500, 503)
_WITH_BODY = (413, 415)
_WRITES = ("post", "patch", "put", "delete")


def _name(status: int) -> str:
    return http.HTTPStatus(status).name


class ErrorResponsesPlugin(BasePlugin):
    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        if not path or operations is None:
            return
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("default", None)
            for code, response in list(responses.items()):
                # A hand-written {"$ref": ...} bypasses apispec's lazy registration (the
                # component was never emitted); the bare name registers it.
                ref = response.get("$ref", "") if isinstance(response, dict) else ""
                if ref.startswith("#/components/responses/"):
                    responses[code] = ref.rsplit("/", 1)[1]
            wanted = list(_EVERY)
            if "{" in path:
                wanted.append(404)
            if method == "get":
                wanted.append(304)
            if "requestBody" in operation or method in ("post", "patch", "put"):
                wanted.extend(_WITH_BODY)
            security = operation.get("security") or []
            if method in _WRITES and security and {} not in security:
                wanted.append(409)  # token-only writes: catalogue conflicts, probe keys
            for status in sorted(wanted):
                responses.setdefault(str(status), _name(status))
