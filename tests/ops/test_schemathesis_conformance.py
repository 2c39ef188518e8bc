"""A bounded schemathesis run against a live gunicorn: every operation of the OpenAPI
document, generated valid and invalid inputs, with an admin token.

Checks: no 5xx (not_a_server_error), every status documented for its operation
(status_code_conformance), the documented media type (content_type_conformance) and body
schema (response_schema_conformance). CI replays a deterministic run; developer runs explore
with a fresh seed each time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import IN_CI
from tests.ops.conftest import LiveServer
from virtcompat.db import make_engine, make_sessionmaker
from virtcompat.tokens import create_token

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def _admin_token(database_url: str) -> str:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        _, secret = create_token(session, "schemathesis", ["admin"])
        session.commit()
    engine.dispose()
    return secret


def test_schemathesis_finds_no_failure(
    live_server_factory: Callable[..., LiveServer],
    committed_database_url: str,
    tmp_path: Path,
) -> None:
    server = live_server_factory(workers=2)
    token = _admin_token(committed_database_url)
    mode = ["--generation-deterministic"] if IN_CI else []
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            server.url + "/api/v1/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            "10",
            "--phases",
            "examples,coverage,fuzzing",
            "--header",
            f"Authorization: Bearer {token}",
            "--continue-on-failure",
            "--no-shrink",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
            *mode,
        ],
        cwd=tmp_path,  # its example cache (.schemathesis/) stays out of the repo
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    summary = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert summary is not None, result.stdout[-3000:]
    generated, passed = map(int, summary.groups())
    # every operation exercised: dozens of operations, valid and invalid inputs each
    assert generated == passed and generated >= 500, summary.group(0)
