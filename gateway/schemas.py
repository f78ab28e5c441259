"""Wire shapes the gateway owns: logins, users, API keys, lists and problems."""

import functools

from marshmallow import INCLUDE, Schema, fields, validate

from gateway.models import ROLES

role = fields.String(required=True, validate=validate.OneOf(ROLES))


class TokenRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class Token(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"example": "bearer"})
    expires_in = fields.Integer(metadata={"description": "Seconds until the token expires."})


class UserCreate(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    name = fields.String(validate=validate.Length(max=200))
    password = fields.String(
        required=True, validate=validate.Length(min=10, max=1000), load_only=True
    )
    role = role


class UserUpdate(Schema):
    name = fields.String(validate=validate.Length(max=200))
    password = fields.String(validate=validate.Length(min=10, max=1000), load_only=True)
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = fields.Boolean()


class UserRead(Schema):
    id = fields.UUID()
    email = fields.String()
    name = fields.String(allow_none=True)
    role = fields.String()
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ApiKeyCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = role


class ApiKeyRead(Schema):
    id = fields.UUID()
    name = fields.String()
    role = fields.String()
    created_by = fields.UUID()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class ApiKeyCreated(ApiKeyRead):
    key = fields.String(metadata={"description": "Send as `X-API-Key`. Shown only this once."})


class Page(Schema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as `cursor`."})


@functools.cache  # one page schema per item schema, however many routes list it
def page_of(item_schema: type[Schema]) -> type[Schema]:
    return type(
        f"{item_schema.__name__.removesuffix('Read')}Page",
        (Page,),
        {"items": fields.List(fields.Nested(item_schema))},
    )


class Problem(Schema):
    """Every error: application/problem+json (RFC 9457)."""

    class Meta:
        unknown = INCLUDE  # a problem may say more: the `existing` record of a conflict

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "On 422: each bad field, with what is wrong with it."},
    )
