"""What gunicorn answers itself (before the app) is problem+json too."""

from __future__ import annotations

import json
import socket

from tests.ops.conftest import LiveServer


def _raw(server: LiveServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_overlong_query_is_414_problem(live_server: LiveServer) -> None:
    # gunicorn's limit_request_line is 4094 bytes by default.
    query = "q=" + "a" * 5000
    status, headers, body = _raw(
        live_server, f"GET /api/v1/boards?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert status == 414
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 414 and problem["title"] == "Request-URI Too Long"


def test_oversized_header_is_431_problem(live_server: LiveServer) -> None:
    # gunicorn's limit_request_field_size is 8190 bytes by default.
    request = f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'b' * 9000}\r\n\r\n".encode()
    status, headers, body = _raw(live_server, request)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 431


def test_malformed_request_line_is_400_problem(live_server: LiveServer) -> None:
    status, headers, body = _raw(live_server, b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"].endswith("/bad-request")
