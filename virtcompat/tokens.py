"""API tokens: generated once, stored as a SHA-256 digest, compared by digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from virtcompat.db import driver_row
from virtcompat.models import ApiToken

#: ``probe:read`` is the dashboards' scope: aggregates (``/stats``) only, never a probe's facts.
SCOPES = ("probe:write", "probe:read", "catalog:write", "admin")
PREFIX = "vc_"


def hash_secret(secret: str) -> str:
    # Tokens are 256-bit random values, so a fast unsalted digest is enough: there is
    # nothing to brute-force, unlike a human password.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if not scopes:
        raise ValueError("at least one scope is required")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_secret(secret), scopes=sorted(set(scopes)))
    session.add(token)
    session.flush()
    return token, secret


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a request needs of its token: who it is and what it may do."""

    id: int
    name: str
    scopes: list[str]


_TOKENS = cast(Table, ApiToken.__table__)
# A read of three columns, no ORM object: every authenticated request runs it, and it reads
# the row every time (no cache), so a revoked token stops working at once. On PostgreSQL as
# driver SQL (psycopg decodes the JSON scopes itself): no statement cache key to build per
# request. SQLite needs the JSON type's result processing, so it runs the Core select.
_FIND = select(_TOKENS.c.id, _TOKENS.c.name, _TOKENS.c.scopes).where(
    _TOKENS.c.token_hash == bindparam("token_hash"), _TOKENS.c.revoked_at.is_(None)
)
_FIND_PG = (
    f"SELECT id, name, scopes FROM {_TOKENS.name} "
    "WHERE token_hash = %(token_hash)s AND revoked_at IS NULL"
)


#: Longer secrets are no token of ours: refused without a database read.
MAX_SECRET_CHARS = 200


def find_token(session: Session, secret: str) -> TokenInfo | None:
    """The active token whose secret this is, else None."""
    if len(secret) > MAX_SECRET_CHARS:
        return None
    params = {"token_hash": hash_secret(secret)}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        row = driver_row(connection, _FIND_PG, params)
    else:
        row = connection.execute(_FIND, params).one_or_none()
    return None if row is None else TokenInfo(id=row[0], name=row[1], scopes=list(row[2]))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> bool:
    """Mark a token revoked; False when there is no such active token."""
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = dt.datetime.now(dt.UTC)
    session.flush()
    return True
