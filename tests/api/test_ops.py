"""Operations: health, readiness, metrics, OpenAPI, docs, CLI tokens, migrations."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.db import dispose
from virtcompat.migrations import alembic_config
from virtcompat.models import ApiToken, Base
from virtcompat.tokens import hash_secret


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_ok_when_migrated(client: FlaskClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.get_json()["status"] == "ok"


def test_readyz_503_when_not_migrated(tmp_path: Path) -> None:
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    resp = app.test_client().get("/readyz")
    dispose(app)
    assert resp.status_code == 503 and "not migrated" in resp.get_json()["detail"]
    assert resp.mimetype == "application/problem+json"


def test_readyz_503_when_database_unreachable() -> None:
    from app import create_app

    url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    resp = app.test_client().get("/readyz")
    dispose(app)
    assert resp.status_code == 503 and "unreachable" in resp.get_json()["detail"]


def test_unreachable_database_is_503_problem_not_500() -> None:
    from app import create_app

    url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    resp = app.test_client().get("/api/v1/boards")
    dispose(app)
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert resp.headers["Retry-After"] == "2"


def test_metrics_exposes_prometheus_text(client: FlaskClient) -> None:
    client.get("/api/v1/compat?cpu=E7200")
    body = client.get("/metrics").get_data(as_text=True)
    assert "virtcompat_http_requests_total" in body
    assert 'virtcompat_verdicts_total{capability="vtx",status="unsupported"}' in body


def test_openapi_document_and_docs(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/compat",
        "/api/v1/compat/batch",
        "/api/v1/boards/{key}",
        "/api/v1/probes",
        "/api/v1/validate/domain-config",
        "/api/v1/rules",
    ):
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 200


def test_request_id_is_echoed(client: FlaskClient) -> None:
    resp = client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert resp.headers["X-Request-Id"] == "abc123"


def test_tokens_create_prints_token_once_and_stores_only_its_hash(
    app: Flask, db_session: Session
) -> None:
    result: Result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--name", "agent-1", "--scope", "probe:write"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    stored = db_session.scalars(select(ApiToken).where(ApiToken.name == "agent-1")).one()
    assert stored.token_hash == hash_secret(secret) and secret not in stored.token_hash
    assert stored.scopes == ["probe:write"]


def test_tokens_create_rejects_unknown_scope(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--name", "x", "--scope", "root"]
    )
    assert result.exit_code != 0 and "unknown scope" in result.output


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_revoked_token_stops_authenticating(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["tokens", "create", "--name", "gone", "--scope", "admin"])
    secret = created.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/unverified-hardware", headers=headers).status_code == 200
    listing = runner.invoke(args=["tokens", "list"])
    token_id = next(
        line.split("\t")[0] for line in listing.stdout.splitlines() if "\tgone\t" in line
    )
    assert secret not in listing.stdout
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/unverified-hardware", headers=headers).status_code == 401
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 1


def test_migrations_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    from alembic import command

    from virtcompat.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
