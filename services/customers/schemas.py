"""Wire shapes of the customers service. The gateway validates and documents HTTP requests
with these same schemas; the service validates again, as the owner of the data."""

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from infra.listing import DEFAULT_LIMIT, MAX_LIMIT

short_text = validate.Length(max=100)


def optional_text(max_length: int, **kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


class AccountUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=255))
    industry = optional_text(100)
    website = optional_text(500)
    phone = optional_text(50)


class AccountCreate(AccountUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class AccountRead(Schema):
    id = fields.UUID()
    name = fields.String()
    industry = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class ContactUpdate(Schema):
    first_name = optional_text(100)
    last_name = optional_text(100)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = optional_text(50)
    title = optional_text(200)
    account_id = fields.UUID(allow_none=True, metadata={"description": "The contact's account."})


class ContactCreate(ContactUpdate):
    @validates_schema
    def has_a_name(self, data: dict, **kwargs) -> None:
        if not (data.get("first_name") or data.get("last_name")):
            message = "A contact needs a first name or a last name."
            raise ValidationError({"first_name": [message], "last_name": [message]})


class ContactRead(Schema):
    id = fields.UUID()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    account_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class ListQuery(Schema):
    q = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "Search text."}
    )
    sort = fields.String(
        load_default="-created_at", metadata={"description": "Field, `-` for descending."}
    )
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(metadata={"description": "`next_cursor` of the previous page."})
    created_after = fields.AwareDateTime(default_timezone=UTC)
    created_before = fields.AwareDateTime(default_timezone=UTC)


class AccountQuery(ListQuery):
    industry = fields.String(validate=short_text)


class ContactQuery(ListQuery):
    account_id = fields.UUID()
    email = fields.String(validate=validate.Length(max=320))


# Built once and shared: a marshmallow schema copies its declared fields each time one is made.
account_create, account_update = AccountCreate(), AccountUpdate()
account_read, account_query = AccountRead(), AccountQuery()
contact_create, contact_update = ContactCreate(), ContactUpdate()
contact_read, contact_query = ContactRead(), ContactQuery()
