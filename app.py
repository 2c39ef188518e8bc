"""WSGI entry point and app factory for gunicorn (``app:app``) and ``flask --app app``."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from flask.globals import request_ctx
from sqlalchemy.orm import Session, sessionmaker

from api.contract import check_request
from api.ops import ROUTE
from virtcompat.config import Settings


def create_app(
    overrides: Mapping[str, Any] | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> Flask:
    """Build the app. ``overrides`` is the explicit test configuration; everything else
    comes from environment variables (see .env.example)."""
    from api import init_api
    from api.cli import register_cli
    from api.db import init_db
    from api.errors import handle_unexpected
    from api.hooks import init_hooks
    from api.ops import DOCS_ASSETS_URL

    settings = Settings.from_env()
    app = VirtcompatFlask(__name__)
    app.config.update(
        DATABASE_URL=settings.database_url,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        PROBE_MAX_BYTES=settings.probe_max_bytes,
        CONFIG_MAX_BYTES=settings.config_max_bytes,
        PROBE_SALT=settings.probe_salt,
        CATALOG_TTL=settings.catalog_ttl,
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=DOCS_ASSETS_URL,
        # No online validator badge: /docs makes no request beyond this service.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        JSON_SORT_KEYS=False,
    )
    if overrides:
        app.config.update(overrides)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    _init_logging(settings.log_level)
    init_db(app, session_factory)
    init_hooks(app)
    init_api(app)
    app.register_error_handler(Exception, handle_unexpected)
    register_cli(app)
    return app


class VirtcompatFlask(Flask):
    """Flask, minus a per-call coroutine check: none of our views or hooks is async, and
    ``ensure_sync`` runs inspect.iscoroutinefunction for every hook of every request; and
    leaving the matched route template in the WSGI environ for the metrics middleware (Flask
    drops the request object from the environ before the middleware regains control); and
    holding each request to its OpenAPI operation (api/contract.py: body media type, query
    parameters) before any view or argument parser misreads it."""

    _sync: dict[object, bool]

    def dispatch_request(self) -> Any:
        req = request_ctx.request
        rule = req.url_rule
        if rule is not None:
            req.environ[ROUTE] = rule.rule
            check_request(self, req, rule.endpoint)
        return super().dispatch_request()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        key = getattr(func, "__func__", func)
        cache = self.__dict__.setdefault("_sync", {})
        is_async = cache.get(key)
        if is_async is None:
            is_async = cache[key] = inspect.iscoroutinefunction(func)
        return self.async_to_sync(func) if is_async else func


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        from api.hooks import request_id

        doc = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id(),
            "msg": record.getMessage(),
        }
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc)


def _init_logging(level: str) -> None:
    logger = logging.getLogger("virtcompat")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(level.upper())


app = create_app()
