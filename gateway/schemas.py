"""Wire shapes the gateway owns: logins, users, API keys, lists and problems."""

from marshmallow import Schema, fields, validate

from infra.resource import ROLES

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
