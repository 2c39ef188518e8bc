"""Slow clients against a real gunicorn with the repo's gunicorn.conf.py (issue 8,
reproduction 3: two connections sending a byte a second froze /healthz for 35 s under the
sync workers, then got an HTML 500). Bounded: eight connections to 127.0.0.1, a few seconds."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.ops.conftest import LiveServer

SLOW_CLIENTS = 8
READ_TIMEOUT_S = 3


def _addr(server: LiveServer) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _trickle(addr: tuple[str, int], stop: threading.Event, answers: list[bytes]) -> None:
    """A client that sends its request a byte every half second and never finishes."""
    request = b"POST /api/v1/compat/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n"
    request += b"{" * 4000
    with socket.create_connection(addr, timeout=30) as sock:
        sock.settimeout(0.5)
        for byte in request:
            if stop.is_set():
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break  # the server gave up on us: that is the point
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            answers.append(data)
            break


@pytest.fixture(scope="module")
def server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    return live_server_factory(
        workers=2, extra_env={"VIRTCOMPAT_READ_TIMEOUT_S": str(READ_TIMEOUT_S)}
    )


def test_healthz_answers_within_a_second_during_slow_clients(server: LiveServer) -> None:
    stop = threading.Event()
    answers: list[bytes] = []
    clients = [
        threading.Thread(target=_trickle, args=(_addr(server), stop, answers), daemon=True)
        for _ in range(SLOW_CLIENTS)
    ]
    for t in clients:
        t.start()
    try:
        time.sleep(1.0)  # every slow client is mid-request now
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(server.url + "/healthz", timeout=5) as resp:
                assert resp.status == 200
            assert time.monotonic() - started < 1.0
            time.sleep(0.2)
        # The read deadline cuts every slow client off: the threads come back.
        for t in clients:
            t.join(timeout=READ_TIMEOUT_S + 10)
        assert not any(t.is_alive() for t in clients)
    finally:
        stop.set()
    # A cut-off client gets a closed connection, never gunicorn's HTML 500.
    assert not any(b"500" in a.split(b"\r\n", 1)[0] for a in answers)
    assert not any(b"<html" in a.lower() for a in answers)


def test_malformed_chunked_body_is_a_400_problem(server: LiveServer) -> None:
    raw = (
        b"POST /api/v1/compat/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ite'
        b"XX\r\n0\r\n\r\n"
    )
    data = b""
    with socket.create_connection(_addr(server), timeout=10) as sock:
        sock.sendall(raw)
        while chunk := sock.recv(65536):  # Connection: close, so read to the end
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    assert b" 400 " in status, data[:300]
    assert b"application/problem+json" in head.lower()
    # The body may come chunked: the JSON object is between the first '{' and the last '}'.
    problem = json.loads(body[body.index(b"{") : body.rindex(b"}") + 1])
    assert problem["status"] == 400
