"""Wire shapes the gateway owns: logins, users, API keys, lists and problems."""

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

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


MAX_TEAM_MEMBERS = 200


class TeamUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    manager_id = fields.UUID(
        allow_none=True, metadata={"description": "Leads the team: sees its members' records."}
    )
    member_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(max=MAX_TEAM_MEMBERS),
        metadata={"description": "The members, in the order sales' lead assignment takes turns."},
    )

    @validates_schema
    def members_once(self, data: dict, **kwargs) -> None:
        members = data.get("member_ids") or []
        if len(set(members)) != len(members):
            raise ValidationError({"member_ids": ["Each user at most once."]})


class TeamCreate(TeamUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TeamRead(Schema):
    id = fields.UUID()
    name = fields.String()
    manager_id = fields.UUID(allow_none=True)
    member_ids = fields.List(fields.UUID())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class TeamPage(Schema):
    items = fields.List(fields.Nested(TeamRead))
    next_cursor = fields.String(allow_none=True, metadata={"description": "Always null: one page."})


class OpenResources(Schema):
    resources = fields.List(
        fields.String(),
        metadata={"description": "Record types every user may read, whoever owns the record."},
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
