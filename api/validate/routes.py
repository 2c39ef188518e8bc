"""/api/v1/validate/domain-config and /api/v1/xen/options."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app, json, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.compat.routes import snapshot
from api.errors import Problem, validation_problem
from api.listing import paginate_items
from api.ops import count_findings
from api.probes.routes import probe_for_caller
from api.schemas_common import PageArgsSchema, PageSchema
from virtcompat.capability import CAPABILITIES, Capability, Status
from virtcompat.domain.safexml import UnsafeXml
from virtcompat.engine.compat import QueryError, clean_query
from virtcompat.engine.resolve import ResolveError, catalog_facts
from virtcompat.engine.verdict import judge
from virtcompat.ingest import stored_capabilities
from virtcompat.xen.options import all_options, get_option
from virtcompat.xen.sarif import to_sarif
from virtcompat.xen.validate import looks_like_xml, validate_config

blp = Blueprint(
    "validate",
    __name__,
    url_prefix="/api/v1",
    description="Validate domain configs (Xen xm and xl, libvirt domain XML) against the "
    "option catalogue, the domain rules and, optionally, a target host's capabilities.",
)

SARIF = "application/sarif+json"
XML_TYPES = ("application/xml", "text/xml")
_DOMAIN_TYPE = re.compile(rb"""<domain\s[^>]{0,200}?type\s*=\s*["']([a-z]{1,10})["']""")
STATUSES = [s.value for s in Status]


class TargetSchema(Schema):
    probe_id = fields.Integer(validate=validate.Range(min=1))
    board = fields.String(validate=validate.Length(max=200))
    cpu = fields.String(validate=validate.Length(max=200))
    bios = fields.String(validate=validate.Length(max=100))
    chipset = fields.String(validate=validate.Length(max=200))
    capabilities = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CAPABILITIES)),
        values=fields.Raw(),
        metadata={"description": 'e.g. {"hvm": "supported", "pci_passthrough": "unsupported"}'},
    )

    @validates_schema
    def one_kind(self, data: dict[str, Any], **_: Any) -> None:
        kinds = [
            "probe_id" in data,
            any(k in data for k in ("board", "cpu", "bios", "chipset")),
            "capabilities" in data,
        ]
        if sum(kinds) > 1:
            raise ValidationError(
                "give one of probe_id, hardware (board/cpu/bios/chipset) or capabilities"
            )


class ValidateSchema(Schema):
    config = fields.String(required=True)
    format = fields.String(
        load_default="auto", validate=validate.OneOf(["auto", "xm", "xl", "libvirt"])
    )
    xen_version = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{1,2}(\.\d{1,3}){0,2}$")
    )
    target = fields.Nested(TargetSchema, load_default=None, allow_none=True)


class FindingSchema(Schema):
    rule = fields.String()
    severity = fields.String()
    key = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    column = fields.Integer(allow_none=True)
    message = fields.String()
    hint = fields.String(allow_none=True)
    related = fields.List(fields.Dict())


class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    format = fields.String()
    format_reason = fields.String()
    xen_version = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema))
    requires = fields.List(fields.String())
    options = fields.Dict()
    target = fields.Dict(allow_none=True)


# Loading is stateless, so one instance serves every request: building the schema's field
# tree per request was a fixed cost on the hottest write path (#14).
_VALIDATE_SCHEMA = ValidateSchema()


def _explicit(caps: dict[str, Any]) -> dict[str, Capability]:
    out: dict[str, Capability] = {}
    for name, value in caps.items():
        status = value.get("status") if isinstance(value, dict) else value
        if status not in STATUSES:
            raise Problem(
                422,
                f"target.capabilities.{name}: must be one of {', '.join(STATUSES)}",
                errors=[
                    {
                        "field": f"json.target.capabilities.{name}",
                        "message": f"must be one of {', '.join(STATUSES)}",
                    }
                ],
            )
        out[name] = Capability(status=Status(status))
    return out


