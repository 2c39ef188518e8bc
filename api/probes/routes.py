"""/api/v1/probes: authenticated, idempotent ingestion of probe reports, with a diagnosis."""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from api.auth import authenticate, has_bearer, require_scope
from api.compat.routes import invalidate_snapshot, snapshot
from api.converters import fits_id
from api.db import db
from api.errors import Problem, validation_problem
from api.ops import count_probe
from virtcompat import jsontext
from virtcompat.ingest import (
    DeleteTokenMismatch,
    IdempotencyConflict,
    IngestResult,
    ProbeNotFound,
    delete_probe,
    ingest,
    may_access,
    remove_probe,
)
from virtcompat.models import Probe
from virtcompat.tokens import MAX_SECRET_CHARS, TokenInfo

_WRITE_ATTEMPTS = 5

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint(
    "probes",
    __name__,
    url_prefix="/api/v1/probes",
    description="Probe reports from hosts: parsed, diagnosed, and counted as evidence.",
)


class AgentSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.String(required=True, validate=validate.Length(min=1, max=50))


class ProbeCreateSchema(Schema):
    class Meta:
        unknown = INCLUDE

    agent = fields.Nested(AgentSchema, required=True)
    collected_at = fields.String(validate=validate.Length(max=64))
    artefacts = fields.Dict(
        required=True,
        metadata={
            "description": "cpuinfo, dmesg, dmi{}, lspci, cmdline, kernel_release, "
            "acpi_tables[], iommu_groups, dev_kvm, kvm_nested, kvm_module, xl_info, and the "
            "agent's live checks (all optional; older agents omit them): kvm_check{usable, "
            "api_version, module, error}, kvm_params{nested, ept, npt, unrestricted_guest, sev, "
            "sev_es, sev_snp, avic, tdx}, msr_feature_control{vendor, value}, devices{path: "
            "bool}, cgroup_controllers[], iommu_classes[], secure_guests{sev, sev_es, sev_snp, "
            "tdx}, iommu_group_devices[{group, address, reset_method}], hypervisor_type, "
            "xen_capabilities. The diagnosis adds devices[] (per-device passthrough readiness) "
            "when IOMMU groups were sent."
        },
    )


# One instance for every request: building a schema deep-copies its declared fields (and the
# nested agent schema), which cost more than validating a probe body.
_PROBE_CREATE = ProbeCreateSchema()


class ProbeSchema(Schema):
    id = fields.Integer()
    received_at = fields.String(metadata={"format": "date-time"})
    agent = fields.Dict()
    collected_at = fields.String(allow_none=True)
    diagnosis = fields.Dict()
    matched = fields.Dict()
    facts = fields.Dict()
    warnings = fields.List(fields.String())
    rules_version = fields.String(allow_none=True)
    delete_token = fields.String(metadata={"description": "only in the 201 response"})


def _utc_iso(value: dt.datetime | None) -> str | None:
    # SQLite hands back naive datetimes; every timestamp we store is UTC.
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _dump(probe: Probe, *, facts: bool = True, delete_token: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": probe.id,
        "received_at": _utc_iso(probe.received_at),
        "agent": {"name": probe.agent_name, "version": probe.agent_version},
        "collected_at": probe.collected_at,
        "diagnosis": probe.diagnosis,
        "matched": probe.matched,
        "warnings": probe.warnings,
        "rules_version": probe.rules_version,
    }
    if facts:
        doc["facts"] = probe.facts
    if delete_token is not None:
        doc["delete_token"] = delete_token
    return doc


def _ingest_with_retry(payload: dict[str, Any], key: str | None) -> IngestResult:
    session = db()
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            result = ingest(
                session,
                payload,
                idempotency_key=key,
                token_id=g.token.id,
                owner=g.token.name,
                salt=current_app.config["PROBE_SALT"],
                snapshot=snapshot(),
            )
            session.commit()
            return result
        except IdempotencyConflict as exc:
            session.rollback()
            raise Problem(409, str(exc)) from None
        except OperationalError:
            # SQLite answers a write race with "database is locked" rather than waiting when
            # a reader upgrades to a writer; the retry then finds the winner's row. On
            # PostgreSQL an OperationalError is an unreachable or hung server: no retry, the
            # client gets its 503 within the database timeouts.
            session.rollback()
            if session.get_bind().dialect.name != "sqlite":
                raise
            time.sleep(0.05 * (attempt + 1))
    raise Problem(
        503,
        "The database is busy; retry with the same Idempotency-Key.",
        headers={"Retry-After": "1"},
    )


