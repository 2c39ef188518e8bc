"""HTTP layer: flask-smorest Api with problem+json errors and the resource blueprints."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, Response
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException

from api.errors import PROBLEM_MIME, problem_response
from api.openapi import ErrorResponsesPlugin
from api.schemas_common import ProblemSchema


class ProblemApi(Api):
    """flask-smorest's Api, answering every HTTP error as RFC 9457 problem+json."""

    ERROR_SCHEMA = ProblemSchema
    # Every operation lists its real error statuses instead (api/openapi.py).
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problem_response(error)

    def _register_responses(self) -> None:
        # flask-smorest documents its shared error responses as application/json; ours are
        # application/problem+json, so the document must say so (re-registers the same
        # components with that media type).
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_MIME: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "Default error response",
                "content": {PROBLEM_MIME: {"schema": self.ERROR_SCHEMA}},
            },
            lazy=True,
        )


def init_api(app: Flask) -> ProblemApi:
    app.config.setdefault("API_TITLE", "virtcompat")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/")
    app.config.setdefault("OPENAPI_JSON_PATH", "api/v1/openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", None)
    app.config.setdefault("API_SPEC_OPTIONS", _spec_options())
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [ErrorResponsesPlugin()]})
    # One rule for unknown input everywhere: a query parameter or body field that the
    # operation does not define is a 422 naming it. webargs would otherwise drop unknown
    # query parameters silently (its per-location default) while rejecting unknown body
    # fields; None defers to each schema's own Meta.unknown, which is RAISE unless a schema
    # documents an open map.
    Blueprint.ARGUMENTS_PARSER.unknown = None
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "scoped API token"}
    )

    from api.catalogue.routes import blp as catalogue_blp
    from api.compat.routes import blp as compat_blp
    from api.ops import assets_blp
    from api.ops import blp as ops_blp
    from api.probes.routes import blp as probes_blp
    from api.rules.routes import blp as rules_blp
    from api.stats.routes import blp as stats_blp
    from api.validate.routes import blp as validate_blp

    for blp in (catalogue_blp, compat_blp, rules_blp, validate_blp, probes_blp, stats_blp):
        api.register_blueprint(blp)
    api.register_blueprint(ops_blp)
    app.register_blueprint(assets_blp)
    from api.dashboard.routes import blp as dashboard_blp

    app.register_blueprint(dashboard_blp)  # "/" and "/dashboard" (HTML, not in OpenAPI)
    return api


def _spec_options() -> dict[str, Any]:
    return {
        "info": {
            "description": (
                "Will virtualization work on this hardware, and if not, why? Capability "
                "verdicts for VT-x/AMD-V, VT-d/AMD-Vi and EPT/NPT from a sourced catalogue "
                "and from probe reports, and Xen domain-config validation with the same rules."
            )
        },
        "servers": [{"url": "/"}],
    }