def _hypervisor(config: str | bytes, fmt: str) -> str:
    """The hypervisor whose verdicts the config is judged against: a libvirt domain of type
    kvm or qemu runs on KVM (VFIO passthrough), everything else on Xen."""
    if fmt == "libvirt" or (fmt == "auto" and looks_like_xml(config)):
        head = (config if isinstance(config, bytes) else config.encode("utf-8", "replace"))[:8192]
        m = _DOMAIN_TYPE.search(head)
        if m is not None and m.group(1) in (b"kvm", b"qemu"):
            return "kvm"
    return "xen"


def _host(
    target: dict[str, Any] | None, hypervisor: str
) -> tuple[dict[str, Capability] | None, dict[str, Any], str | None]:
    if not target:
        return None, {}, None
    if "capabilities" in target:
        return _explicit(target["capabilities"]), {"kind": "capabilities"}, None
    if "probe_id" in target:
        probe = probe_for_caller(target["probe_id"])  # its owner's token, or admin
        summary = {"kind": "probe", "probe_id": probe.id}
        return stored_capabilities(probe.diagnosis), summary, None
    try:
        query = clean_query(target)
        facts = catalog_facts(
            snapshot(),
            board=query["board"],
            cpu=query["cpu"],
            bios=query["bios"],
            chipset=query["chipset"],
        )
    except ResolveError as exc:
        raise Problem(
            422,
            f"target: {exc}",
            errors=[{"field": f"json.target.{exc.field}", "message": f"{exc.reason}: {exc.value}"}],
            candidates=list(exc.candidates),
        ) from None
    except QueryError as exc:
        raise Problem(
            422,
            f"target.{exc.field}: {exc}",
            errors=[{"field": f"json.target.{exc.field}", "message": str(exc)}],
        ) from None
    summary = {"kind": "hardware", **{k: v for k, v in query.items() if v}}
    return judge(facts, hypervisor), summary, facts.cpu.vendor


def _respond(
    config: str | bytes, fmt: str, xen_version: str | None, target: dict[str, Any] | None
) -> Response:
    limit = current_app.config["CONFIG_MAX_BYTES"]
    if isinstance(config, str):
        # (ASCII text is its own UTF-8: str.isascii is a flag test, encoding is a copy.)
        size = len(config) if config.isascii() else len(config.encode("utf-8", "surrogatepass"))
    else:
        size = len(config)
    if size > limit:
        raise Problem(413, f"The config is {size} bytes; the limit is {limit} bytes.")
    host, summary, vendor = _host(target, _hypervisor(config, fmt))
    try:
        result = validate_config(config, fmt, xen_version, host, vendor)
    except UnsafeXml as exc:
        raise Problem(
            exc.status,
            f"The XML document was refused unread: {exc}",
            title="Unsafe or unreadable XML",
            reason=exc.reason,
        ) from None
    except ValueError as exc:
        raise Problem(
            422, str(exc), errors=[{"field": "xen_version", "message": str(exc)}]
        ) from None
    doc = result.as_dict()
    count_findings(doc["valid"], doc["findings"])
    best = request.accept_mimetypes.best_match(["application/json", SARIF])
    if (
        best == SARIF
        and request.accept_mimetypes[SARIF] > request.accept_mimetypes["application/json"]
    ):
        name = "domain.xml" if result.format == "libvirt" else "domain.cfg"
        return Response(json.dumps(to_sarif(result, name)), mimetype=SARIF)
    doc["target"] = (
        {**summary, "capabilities": {k: v.status.value for k, v in host.items()}}
        if host is not None
        else None
    )
    return Response(json.dumps(doc), mimetype="application/json")


_TEXT_QUERY_ARGS_ORDER = ("format", "xen_version", "board", "cpu", "bios", "chipset", "probe_id")
_TEXT_QUERY_ARGS = frozenset(_TEXT_QUERY_ARGS_ORDER)


