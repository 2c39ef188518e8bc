"""A hung database (issue 8, reproduction 4): PostgreSQL stopped rather than down made posts
hang until gunicorn killed the worker and /readyz hang for 40 s. Here a TCP proxy the test
owns stands between the app and the machine's PostgreSQL and is frozen (it keeps every
connection open and relays nothing, as a SIGSTOPped server would); the shared server itself
is never touched."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.api.test_probes_api import dq45cb_probe
from virtcompat.db import make_engine, make_sessionmaker
from virtcompat.models import Probe
from virtcompat.tokens import create_token

pytestmark = [
    pytest.mark.hostile,
    pytest.mark.postgres,
    pytest.mark.parametrize("committed_database_url", ["postgresql"], indirect=True),
]


class FreezableProxy:
    """127.0.0.1:random -> upstream; ``freeze()`` stops relaying (data is held, not lost),
    ``thaw()`` resumes, like SIGSTOP and SIGCONT of the server process."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.running = threading.Event()
        self.running.set()  # set = relaying
        self.closing = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.running.clear()

    def thaw(self) -> None:
        self.running.set()

    def close(self) -> None:
        self.closing = True
        self.running.set()
        for s in [self.listener, *self.sockets]:
            try:
                s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self.running.wait()  # a frozen server accepts (the kernel does) but never answers
        try:
            server = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        self.sockets.append(server)
        for src, dst in ((client, server), (server, client)):
            threading.Thread(target=self._relay, args=(src, dst), daemon=True).start()

    def _relay(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.running.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def proxy(committed_database_url: str) -> Iterator[FreezableProxy]:
    url = make_url(committed_database_url)
    p = FreezableProxy((url.host or "127.0.0.1", url.port or 5432))
    yield p
    p.close()


@pytest.fixture
def app(
    committed_database_url: str, proxy: FreezableProxy, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    from api.db import dispose
    from app import create_app

    monkeypatch.setenv("VIRTCOMPAT_DB_CONNECT_TIMEOUT_S", "2")
    monkeypatch.setenv("VIRTCOMPAT_DB_STATEMENT_TIMEOUT_MS", "1000")
    monkeypatch.setenv("VIRTCOMPAT_DB_POOL_TIMEOUT_S", "2")
    through = make_url(committed_database_url).set(host="127.0.0.1", port=proxy.port)
    application = create_app(
        {"TESTING": True, "DATABASE_URL": through.render_as_string(hide_password=False)}
    )
    yield application
    proxy.thaw()
    dispose(application)


def _count(url: str) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        n = session.scalar(select(func.count()).select_from(Probe)) or 0
    engine.dispose()
    return n


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_hung_database_answers_503_fast_and_recovers(
    app: Flask, proxy: FreezableProxy, committed_database_url: str
) -> None:
    engine = make_engine(committed_database_url)
    with make_sessionmaker(engine)() as session:
        _, secret = create_token(session, "cut", ["probe:write"])
        session.commit()
    engine.dispose()
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    before = _count(committed_database_url)

    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/boards?q=DQ45").status_code == 200
    acked = client.post("/api/v1/probes", json=dq45cb_probe(), headers=headers)
    assert acked.status_code == 201

    proxy.freeze()
    resp, took = _timed(lambda: client.get("/api/v1/boards?q=DQ43"))
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert resp.headers["Retry-After"] and took < 8, took
    body = dq45cb_probe(bios="CBQ4510H.86A.0055")
    resp, took = _timed(lambda: client.post("/api/v1/probes", json=body, headers=headers))
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert took < 8, took
    resp, took = _timed(lambda: client.get("/readyz"))
    assert resp.status_code == 503 and took < 5, took
    assert client.get("/healthz").status_code == 200  # the process itself is fine

    proxy.thaw()
    deadline = time.monotonic() + 15
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "no recovery after the database came back"
        time.sleep(0.2)
    assert client.get("/api/v1/boards?q=DQ43").status_code == 200
    retried = client.post(
        "/api/v1/probes", json=body, headers={**headers, "Idempotency-Key": "after-cut"}
    )
    assert retried.status_code in (200, 201)
    # The acknowledged probe is there; the one answered 503 was never half-stored.
    got = client.get(f"/api/v1/probes/{acked.get_json()['id']}", headers=headers)
    assert got.status_code == 200
    assert _count(committed_database_url) == before + 2
