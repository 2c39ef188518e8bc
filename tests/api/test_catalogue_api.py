"""Catalogue HTTP API: reads, filters, pagination, ETags, writes, and every error as
problem+json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"


def assert_problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == PROBLEM
    body = resp.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_board_search_finds_dq43ap_with_chipset_and_trap_note(client: FlaskClient) -> None:
    found = client.get("/api/v1/boards?q=DQ43AP").get_json()
    assert [b["slug"] for b in found["items"]] == ["intel-dq43ap"]
    detail = client.get("/api/v1/boards/intel-dq43ap").get_json()
    assert detail["chipset"]["name"] == "Q43"
    traps = [n for n in detail["notes"] if n["kind"] == "trap"]
    assert traps and traps[0]["capability"] == "vtd"
    assert all(n["sources"] for n in detail["notes"])
    assert any(
        "319970" in (s["source"]["title"] + (s["source"].get("document_id") or ""))
        for s in traps[0]["sources"]
    )


def test_board_search_matches_dmi_alias(client: FlaskClient) -> None:
    found = client.get("/api/v1/boards?q=Intel Corporation DQ43AP").get_json()
    assert "intel-dq43ap" in [b["slug"] for b in found["items"]]


def test_chipsets_by_shared_pci_id_lists_q43_and_q45(client: FlaskClient) -> None:
    body = client.get("/api/v1/chipsets?pci_id=8086:2e10").get_json()
    assert {c["name"] for c in body["items"]} >= {"Q43", "Q45"}


def test_detail_by_id_and_slug_agree(client: FlaskClient) -> None:
    by_slug = client.get("/api/v1/chipsets/intel-q45").get_json()
    by_id = client.get(f"/api/v1/chipsets/{by_slug['id']}").get_json()
    assert by_id == by_slug


def test_cpu_filters(client: FlaskClient) -> None:
    body = client.get("/api/v1/cpus?vtx=no&per_page=200").get_json()
    assert body["items"] and all(c["vtx"] == "no" for c in body["items"])
    assert "intel-core-2-duo-e7200" in [c["slug"] for c in body["items"]]


def test_pagination_total_link_and_stable_order(client: FlaskClient) -> None:
    first = client.get("/api/v1/sources?per_page=5&page=1")
    second = client.get("/api/v1/sources?per_page=5&page=2").get_json()
    body = first.get_json()
    assert body["total"] > 10 and body["per_page"] == 5 and len(body["items"]) == 5
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    ids_1 = [s["id"] for s in body["items"]]
    ids_2 = [s["id"] for s in second["items"]]
    assert not set(ids_1) & set(ids_2)
    again = client.get("/api/v1/sources?per_page=5&page=1").get_json()
    assert [s["id"] for s in again["items"]] == ids_1


def test_per_page_is_capped(client: FlaskClient) -> None:
    body = assert_problem(client.get("/api/v1/boards?per_page=201"), 422)
    assert body["errors"][0]["field"] == "query.per_page"


def test_etag_if_none_match_gives_304(client: FlaskClient) -> None:
    first = client.get("/api/v1/chipsets/intel-q43")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/chipsets/intel-q43", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_unknown_route_and_method_are_problems(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/nope"), 404)
    assert_problem(client.get("/api/v1/boards/no-such-board"), 404)
    resp = client.put("/api/v1/boards")
    assert_problem(resp, 405)
    assert "GET" in resp.headers["Allow"]


def test_write_needs_token_and_scope(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    payload = {"slug": "acme", "name": "Acme"}
    assert_problem(client.post("/api/v1/vendors", json=payload), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(client.post("/api/v1/vendors", json=payload, headers=bad), 401)
    assert_problem(client.post("/api/v1/vendors", json=payload, headers=auth("probe:write")), 403)
    created = client.post("/api/v1/vendors", json=payload, headers=auth("catalog:write"))
    assert created.status_code == 201 and created.get_json()["slug"] == "acme"


def test_validation_errors_carry_field_paths(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    resp = client.post(
        "/api/v1/chipsets",
        json={
            "slug": "Bad Slug",
            "vendor": "intel",
            "name": "X",
            "sources": [],
            "pci_ids": [{"pci_id": "zzzz", "role": "lpc"}],
        },
        headers=auth("catalog:write"),
    )
    body = assert_problem(resp, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"json.slug", "json.sources", "json.pci_ids.0.pci_id"} <= fields


def test_create_patch_and_delete_board(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    h = auth("catalog:write")
    board = {
        "slug": "acme-x1",
        "vendor": "intel",
        "model": "X1",
        "chipset": "intel-q45",
        "aliases": [{"kind": "board", "vendor": "Intel Corporation", "name": "X1"}],
        "sources": [{"source": "seed-blog-2009", "confidence": "low"}],
    }
    created = client.post("/api/v1/boards", json=board, headers=h)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["chipset"]["slug"] == "intel-q45"
    patched = client.patch("/api/v1/boards/acme-x1", json={"vtd_status": "works"}, headers=h)
    assert patched.get_json()["vtd_status"] == "works"
    verdict = client.get("/api/v1/compat?board=Intel Corporation X1").get_json()
    assert verdict["resolved"]["board"]["slug"] == "acme-x1"
    assert client.delete("/api/v1/boards/acme-x1", headers=h).status_code == 204
    assert_problem(client.get("/api/v1/boards/acme-x1"), 404)


def test_duplicate_slug_is_409(client: FlaskClient, auth: Callable[..., dict[str, Any]]) -> None:
    resp = client.post(
        "/api/v1/vendors",
        json={"slug": "intel", "name": "Intel again"},
        headers=auth("catalog:write"),
    )
    assert_problem(resp, 409)


def test_deleting_referenced_row_is_409_naming_blockers(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    body = assert_problem(
        client.delete("/api/v1/chipsets/intel-q43", headers=auth("catalog:write")), 409
    )
    assert "board intel-dq43ap" in body["blockers"]
    assert "intel-dq43ap" in body["detail"]


def test_delete_is_blocked_by_each_resources_own_references(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    # A vendor is held by its chipsets, CPUs and boards; a source by every citation of it.
    h = auth("catalog:write")
    cite = [{"source": "acme-sheet", "confidence": "high"}]
    for path, body in (
        ("/api/v1/sources", {"slug": "acme-sheet", "title": "ACME sheet", "kind": "datasheet"}),
        ("/api/v1/vendors", {"slug": "acme", "name": "ACME", "sources": cite}),
        (
            "/api/v1/chipsets",
            {"slug": "acme-c1", "vendor": "acme", "name": "C1", "sources": cite},
        ),
    ):
        assert client.post(path, json=body, headers=h).status_code == 201
    vendor = assert_problem(client.delete("/api/v1/vendors/acme", headers=h), 409)
    assert vendor["blockers"] == ["chipset acme-c1"]
    source = assert_problem(client.delete("/api/v1/sources/acme-sheet", headers=h), 409)
    assert len(source["blockers"]) == 2  # the vendor's citation and the chipset's
    assert all(b.startswith("citation ") for b in source["blockers"])
    # the blocker gone, the delete goes through
    assert client.delete("/api/v1/chipsets/acme-c1", headers=h).status_code == 204
    assert client.delete("/api/v1/vendors/acme", headers=h).status_code == 204
    assert client.delete("/api/v1/sources/acme-sheet", headers=h).status_code == 204


def test_unknown_reference_in_write_is_422(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    resp = client.post(
        "/api/v1/cpus",
        json={
            "slug": "x",
            "vendor": "nobody",
            "brand": "X",
            "sources": [{"source": "seed-blog-2009", "confidence": "low"}],
        },
        headers=auth("catalog:write"),
    )
    body = assert_problem(resp, 422)
    assert body["errors"][0]["field"] == "json.vendor"


def test_oversized_body_is_413(client: FlaskClient, auth: Callable[..., dict[str, Any]]) -> None:
    big = {"slug": "big", "name": "x" * (2 * 1024 * 1024)}
    assert_problem(client.post("/api/v1/vendors", json=big, headers=auth("catalog:write")), 413)


def test_malformed_json_is_a_problem_not_a_500(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    resp = client.post(
        "/api/v1/vendors",
        data="{not json",
        content_type="application/json",
        headers=auth("catalog:write"),
    )
    assert resp.status_code in (400, 422) and resp.mimetype == PROBLEM


def test_note_on_bios_release(client: FlaskClient, auth: Callable[..., dict[str, Any]]) -> None:
    note = {
        "slug": "dq45cb-test-tip",
        "kind": "tip",
        "text": "A tip.",
        "subject": {"board": "intel-dq45cb", "bios": "CBQ4510H.86A.0061"},
        "sources": [{"source": "seed-blog-2009", "confidence": "low"}],
    }
    resp = client.post("/api/v1/notes", json=note, headers=auth("catalog:write"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["subject"]["type"] == "bios_release"
    listed = client.get("/api/v1/notes?board=intel-dq45cb&kind=tip").get_json()
    assert "dq45cb-test-tip" in [n["slug"] for n in listed["items"]]


@pytest.mark.parametrize("path", ["/api/v1/vendors", "/api/v1/notes", "/api/v1/sources"])
def test_every_list_has_the_list_shape(client: FlaskClient, path: str) -> None:
    body = client.get(path).get_json()
    assert set(body) == {"items", "total", "page", "per_page"}


@pytest.mark.parametrize("key", ["%C2%B3", "999999999999999999999999999999"])
def test_odd_keys_are_404_not_500(client: FlaskClient, key: str) -> None:
    assert_problem(client.get(f"/api/v1/cpus/{key}"), 404)


def test_unicode_digit_vendor_in_write_is_422(
    client: FlaskClient, auth: Callable[..., dict[str, Any]]
) -> None:
    resp = client.post(
        "/api/v1/cpus",
        json={
            "slug": "za05os3x",
            "brand": "X",
            "vendor": "\u00b9",
            "sources": [{"source": "seed-blog-2009", "confidence": "low"}],
        },
        headers=auth("catalog:write"),
    )
    assert_problem(resp, 422)


def test_every_catalogue_resource_serves_list_create_get_patch_delete(
    client: FlaskClient,
) -> None:
    from api.catalogue.routes import RESOURCES

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert len(RESOURCES) == 6
    for r in RESOURCES:
        collection, item = paths[f"/api/v1{r.path}"], paths[f"/api/v1{r.path}/{{key}}"]
        assert {"get", "post"} <= collection.keys() and {"get", "patch", "delete"} <= item.keys()
        # reads are public; every write needs a catalog:write token and may conflict
        assert "security" not in collection["get"] and "security" not in item["get"]
        for op in (collection["post"], item["patch"], item["delete"]):
            assert op["security"] == [{"bearer": []}]
            assert {"401", "403", "409"} <= op["responses"].keys()