@blp.route("/validate/domain-config")
class ValidateDomainConfig(MethodView):
    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": ValidateSchema},
                "text/plain": {"schema": {"type": "string"}},
                "application/xml": {"schema": {"type": "string"}},
                "text/xml": {"schema": {"type": "string"}},
            }
        },
        parameters=[
            {
                "in": "query",
                "name": n,
                "schema": {"type": "string"},
                "description": "with a text/plain or XML body",
            }
            for n in _TEXT_QUERY_ARGS_ORDER
        ],
        # Anonymous, except a target.probe_id: that needs the probe owner's (or an admin's)
        # token, and a probe the token may not read is a 404 like a missing one.
        security=[{}, {"bearer": []}],
        responses={
            "401": {"$ref": "#/components/responses/UNAUTHORIZED"},
            "403": {"$ref": "#/components/responses/FORBIDDEN"},
            "404": {"$ref": "#/components/responses/NOT_FOUND"},
        },
    )
    @blp.response(200, ValidationResultSchema)
    def post(self) -> Response:
        """Validate an xm, xl or libvirt domain config (Accept: application/sarif+json for SARIF)

        libvirt domain XML may be sent raw as application/xml or text/xml (format defaults
        to libvirt). A document with a DTD or entity declaration, nested too deep, with too
        many elements or not decodable is refused with a 4xx problem, never read.
        """
        # A JSON-escaped config can be up to 6x its raw size; the raw size is checked after.
        request.max_content_length = current_app.config["CONFIG_MAX_BYTES"] * 6 + 65536
        mimetype = request.mimetype
        unknown = sorted(set(request.args) - _TEXT_QUERY_ARGS)
        if mimetype == "application/json":
            unknown = sorted(request.args)  # a JSON body carries its own parameters
        if unknown:
            raise Problem(
                422,
                "; ".join(f"query.{k}: Unknown field." for k in unknown),
                title="Invalid request",
                errors=[{"field": f"query.{k}", "message": "Unknown field."} for k in unknown],
            )
        if mimetype == "text/plain" or mimetype in XML_TYPES:
            args: dict[str, str] = dict(request.args.items())
            data: dict[str, Any] = {"config": ""}
            if mimetype in XML_TYPES:
                data["format"] = "libvirt"
            data.update({k: args[k] for k in ("format", "xen_version") if k in args})
            target_raw: dict[str, Any] = {
                k: args[k] for k in ("board", "cpu", "bios", "chipset") if k in args
            }
            if "probe_id" in args:
                target_raw["probe_id"] = args["probe_id"]
            try:
                loaded = _VALIDATE_SCHEMA.load({**data, "target": target_raw or None})
            except ValidationError as exc:
                raise validation_problem(exc, "query") from None
            body = request.get_data(cache=False)
            return _respond(body, loaded["format"], loaded["xen_version"], loaded["target"])
        if mimetype != "application/json":
            raise Problem(
                415,
                "Send application/json, or text/plain / application/xml with query parameters.",
            )
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            raise Problem(400, "The body is not a JSON object.")
        try:
            loaded = _VALIDATE_SCHEMA.load(payload)
        except ValidationError as exc:
            raise validation_problem(exc) from None
        return _respond(loaded["config"], loaded["format"], loaded["xen_version"], loaded["target"])


class XenOptionQueryArgsSchema(PageArgsSchema):
    q = fields.String(validate=validate.Length(max=100))


class XenOptionPageSchema(PageSchema):
    items = fields.List(fields.Dict())


@blp.route("/xen/options")
class XenOptions(MethodView):
    @blp.arguments(XenOptionQueryArgsSchema, location="query")
    @blp.response(200, XenOptionPageSchema)
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The Xen option catalogue (xm 3.x and xl 4.x)"""
        items = [o.as_dict() for o in all_options()]
        q = (args.get("q") or "").lower()
        if q:
            items = [o for o in items if q in json.dumps(o).lower()]
        return paginate_items(items, args["page"], args["per_page"])


@blp.route("/xen/options/<name>")
class XenOptionItem(MethodView):
    @blp.response(200)
    def get(self, name: str) -> dict[str, Any]:
        """One Xen option by its xl or xm name"""
        option = get_option(name)
        if option is None:
            raise Problem(404, f"Xen option {name!r} not found")
        result: dict[str, Any] = option.as_dict()
        return result
