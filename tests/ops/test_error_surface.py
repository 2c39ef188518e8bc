"""One error surface: 415 naming the accepted types, unknown parameters and fields rejected
everywhere, the list contract on every list."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

BATCH = "/api/v1/compat/batch"
VALIDATE = "/api/v1/validate/domain-config"


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    doc: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return doc


def _problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body: dict[str, Any] = resp.get_json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("items", "text/plain"), ("items=1", "application/x-www-form-urlencoded"), ("", None)],
)
def test_batch_in_another_media_type_is_415_naming_json(
    client: FlaskClient, data: str, content_type: str | None
) -> None:
    resp = client.post(BATCH, data=data, content_type=content_type)
    body = _problem(resp, 415)
    assert body["accepted"] == ["application/json"]
    assert "application/json" in body["detail"]
    assert resp.headers["Accept-Post"] == "application/json"


def test_validate_names_its_own_accepted_types(client: FlaskClient) -> None:
    resp = client.post(VALIDATE, data="name = 'x'", content_type="application/yaml")
    body = _problem(resp, 415)
    accepted = {"application/json", "text/plain", "application/xml", "text/xml"}
    assert set(body["accepted"]) == accepted
    # and what it names, it takes
    ok = client.post(VALIDATE + "?format=xl", data="name = 'x'\n", content_type="text/plain")
    assert ok.status_code == 200


def test_catalogue_patch_in_text_is_415_with_accept_patch(client: FlaskClient, auth: Any) -> None:
    resp = client.patch(
        "/api/v1/boards/intel-dq43ap",
        data="{}",
        content_type="text/plain",
        headers=auth("catalog:write"),
    )
    _problem(resp, 415)
    assert resp.headers["Accept-Patch"] == "application/json"


def test_json_array_body_is_400_not_an_object(client: FlaskClient) -> None:
    body = _problem(client.post(BATCH, json=[{"board": "DQ35JO"}]), 400)
    assert body["detail"] == "The body is not a JSON object."


def test_unknown_field_in_batch_item_is_422_with_its_path(client: FlaskClient) -> None:
    resp = client.post(BATCH, json={"items": [{"board": "DQ35JO"}, {"cpu_model": "E7400"}]})
    body = _problem(resp, 422)
    assert body["errors"] == [{"field": "json.items.1.cpu_model", "message": "Unknown field."}]


def test_unknown_query_parameter_is_422_on_every_get(
    client: FlaskClient, spec: dict[str, Any], auth: Any
) -> None:
    headers = auth("admin")
    concrete = {"{key}": "intel-dq43ap", "{rule_id}": "HW-VTX-CPU", "{name}": "hap"}
    checked = []
    for path, item in spec["paths"].items():
        if "get" not in item or "{probe_id}" in path:
            continue
        url = path
        for template, value in concrete.items():
            url = url.replace(template, value)
        sep = "&" if "?" in url else "?"
        resp = client.get(f"{url}{sep}zz_unknown=1", headers=headers)
        body = _problem(resp, 422)
        assert {"field": "query.zz_unknown", "message": "Unknown field."} in body["errors"], path
        checked.append(path)
    assert {"/api/v1/compat", "/api/v1/rules", "/api/v1/boards/{key}"} <= set(checked)


def test_unknown_query_parameter_on_validate_is_422(client: FlaskClient) -> None:
    url = VALIDATE + "?format=xl&colour=red"
    resp = client.post(url, data="x = 1\n", content_type="text/plain")
    assert _problem(resp, 422)["errors"] == [{"field": "query.colour", "message": "Unknown field."}]


def _list_paths(spec: dict[str, Any]) -> list[str]:
    """GET operations whose 200 answer is a page: an object with items and total."""
    lists = []
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None or "{" in path:
            continue
        json_body = op["responses"]["200"].get("content", {}).get("application/json")
        if json_body is None:  # /metrics: Prometheus text
            continue
        schema = json_body["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if {"items", "total"} <= set(schema.get("properties", {})):
            lists.append(path)
    return lists


def test_every_list_honours_the_list_contract(
    client: FlaskClient, spec: dict[str, Any], auth: Any
) -> None:
    lists = _list_paths(spec)
    assert {"/api/v1/rules", "/api/v1/xen/options", "/api/v1/boards"} <= set(lists)
    headers = auth("admin")
    for path in lists:
        first = client.get(f"{path}?per_page=2", headers=headers)
        assert first.status_code == 200, (path, first.get_data(as_text=True))
        body = first.get_json()
        assert (body["page"], body["per_page"]) == (1, 2), path
        assert len(body["items"]) <= 2 and body["total"] >= len(body["items"]), path
        assert 'rel="first"' in first.headers["Link"], path
        if body["total"] > 2:
            assert 'rel="next"' in first.headers["Link"], path
            second = client.get(f"{path}?per_page=2&page=2", headers=headers).get_json()
            assert second["items"] and second["items"] != body["items"], path
        assert client.get(f"{path}?per_page=201", headers=headers).status_code == 422, path


def test_rules_pages_cover_the_registry_once(client: FlaskClient) -> None:
    from virtcompat.rules import all_rules

    seen: list[str] = []
    page = 1
    while True:
        body = client.get(f"/api/v1/rules?per_page=40&page={page}").get_json()
        seen += [r["id"] for r in body["items"]]
        if page * 40 >= body["total"]:
            break
        page += 1
    assert seen == [r.id for r in all_rules()]
