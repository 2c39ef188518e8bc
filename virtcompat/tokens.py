"""API tokens: generated once, stored as a SHA-256 digest, compared by digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def find_token(session: Session, secret: str) -> ApiToken | None:
    if len(secret) > 200:
        return None
    return session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == hash_secret(secret), ApiToken.revoked_at.is_(None)
        )
    ).one_or_none()


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
