"""The baseline for the benchmarks: a bare Flask app answering a small JSON object, to GET
and to POST (the POST reads its body, as every target scenario does)."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

app = Flask(__name__)


@app.route("/ping", methods=["GET", "POST"])
def ping() -> ResponseReturnValue:
    if request.method == "POST":
        request.get_data()
    return jsonify(status="ok", service="baseline")
