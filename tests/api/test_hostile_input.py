"""The request-decoding layer: no input is a 500, and every answer carries the security
headers (issue 8, reproductions 5 and 6). Runs on SQLite and PostgreSQL: PostgreSQL is the
database that refused NUL and 2**31 with a 500 before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.test_probes_api import dq45cb_probe

Auth = Callable[..., dict[str, Any]]

PROBLEM = "application/problem+json"


def _json_bytes(text: str) -> dict[str, Any]:
    # Raw bytes, so that the escapes reach the server exactly as an attacker writes them.
    return {"data": text.encode(), "content_type": "application/json"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/boards?q=DQ4%005",
        "/api/v1/chipsets?pci_id=8086:2e10%00",
        "/api/v1/compat?board=DQ45CB%00",
        "/api/v1/boards/intel-dq45cb%00",
        "/api/v1/cpus/%00",
    ],
)
def test_nul_in_url_is_400(client: FlaskClient, url: str) -> None:
    resp = client.get(url)
    assert resp.status_code == 400 and resp.mimetype == PROBLEM
    assert "NUL" in resp.get_json()["detail"]


def test_nul_in_catalogue_write_is_400(client: FlaskClient, auth: Auth) -> None:
    resp = client.post(
        "/api/v1/vendors",
        headers=auth("catalog:write"),
        **_json_bytes('{"name": "Evil\\u0000Corp", "slug": "evil"}'),
    )
    assert resp.status_code == 400 and resp.mimetype == PROBLEM
    assert resp.get_json()["errors"][0]["field"] == "json.name"


@pytest.mark.parametrize(
    "where",
    [
        '"agent": {"name": "\\ud800", "version": "1"}, "artefacts": {}',
        '"agent": {"name": "a", "version": "1"}, "artefacts": {"dmesg": "x\\udfff"}',
        '"agent": {"name": "a", "version": "1"}, "artefacts": {"dmi": {"\\ud800k": "v"}}',
        '"agent": {"name": "a", "version": "1"}, "artefacts": {"x": ["\\ud83d"]}',
        '"agent": {"name": "a", "version": "1"}, "artefacts": {}, "collected_at": "\\udc00"',
    ],
)
def test_lone_surrogate_anywhere_in_a_probe_is_400(
    client: FlaskClient, auth: Auth, where: str
) -> None:
    resp = client.post("/api/v1/probes", headers=auth("probe:write"), **_json_bytes(f"{{{where}}}"))
    assert resp.status_code == 400 and resp.mimetype == PROBLEM
    assert "surrogate" in resp.get_json()["detail"]


def test_surrogate_pair_is_a_character_and_accepted(client: FlaskClient, auth: Auth) -> None:
    body = '{"agent": {"name": "\\ud83d\\ude00", "version": "1"}, "artefacts": {"dmesg": "ok"}}'
    resp = client.post("/api/v1/probes", headers=auth("probe:write"), **_json_bytes(body))
    assert resp.status_code == 201, resp.get_json()


def test_nul_in_probe_body_is_400(client: FlaskClient, auth: Auth) -> None:
    body = '{"agent": {"name": "a\\u0000", "version": "1"}, "artefacts": {}}'
    resp = client.post("/api/v1/probes", headers=auth("probe:write"), **_json_bytes(body))
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["field"] == "json.agent.name"


@pytest.mark.parametrize("big", [2**31, 2**63, 10**30])
def test_ids_that_fit_no_column_are_404(client: FlaskClient, auth: Auth, big: int) -> None:
    headers = auth("probe:write")
    assert client.get(f"/api/v1/probes/{big}", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/probes/{big}", headers=headers).status_code == 404
    deleted = client.delete(f"/api/v1/probes/{big}", headers={"X-Delete-Token": "del_x"})
    assert deleted.status_code == 404
    assert client.get(f"/api/v1/boards/{big}").status_code == 404
    resp = client.post(
        "/api/v1/validate/domain-config",
        json={"config": "memory = 512\n", "target": {"probe_id": big}},
        headers=headers,
    )
    assert resp.status_code == 404 and resp.mimetype == PROBLEM


def test_largest_id_is_routed(client: FlaskClient, auth: Auth) -> None:
    resp = client.get(f"/api/v1/probes/{2**31 - 1}", headers=auth("probe:write"))
    assert resp.status_code == 404 and resp.get_json()["detail"].startswith("probe ")


SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.mark.parametrize(
    "url", ["/healthz", "/api/v1/boards", "/api/v1/nope", "/api/v1/openapi.json", "/docs"]
)
def test_every_response_has_security_headers(client: FlaskClient, url: str) -> None:
    resp = client.get(url)
    for name, value in SECURITY.items():
        assert resp.headers[name] == value, name
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    if resp.mimetype == "text/html":
        # Swagger UI's assets may be served by the app itself (self) and its page boots
        # with an inline script.
        assert "script-src 'self' 'unsafe-inline'" in csp and "connect-src 'self'" in csp
    else:
        assert csp.startswith("default-src 'none'")


def test_responses_with_secrets_are_not_stored(client: FlaskClient, auth: Auth) -> None:
    headers = auth("probe:write")
    created = client.post("/api/v1/probes", json=dq45cb_probe(), headers=headers)
    assert created.status_code == 201 and "delete_token" in created.get_json()
    assert created.headers["Cache-Control"] == "no-store"
    fetched = client.get(f"/api/v1/probes/{created.get_json()['id']}", headers=headers)
    assert fetched.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/api/v1/boards").headers.get("Cache-Control", "")
