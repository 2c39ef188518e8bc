"""Pagination with ``total`` and a ``Link`` header, over a deterministically ordered query."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Select, func, select

from api.db import db

T = TypeVar("T")


def _page_url(page: int, per_page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    args["per_page"] = [str(per_page)]
    return f"{request.base_url}?{urlencode(args, doseq=True)}"


def paginate(
    stmt: Select[T],
    page: int,
    per_page: int,
    dump: Callable[[Sequence[T]], list[dict[str, Any]]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Run ``stmt`` (already ordered, ending in the primary key) for one page.

    The count runs over a subquery of the same filtered statement, so filters and the
    total can never disagree.
    """
    session = db()
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    body = {"items": dump(rows), "total": total, "page": page, "per_page": per_page}
    return body, {"Link": _links(page, per_page, total)}


def paginate_items(
    items: Sequence[dict[str, Any]], page: int, per_page: int, **extra: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """The same contract over an in-memory list already in its stable order (the rule
    registry, the Xen option catalogue); ``extra`` adds members beside ``items``."""
    start = (page - 1) * per_page
    body = {
        "items": list(items[start : start + per_page]),
        "total": len(items),
        "page": page,
        "per_page": per_page,
        **extra,
    }
    return body, {"Link": _links(page, per_page, len(items))}


def _links(page: int, per_page: int, total: int) -> str:
    last = max(1, -(-total // per_page))
    links = [
        f'<{_page_url(1, per_page)}>; rel="first"',
        f'<{_page_url(last, per_page)}>; rel="last"',
    ]
    if page > 1:
        links.append(f'<{_page_url(min(page - 1, last), per_page)}>; rel="prev"')
    if page < last:
        links.append(f'<{_page_url(page + 1, per_page)}>; rel="next"')
    return ", ".join(links)
