"""A probe belongs to the token that posted it and that token's owner name (issue 8,
reproduction 2): others get 404, exactly as for an id that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tests.api.test_probes_api import dq45cb_probe
from virtcompat.models import Probe

MakeToken = Callable[..., str]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _validate(client: FlaskClient, probe_id: int, headers: dict[str, str]) -> Any:
    return client.post(
        "/api/v1/validate/domain-config",
        json={"config": "builder = 'hvm'\nmemory = 512\n", "target": {"probe_id": probe_id}},
        headers=headers,
    )


def test_only_the_owner_or_admin_reads_a_probe(client: FlaskClient, make_token: MakeToken) -> None:
    alice = bearer(make_token("probe:write", name="alice"))
    mallory = bearer(make_token("probe:write", name="mallory"))
    admin = bearer(make_token("admin", name="root"))
    created = client.post("/api/v1/probes", json=dq45cb_probe(), headers=alice).get_json()
    pid = created["id"]
    missing = client.get(f"/api/v1/probes/{pid + 1000}", headers=mallory)

    other = client.get(f"/api/v1/probes/{pid}", headers=mallory)
    assert other.status_code == 404
    # Indistinguishable from a probe that does not exist, apart from the id in the text.
    assert other.get_json()["title"] == missing.get_json()["title"]
    assert client.delete(f"/api/v1/probes/{pid}", headers=mallory).status_code == 404
    assert _validate(client, pid, mallory).status_code == 404
    assert _validate(client, pid, {}).status_code == 401

    assert client.get(f"/api/v1/probes/{pid}", headers=alice).status_code == 200
    assert client.get(f"/api/v1/probes/{pid}", headers=admin).status_code == 200
    validated = _validate(client, pid, alice)
    assert validated.status_code == 200 and validated.get_json()["target"]["probe_id"] == pid
    assert _validate(client, pid, admin).status_code == 200

    # A rotated token of the same owner keeps access to the owner's probes.
    rotated = bearer(make_token("probe:write", name="alice"))
    assert client.get(f"/api/v1/probes/{pid}", headers=rotated).status_code == 200
    assert client.delete(f"/api/v1/probes/{pid}", headers=rotated).status_code == 204
    assert client.get(f"/api/v1/probes/{pid}", headers=alice).status_code == 404


def test_probe_read_scope_gets_aggregates_never_facts(
    client: FlaskClient, make_token: MakeToken
) -> None:
    writer = bearer(make_token("probe:write", name="agent"))
    dashboard = bearer(make_token("probe:read", name="agent"))
    pid = client.post("/api/v1/probes", json=dq45cb_probe(), headers=writer).get_json()["id"]
    stats = client.get("/api/v1/stats/probes?by=board", headers=dashboard)
    assert stats.status_code == 200 and stats.get_json()["items"][0]["key"] == "intel-dq45cb"
    # Same owner name, but the scope opens aggregates only.
    assert client.get(f"/api/v1/probes/{pid}", headers=dashboard).status_code == 403
    assert _validate(client, pid, dashboard).status_code == 403
    posted = client.post("/api/v1/probes", json=dq45cb_probe(), headers=dashboard)
    assert posted.status_code == 403


def test_probes_from_before_ownership_are_admin_only(
    client: FlaskClient, make_token: MakeToken, db_session: Session
) -> None:
    alice = bearer(make_token("probe:write", name="alice"))
    pid = client.post("/api/v1/probes", json=dq45cb_probe(), headers=alice).get_json()["id"]
    db_session.execute(update(Probe).where(Probe.id == pid).values(owner=None))
    db_session.commit()
    assert client.get(f"/api/v1/probes/{pid}", headers=alice).status_code == 404
    admin = bearer(make_token("admin", name="root"))
    assert client.get(f"/api/v1/probes/{pid}", headers=admin).status_code == 200


def test_delete_token_still_deletes_without_a_bearer(
    client: FlaskClient, make_token: MakeToken
) -> None:
    alice = bearer(make_token("probe:write", name="alice"))
    created = client.post("/api/v1/probes", json=dq45cb_probe(), headers=alice).get_json()
    url = f"/api/v1/probes/{created['id']}"
    assert client.delete(url).status_code == 401
    assert client.delete(url, headers={"X-Delete-Token": "del_wrong"}).status_code == 404
    right = client.delete(url, headers={"X-Delete-Token": created["delete_token"]})
    assert right.status_code == 204


def test_same_content_from_two_owners_is_two_probes(
    app: Flask, client: FlaskClient, make_token: MakeToken, db_session: Session
) -> None:
    alice = bearer(make_token("probe:write", name="alice"))
    bob = bearer(make_token("probe:write", name="bob"))
    first = client.post("/api/v1/probes", json=dq45cb_probe(), headers=alice)
    second = client.post("/api/v1/probes", json=dq45cb_probe(), headers=bob)
    assert (first.status_code, second.status_code) == (201, 201)
    assert client.get(f"/api/v1/probes/{second.get_json()['id']}", headers=bob).status_code == 200
    assert db_session.scalar(select(func.count()).select_from(Probe)) == 2


def test_a_delete_that_loses_the_race_is_a_404(
    client: FlaskClient, make_token: MakeToken, monkeypatch: Any
) -> None:
    # Two owners' DELETEs of one probe: the second reads the probe, then the first removes it
    # before the second takes the row lock. The loser answers 404, as for a missing probe.
    import api.probes.routes as routes

    alice = bearer(make_token("probe:write", name="alice"))
    created = client.post("/api/v1/probes", json=dq45cb_probe(), headers=alice).get_json()
    real_owned_probe = routes.owned_probe

    def owned_then_deleted_elsewhere(probe_id: int, token: Any) -> Probe:
        probe = real_owned_probe(probe_id, token)
        routes.db().execute(delete(Probe).where(Probe.id == probe_id))
        return probe

    monkeypatch.setattr(routes, "owned_probe", owned_then_deleted_elsewhere)
    answer = client.delete(f"/api/v1/probes/{created['id']}", headers=alice)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"
