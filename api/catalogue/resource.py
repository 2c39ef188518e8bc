"""One definition per catalogue resource, turned into its list/create/get/patch/delete views.

Every catalogue resource answers the same five operations the same way (NetBox style): a
filtered, paginated list; create; get, patch and delete by id or slug; a 409 naming the
rows that block a delete. ``Resource`` holds what differs between them, and
``register`` builds the two flask-smorest ``MethodView`` classes (collection and item) on
the blueprint, so adding a resource is adding one ``Resource``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import require_scope
from api.compat.routes import invalidate_snapshot
from api.db import db
from api.errors import Problem
from api.listing import paginate
from virtcompat import catalog

WRITE = "catalog:write"

Dump = Callable[..., list[dict[str, Any]]]


class Docs(NamedTuple):
    """Each operation's OpenAPI summary (a docstring's first line; more lines describe)."""

    list: str
    create: str
    get: str
    update: str
    delete: str


@dataclass(frozen=True)
class Resource:
    """What one catalogue resource's views differ in."""

    path: str  # "/vendors": the collection; "/vendors/<key>" the item (id or slug)
    views: tuple[str, str]  # endpoint names of the collection and item views
    model: type[Any]
    query_schema: type[Schema]  # list filters and paging (location: query)
    page_schema: type[Schema]
    create_schema: type[Schema]
    update_schema: type[Schema]
    schema: type[Schema]  # one row out
    # select(**filters): the ordered list statement; filters are the query args passed on
    select: Callable[..., Select[Any]]
    filters: tuple[str, ...]
    create: Callable[[Session, Mapping[str, Any]], Any]
    update: Callable[[Session, Any, Mapping[str, Any]], Any]
    dump: Dump  # dump(session, rows, **kw): rows out, in order
    docs: Docs
    # serialise one row in detail (with notes, steppings, BIOS releases…): create/get/patch
    detail: bool = False
    blockers: tuple[catalog.Blocker, ...] = ()
    # extra dump() keywords for a GET of one row (a board's probe evidence)
    get_extra: Callable[[Session, Any], Mapping[str, Any]] | None = None


def update_fields(names: Sequence[str]) -> Callable[[Session, Any, Mapping[str, Any]], Any]:
    """An update that sets only ``names`` from the request body."""

    def update(session: Session, obj: Any, data: Mapping[str, Any]) -> Any:
        return catalog.update_simple(session, obj, data, names)

    return update


def _doc(text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    # flask-smorest reads the summary from the view's docstring when the route is
    # registered; a shared view body gets its resource's text before that.
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__doc__ = text
        return fn

    return decorate


def _get(model: type[Any], key: str) -> Any:
    try:
        return catalog.get_one(db(), model, key)
    except catalog.NotFound as exc:
        raise Problem(404, str(exc)) from None


def _conflict() -> Problem:
    return Problem(
        409, "The write conflicts with an existing row (a slug or name is already taken)."
    )


def _commit() -> None:
    try:
        db().commit()
    except IntegrityError as exc:
        db().rollback()
        raise _conflict() from exc
    # This worker sees its own write at once; others within VIRTCOMPAT_CATALOG_TTL_MS.
    invalidate_snapshot()


def _write(fn: Callable[[], Any]) -> Any:
    try:
        obj = fn()
        db().flush()
    except catalog.InvalidReference as exc:
        db().rollback()
        raise Problem(
            422,
            str(exc),
            title="Invalid request",
            errors=[{"field": f"json.{exc.field}", "message": str(exc)}],
        ) from None
    except IntegrityError as exc:
        db().rollback()
        raise _conflict() from exc
    _commit()
    return obj


def _delete(obj: Any, refs: Sequence[catalog.Blocker]) -> None:
    try:
        catalog.delete(db(), obj, refs)
    except catalog.ReferencedError as exc:
        db().rollback()
        raise Problem(
            409,
            f"Cannot delete: still referenced by {', '.join(exc.blockers)}.",
            blockers=exc.blockers,
        ) from None
    _commit()


def register(blp: Blueprint, r: Resource) -> None:
    """Add ``r``'s collection and item views to ``blp`` (in that order: the OpenAPI
    document lists paths in registration order)."""

    def one(obj: Any, **kw: Any) -> dict[str, Any]:
        if r.detail:
            kw["detail"] = True
        return r.dump(db(), [obj], **kw)[0]

    def rows(found: Sequence[Any]) -> list[dict[str, Any]]:
        return r.dump(db(), found)

    class Collection(MethodView):
        @blp.arguments(r.query_schema, location="query")
        @blp.response(200, r.page_schema)
        @_doc(r.docs.list)
        def get(self, args: dict[str, Any]) -> Any:
            stmt = r.select(**{name: args.get(name) for name in r.filters})
            return paginate(stmt, args["page"], args["per_page"], rows)

        @require_scope(WRITE)
        @blp.arguments(r.create_schema)
        @blp.response(201, r.schema)
        @_doc(r.docs.create)
        def post(self, data: dict[str, Any]) -> Any:
            return one(_write(lambda: r.create(db(), data)))

    class Item(MethodView):
        @blp.response(200, r.schema)
        @_doc(r.docs.get)
        def get(self, key: str) -> Any:
            obj = _get(r.model, key)
            extra = r.get_extra(db(), obj) if r.get_extra is not None else {}
            return one(obj, **extra)

        @require_scope(WRITE)
        @blp.arguments(r.update_schema)
        @blp.response(200, r.schema)
        @_doc(r.docs.update)
        def patch(self, data: dict[str, Any], key: str) -> Any:
            obj = _get(r.model, key)
            _write(lambda: r.update(db(), obj, data))
            return one(obj)

        @require_scope(WRITE)
        @blp.response(204)
        @_doc(r.docs.delete)
        def delete(self, key: str) -> None:
            _delete(_get(r.model, key), r.blockers)

    for view, name, rule in (
        (Collection, r.views[0], r.path),
        (Item, r.views[1], f"{r.path}/<key>"),
    ):
        view.__name__ = view.__qualname__ = name
        blp.route(rule, endpoint=name)(view)