def _single_statement(view: F) -> F:
    """On PostgreSQL a probe post writes with one statement (ingest's one-statement insert,
    atomic on its own) and otherwise only reads, so the request runs in autocommit: no BEGIN
    and COMMIT round trips around it, and no transaction longer than that statement. Set
    before anything else touches the session (the token lookup). Sessions bound to a
    connection (the test suite's, inside a transaction it rolls back) keep theirs; SQLite
    keeps its transaction (it writes with several statements)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _reaches_database():
            session = db()
            bind = session.get_bind()
            if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _reaches_database() -> bool:
    """Whether authenticate() will look the token up: a missing, malformed or overlong one
    is a 401 that takes no database connection, and still does."""
    kind, _, secret = request.headers.get("Authorization", "").partition(" ")
    return kind.lower() == "bearer" and 0 < len(secret.strip()) <= MAX_SECRET_CHARS


@blp.route("")
class Probes(MethodView):
    @blp.doc(
        requestBody={"content": {"application/json": {"schema": ProbeCreateSchema}}},
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "schema": {"type": "string"},
                "description": "a retry with the same key returns the first result",
            }
        ],
    )
    @blp.response(201, ProbeSchema)
    @blp.alt_response(200, schema=ProbeSchema, description="idempotent replay")
    @_single_statement
    @require_scope("probe:write")
    def post(self) -> Response:
        """Post a probe report (scope probe:write); the diagnosis comes back"""
        request.max_content_length = current_app.config["PROBE_MAX_BYTES"]
        if request.mimetype != "application/json":
            raise Problem(415, "Send the probe report as application/json.")
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            raise Problem(400, "The body is not a JSON object.")
        try:
            _PROBE_CREATE.load(payload)
        except ValidationError as exc:
            raise validation_problem(exc) from None
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 255):
            raise Problem(
                422,
                "Idempotency-Key must be 1 to 255 characters.",
                errors=[{"field": "header.Idempotency-Key", "message": "length"}],
            )
        result = _ingest_with_retry(payload, key)
        if result.created and result.probe.contributions:
            invalidate_snapshot()
        count_probe(result.probe.diagnosis or {}, result.created)
        body = _dump(result.probe, facts=False, delete_token=result.delete_token)
        resp = Response(
            _encode(body, result.diagnosis_json),
            status=201 if result.created else 200,
            mimetype="application/json",
        )
        resp.headers["Location"] = f"/api/v1/probes/{result.probe.id}"
        return resp


def _encode(body: dict[str, Any], diagnosis_json: str | None) -> str:
    """The answer's JSON text (virtcompat.jsontext: compact, orjson), with the diagnosis
    spliced in as ingest already encoded it for the database, by the same encoder."""
    if diagnosis_json is None:
        return jsontext.dumps(body)
    keys = list(body)
    at = keys.index("diagnosis")
    head = jsontext.dumps({k: body[k] for k in keys[:at]})[:-1]  # '{"id":7,...' or '{'
    tail = jsontext.dumps({k: body[k] for k in keys[at + 1 :]})[1:]  # '"matched":...}' or '}'
    sep_before, sep_after = ("," if at else ""), ("," if tail != "}" else "")
    return f'{head}{sep_before}"diagnosis":{diagnosis_json}{sep_after}{tail}'


def owned_probe(probe_id: int, token: TokenInfo) -> Probe:
    """The probe if ``token`` may use it; otherwise the same 404 as for a missing one, so
    that sequential ids reveal nothing about other owners' probes."""
    probe = db().get(Probe, probe_id) if fits_id(probe_id) else None
    if probe is None or not may_access(probe, token.id, token.name, token.scopes):
        raise Problem(404, f"probe {probe_id} not found")
    return probe


def probe_for_caller(probe_id: int) -> Probe:
    """A probe used by another resource (a validation target): token required, owner only."""
    return owned_probe(probe_id, authenticate("probe:write"))


@blp.route("/<id:probe_id>")
class ProbeItem(MethodView):
    @blp.response(200, ProbeSchema)
    @require_scope("probe:write")
    def get(self, probe_id: int) -> dict[str, Any]:
        """A stored probe of the token's owner: facts, matches and diagnosis (probe:write)"""
        return _dump(owned_probe(probe_id, g.token))

    @blp.doc(
        parameters=[
            {
                "in": "header",
                "name": "X-Delete-Token",
                "required": True,
                "schema": {"type": "string"},
                "description": "the delete_token returned when the probe was posted",
            }
        ]
    )
    @blp.response(204)
    def delete(self, probe_id: int) -> None:
        """Delete a probe and its contribution to the evidence: with its delete_token, or as
        its owner (or admin) with a probe:write bearer token"""
        token = request.headers.get("X-Delete-Token", "")
        session = db()
        if token:
            try:
                if len(token) > 200 or not fits_id(probe_id):
                    raise ProbeNotFound(probe_id)
                delete_probe(session, probe_id, token)
            except (ProbeNotFound, DeleteTokenMismatch):
                # A wrong delete token answers like a missing probe: ids leak nothing.
                session.rollback()
                raise Problem(404, f"probe {probe_id} not found") from None
        elif has_bearer():
            probe = owned_probe(probe_id, authenticate("probe:write"))
            try:
                remove_probe(session, probe)
            except ProbeNotFound:
                # A concurrent delete removed it between the read and the row lock.
                session.rollback()
                raise Problem(404, f"probe {probe_id} not found") from None
        else:
            raise Problem(
                401,
                "Send the probe's delete_token as X-Delete-Token, or an owner's bearer token.",
                headers={"WWW-Authenticate": 'Bearer realm="virtcompat"'},
            )
        session.commit()
        invalidate_snapshot()
