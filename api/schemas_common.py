"""Schemas shared by every resource: problems, pagination arguments."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

MAX_PER_PAGE = 200


class ProblemFieldSchema(Schema):
    field = fields.String()
    message = fields.String()


class ProblemSchema(Schema):
    """RFC 9457 problem details; extension members are allowed (RFC 9457 section 3.2)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(ProblemFieldSchema))
    blockers = fields.List(fields.String(), metadata={"description": "409: referencing rows"})
    candidates = fields.List(
        fields.String(), metadata={"description": "422: closest names for an unknown one"}
    )


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
