"""A bounded schemathesis run over every operation of the OpenAPI document, with an admin
token, in-process on PostgreSQL (issue 8: no 500 for any input).

``CHECKS`` holds the checks every generated case must pass; it starts with
``not_a_server_error``. The conformance checks run in tests/ops/test_schemathesis_conformance.py
(the schemathesis CLI against a live gunicorn on SQLite); this harness is the PostgreSQL side,
where NUL bytes and 2**31 ids used to become 500s, and can take the same checks when wanted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

CHECKS: list[Any] = [not_a_server_error]

#: Examples per operation: enough to reach every parameter and body shape a few times while
#: the whole run stays around a minute on a 2-core machine. CI replays them derandomised
#: (tests/conftest.py loads the "ci" hypothesis profile).
EXAMPLES = 10

pytestmark = [
    pytest.mark.hostile,
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def admin_headers(make_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('admin', name='schemathesis')}"}


def _document_app() -> Flask:
    # The document needs no database; each test then calls the app bound to its own
    # rolled-back PostgreSQL session. (schemathesis' from_fixture needs a pytest node
    # attribute that pytest 9 no longer has.)
    from app import create_app

    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(
    case: Any, app: Flask, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(app=app, headers=admin_headers, checks=CHECKS)
