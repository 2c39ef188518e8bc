"""The OpenAPI document is valid OpenAPI and lists every error as problem+json."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from openapi_spec_validator import validate

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _resolve(spec: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    ref = obj.get("$ref")
    if ref is None:
        return obj
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return _resolve(spec, node)


def test_openapi_document_is_valid(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)  # raises on any dangling $ref or schema error
    assert spec["openapi"] == "3.1.0"
    # the operations endpoints are API too; Swagger UI's own files are not
    assert {"/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    assert not [p for p in spec["paths"] if p.startswith("/docs")]


def test_every_error_response_is_problem_json(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method, op in _operations(spec):
        codes = set(op["responses"])
        assert "default" not in codes, (method, path)
        assert {"400", "422", "500", "503", "414", "431"} <= codes, (method, path, codes)
        if "{" in path:
            assert "404" in codes, (method, path)
        if method in ("post", "patch", "put"):
            assert {"413", "415"} <= codes, (method, path)
        if op.get("security"):
            assert {"401", "403"} <= codes, (method, path)
        for code, response in op["responses"].items():
            if int(code) >= 400:
                content = _resolve(spec, response).get("content", {})
                assert list(content) == ["application/problem+json"], (method, path, code)


def test_secured_operations_document_their_401_and_403(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    secured = [(p, m) for p, m, op in _operations(spec) if op.get("security")]
    assert ("/api/v1/probes", "post") in secured and ("/api/v1/boards", "post") in secured
    assert spec["components"]["responses"]["UNAUTHORIZED"]["content"]
