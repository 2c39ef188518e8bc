"""gunicorn settings for `make run`, compose and the live-server tests (gunicorn reads
./gunicorn.conf.py by itself). Command-line flags (--bind, --workers) still win."""

from api.gunicorn_hooks import child_exit, install_problem_errors, on_exit, on_starting

# gunicorn answers an over-long request line (414), too many or too large header fields (431)
# and unparsable requests (400) before the app sees them; they still speak problem+json.
install_problem_errors()

__all__ = ["child_exit", "on_exit", "on_starting"]
