"""gunicorn's threaded worker with a request-read timeout (set in gunicorn.conf.py).

The sync worker of old served one connection at a time: two clients sending a byte a second
froze the service until gunicorn killed the worker (issue 8, reproduction 3). The threaded
worker (gthread) parks idle connections in a poller and only gives a thread to a connection
with data, but once a request has started, a thread reads it to its end with no deadline, so
a few trickling clients can still take every thread. Here every blocking socket operation of
a connection has a deadline: a client that sends nothing for ``VIRTCOMPAT_READ_TIMEOUT_S``
in the middle of its request line, headers or body (or reads nothing of its answer) loses
the connection and frees the thread.
"""

from __future__ import annotations

import os
import socket
import time
import weakref
from typing import Any

from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker

DEFAULT_READ_TIMEOUT = 10.0


def read_timeout() -> float:
    raw = os.environ.get("VIRTCOMPAT_READ_TIMEOUT_S", "").strip()
    return float(raw) if raw else DEFAULT_READ_TIMEOUT


class ClientTooSlow(NoMoreData):
    """The client stopped sending mid-request. A ``NoMoreData`` so that gunicorn treats it
    as a premature disconnection (closed quietly) rather than a server error."""


# Per-socket (timeout, read deadline). The subclass below may add no slots of its own: the
# live socket's class is swapped, which needs an identical memory layout.
_DEADLINES: weakref.WeakKeyDictionary[socket.socket, list[float]] = weakref.WeakKeyDictionary()


class _DeadlineSocket(socket.socket):
    """A socket whose "blocking" mode has deadlines.

    gunicorn switches connections between non-blocking (in its poller) and blocking (in a
    thread) with ``setblocking``. Here blocking starts a request's read deadline: every read
    until the next switch must finish by then, so a client trickling a byte a second cannot
    stretch its request; a write may wait at most the timeout.
    """

    __slots__ = ()

    def setblocking(self, flag: bool) -> None:
        if flag:
            state = _DEADLINES.setdefault(self, [DEFAULT_READ_TIMEOUT, 0.0])
            state[1] = time.monotonic() + state[0]
            self.settimeout(state[0])
        else:
            super().setblocking(False)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        state = _DEADLINES.get(self)
        timeout = self.gettimeout()
        if state is None or timeout is None or timeout == 0.0:
            return super().recv(bufsize, flags)  # not in a thread's hands: leave it alone
        remaining = state[1] - time.monotonic()
        if remaining <= 0:
            raise ClientTooSlow()
        self.settimeout(remaining)
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            raise ClientTooSlow() from None
        finally:
            self.settimeout(state[0])


class ReadTimeoutThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._vc_timeout = read_timeout()

    def handle(self, conn: Any) -> Any:
        sock = conn.sock
        if type(sock) is socket.socket:
            # Same memory layout (a Python subclass adding no slots), so the live socket can
            # take on the deadline behaviour without being re-created.
            _DEADLINES[sock] = [self._vc_timeout, 0.0]
            sock.__class__ = _DeadlineSocket
        return super().handle(conn)
