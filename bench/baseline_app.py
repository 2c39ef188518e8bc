"""The baseline for bench/run.py: a bare Flask app with one JSON endpoint."""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

app = Flask(__name__)


@app.get("/ping")
def ping() -> ResponseReturnValue:
    return jsonify(status="ok", service="baseline")
