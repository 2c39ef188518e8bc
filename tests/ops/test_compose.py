"""docker-compose.yml is fit for real use: a one-shot migrate service the app waits for, a
fixed published port, no default secrets, PostgreSQL health-checked on a named volume."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.ops.conftest import ROOT


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return doc


def _client() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_app_waits_for_a_one_shot_migrate_after_a_healthy_database() -> None:
    services = _compose()["services"]
    db, migrate, app = services["db"], services["migrate"], services["app"]
    assert "healthcheck" in db and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pgdata" in _compose()["volumes"]
    # migrate runs once (migrations, then the seed) and is the only one that does
    assert migrate["restart"] == "no" and "ports" not in migrate
    command = " ".join(migrate["command"])
    assert "alembic upgrade head" in command and "flask --app app seed" in command
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert "alembic" not in " ".join(app["command"]) and "seed" not in " ".join(app["command"])
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # a fixed host port (not a random one), overridable
    assert app["ports"] == ["${VIRTCOMPAT_PORT:-8000}:8000"]


def test_no_default_secrets() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    env = _compose()["services"]["app"]["environment"]
    assert env["VIRTCOMPAT_PROBE_SALT"].startswith("${VIRTCOMPAT_PROBE_SALT:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert ":-change-me" not in text and "POSTGRES_PASSWORD:-" not in text


@pytest.mark.skipif(_client() is None, reason="no docker compose client on this machine")
def test_compose_config_validates_and_requires_the_salt() -> None:
    ok = subprocess.run(
        ["make", "--no-print-directory", "compose-config"], cwd=ROOT, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    client = _client()
    assert client is not None
    env = {k: v for k, v in os.environ.items() if k != "VIRTCOMPAT_PROBE_SALT"}
    env["POSTGRES_PASSWORD"] = "x"
    missing = subprocess.run(
        [*client, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert missing.returncode != 0 and "VIRTCOMPAT_PROBE_SALT" in missing.stderr
