"""/api/v1/rules: the one registry, hardware and Xen rules alike."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.errors import Problem
from api.listing import paginate_items
from api.schemas_common import PageArgsSchema, PageSchema
from virtcompat.rules import all_rules, get_rule, rules_version

blp = Blueprint("rules", __name__, url_prefix="/api/v1/rules", description="The rule registry.")


class RuleSchema(Schema):
    id = fields.String()
    title = fields.String()
    severity = fields.String()
    applies_to = fields.String()
    explanation = fields.String()
    hint = fields.Dict(allow_none=True)
    sources = fields.List(fields.String())


class RuleListSchema(PageSchema):
    items = fields.List(fields.Nested(RuleSchema))
    rules_version = fields.String()


class RuleQueryArgsSchema(PageArgsSchema):
    applies_to = fields.String(validate=validate.OneOf(["hardware", "domain-config"]))


@blp.route("")
class Rules(MethodView):
    @blp.arguments(RuleQueryArgsSchema, location="query")
    @blp.response(200, RuleListSchema)
    def get(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Every rule a verdict reason or a config finding can cite"""
        items = [r.as_dict() for r in all_rules()]
        if args.get("applies_to"):
            items = [r for r in items if r["applies_to"] == args["applies_to"]]
        return paginate_items(items, args["page"], args["per_page"], rules_version=rules_version())


@blp.route("/<rule_id>")
class RuleItem(MethodView):
    @blp.response(200, RuleSchema)
    def get(self, rule_id: str) -> dict[str, Any]:
        """One rule by id"""
        rule = get_rule(rule_id)
        if rule is None:
            raise Problem(404, f"rule {rule_id!r} not found")
        return rule.as_dict()
