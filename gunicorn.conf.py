"""gunicorn settings for `make run`, compose and the live-server tests (gunicorn reads
./gunicorn.conf.py by itself). Command-line flags (--bind, --workers) still win."""

import os

from api.gunicorn_hooks import child_exit, install_problem_errors, on_exit, on_starting

# Threaded workers whose connections have a read deadline (api/gunicorn_worker.py): a slow
# client holds at most one of THREADS (16) threads, for at most VIRTCOMPAT_READ_TIMEOUT_S
# seconds, while idle keep-alive connections wait in the worker's poller and hold none.
worker_class = "api.gunicorn_worker.ReadTimeoutThreadWorker"
threads = int(os.environ.get("THREADS", "16"))
# Connections per worker (gthread's limit on open connections, idle ones included).
worker_connections = 1000
keepalive = 5
# Heartbeat: a worker whose main loop stops for this long is restarted. Requests themselves
# are bounded by the database timeouts and the read deadline, far below it.
timeout = 30
graceful_timeout = 20

# gunicorn answers an over-long request line (414), too many or too large header fields (431)
# and unparsable requests (400) before the app sees them; they still speak problem+json.
install_problem_errors()

__all__ = ["child_exit", "on_exit", "on_starting"]
