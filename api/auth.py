"""Bearer tokens with scopes. Only the SHA-256 of a token is stored or compared."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from api.db import db
from api.errors import Problem
from virtcompat.tokens import TokenInfo, find_token

F = TypeVar("F", bound=Callable[..., Any])

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="virtcompat"'}


def has_bearer() -> bool:
    return bool(request.headers.get("Authorization", "").strip())


def authenticate(scope: str) -> TokenInfo:
    """The request's token: 401 without a valid one, 403 when it lacks ``scope`` (``admin``
    has every scope). Also kept as ``g.token``."""
    header = request.headers.get("Authorization", "")
    kind, _, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise Problem(401, "A bearer token is required.", headers=_CHALLENGE)
    token = find_token(db(), secret.strip())
    if token is None:
        raise Problem(401, "The bearer token is not valid.", headers=_CHALLENGE)
    if scope not in token.scopes and "admin" not in token.scopes:
        raise Problem(403, f"The token lacks the scope {scope!r}.")
    g.token = token
    return token


def require_scope(scope: str) -> Callable[[F], F]:
    """401 without a valid token, 403 when the token lacks ``scope`` (``admin`` has all)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            authenticate(scope)
            return view(*args, **kwargs)

        # Document the requirement in OpenAPI the way flask-smorest's @blp.doc does
        # (manual doc merged into the operation), so every scoped view says so.
        apidoc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        manual.setdefault("security", [{"bearer": []}])
        responses = manual.setdefault("responses", {})
        responses.setdefault("401", {"$ref": "#/components/responses/UNAUTHORIZED"})
        responses.setdefault("403", {"$ref": "#/components/responses/FORBIDDEN"})
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
