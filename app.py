"""WSGI entry point and app factory for gunicorn (``app:app``) and ``flask --app app``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy.orm import Session, sessionmaker

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
    from api.ops import init_metrics

    settings = Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=settings.database_url,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        PROBE_MAX_BYTES=settings.probe_max_bytes,
        CONFIG_MAX_BYTES=settings.config_max_bytes,
        PROBE_SALT=settings.probe_salt,
        CATALOG_TTL=settings.catalog_ttl,
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        JSON_SORT_KEYS=False,
    )
    if overrides:
        app.config.update(overrides)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    _init_logging(app, settings.log_level)
    init_db(app, session_factory)
    init_metrics(app)
    init_api(app)
    app.register_error_handler(Exception, handle_unexpected)
    register_cli(app)
    return app


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id", "-")
        except RuntimeError:  # outside a request
            record.request_id = "-"
        return True


def _init_logging(app: Flask, level: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter(
            '{"ts":"%(asctime)s","level":"%(levelname)s","logger":"%(name)s",'
            '"request_id":"%(request_id)s","msg":%(message)r}'
        )
    )
    logger = logging.getLogger("virtcompat")
    if not logger.handlers:
        logger.addHandler(handler)
    logger.setLevel(level.upper())

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response


app = create_app()
