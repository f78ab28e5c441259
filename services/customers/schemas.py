"""Wire shapes of the customers service. The gateway validates and documents HTTP requests
with these same schemas; the service validates again, as the owner of the data (and checks what
only it can: custom fields against their definitions, that referenced records exist)."""

from datetime import UTC, date

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from infra.listing import DEFAULT_LIMIT, MAX_LIMIT

LIFECYCLE_STAGES = ("lead", "prospect", "customer", "key_account", "churned")
ACCOUNT_CATEGORIES = ("prospect", "customer", "key_account", "partner")
ACCOUNT_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+")
CHANNELS = ("email", "sms", "phone")
PREFERRED_CHANNELS = ("email", "sms", "phone", "mail")
ENTITIES = ("account", "contact")
FIELD_TYPES = ("text", "number", "decimal", "date", "boolean", "select", "multiselect")

short_text = validate.Length(max=100)
has_digits = validate.Regexp(r"(?:\D*\d){3}", error="Not a phone number: it needs digits.")


def optional_text(max_length: int, **kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


def one_of(choices: tuple, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


class Country(fields.String):
    """An ISO 3166-1 alpha-2 code, in either case on the way in, upper case stored."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if len(code) != 2 or not code.isascii() or not code.isalpha():
            raise ValidationError("Must be a two-letter ISO 3166 country code, like CN or DE.")
        return code


class Email(fields.Email):
    """An email address; spaces around it, as pasted from a spreadsheet, are dropped."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(
            value.strip() if isinstance(value, str) else value, attr, data, **kwargs
        )


class OneOrMany(fields.List):
    """A list that also takes one bare value: `?tag=vip` as well as `?tag=vip&tag=2026`."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(
            value if isinstance(value, list | tuple) else [value], attr, data, **kwargs
        )


tag_list = fields.List(
    fields.String(validate=validate.Length(min=1, max=100)),
    validate=validate.Length(max=100),
    metadata={"description": "Replaces the record's tags."},
)
custom_values = fields.Dict(
    keys=fields.String(),
    metadata={"description": "Values of admin-defined fields (`/custom-fields`); null clears."},
)


class Located(Schema):
    """Owner, address, tags and custom fields: what accounts and contacts both have."""

    owner_id = fields.UUID(allow_none=True, metadata={"description": "The owning user."})
    street = optional_text(255)
    city = optional_text(100)
    region = optional_text(100)
    postal_code = optional_text(20)
    country = Country(allow_none=True)
    tags = tag_list
    custom_fields = custom_values

    @pre_load
    def strip_strings(self, data, **kwargs):
        """Surrounding spaces are never meant: "  Ada " is stored as "Ada", "" as nothing."""
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str) and key in self.fields:
                value = value.strip() or None
            cleaned[key] = value
        return cleaned


class AccountUpdate(Located):
    name = fields.String(validate=validate.Length(min=1, max=255))
    industry = optional_text(100)
    size = one_of(ACCOUNT_SIZES, allow_none=True, metadata={"description": "Employees."})
    category = one_of(ACCOUNT_CATEGORIES, allow_none=True)
    website = optional_text(500)
    phone = optional_text(50)
    parent_id = fields.UUID(allow_none=True, metadata={"description": "The parent account."})


class AccountCreate(AccountUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


# Read shapes are composed so a record reads in a natural order: its id, its own fields, what
# all records have, then timestamps (marshmallow orders inherited fields base-first).
class Identified(Schema):
    id = fields.UUID()


class Stamped(Schema):
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class LocatedRead(Schema):
    owner_id = fields.UUID(allow_none=True)
    street = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    custom_fields = fields.Dict()


class AccountFields(Schema):
    name = fields.String()
    industry = fields.String(allow_none=True)
    size = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    parent_id = fields.UUID(allow_none=True)


class AccountRead(Stamped, LocatedRead, AccountFields, Identified):
    pass


class EmailIn(Schema):
    address = Email(required=True, validate=validate.Length(max=320))
    label = optional_text(30)
    primary = fields.Boolean(load_default=False)


class PhoneIn(Schema):
    number = fields.String(required=True, validate=[validate.Length(max=50), has_digits])
    label = optional_text(30)
    primary = fields.Boolean(load_default=False)


def at_most_one_primary(items: list[dict], field: str) -> None:
    if sum(bool(item.get("primary")) for item in items) > 1:
        raise ValidationError({field: ["At most one can be primary."]})


class ContactUpdate(Located):
    first_name = optional_text(100)
    last_name = optional_text(100)
    email = Email(
        allow_none=True,
        validate=validate.Length(max=320),
        metadata={"description": "The primary email; shorthand for `emails`."},
    )
    phone = fields.String(
        allow_none=True,
        validate=[validate.Length(max=50), has_digits],
        metadata={"description": "The primary phone; shorthand for `phones`."},
    )
    emails = fields.List(fields.Nested(EmailIn), validate=validate.Length(max=20))
    phones = fields.List(fields.Nested(PhoneIn), validate=validate.Length(max=20))
    title = optional_text(200)
    account_id = fields.UUID(allow_none=True, metadata={"description": "The contact's account."})
    birthday = fields.Date(allow_none=True)
    preferred_channel = one_of(PREFERRED_CHANNELS, allow_none=True)
    lifecycle_stage = one_of(LIFECYCLE_STAGES, allow_none=True)

    @validates("birthday")
    def plausible_birthday(self, value: date | None, **kwargs) -> None:
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise ValidationError("Must be a date between 1900-01-01 and today.")

    @validates_schema
    def one_way_to_say_it(self, data: dict, **kwargs) -> None:
        for single, many in (("email", "emails"), ("phone", "phones")):
            if single in data and many in data:
                raise ValidationError({single: [f"Give `{single}` or `{many}`, not both."]})
        at_most_one_primary(data.get("emails") or [], "emails")
        at_most_one_primary(data.get("phones") or [], "phones")


class ContactCreate(ContactUpdate):
    @validates_schema
    def has_a_name(self, data: dict, **kwargs) -> None:
        if not (data.get("first_name") or data.get("last_name")):
            message = "A contact needs a first name or a last name."
            raise ValidationError({"first_name": [message], "last_name": [message]})


class AccountCreateOptions(Schema):
    id = fields.UUID(
        metadata={
            "description": "The new record's id, chosen by the caller: a create whose id exists "
            "answers the record made before, so a retried create makes nothing twice."
        }
    )


class CreateOptions(AccountCreateOptions):
    allow_duplicate = fields.Boolean(
        load_default=False,
        metadata={"description": "Create even when the email or phone is another contact's."},
    )


class EmailRead(Schema):
    address = fields.String()
    label = fields.String(allow_none=True)
    primary = fields.Boolean(attribute="is_primary")


class PhoneRead(Schema):
    number = fields.String()
    normalized = fields.String()
    label = fields.String(allow_none=True)
    primary = fields.Boolean(attribute="is_primary")


class ContactFields(Schema):
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    emails = fields.List(fields.Nested(EmailRead))
    phones = fields.List(fields.Nested(PhoneRead))
    title = fields.String(allow_none=True)
    account_id = fields.UUID(allow_none=True)
    account_name = fields.String(allow_none=True, metadata={"description": "The company."})
    birthday = fields.Date(allow_none=True)
    preferred_channel = fields.String(allow_none=True)
    lifecycle_stage = fields.String(allow_none=True)


class ContactRead(Stamped, LocatedRead, ContactFields, Identified):
    pass


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
    updated_after = fields.AwareDateTime(default_timezone=UTC)
    updated_before = fields.AwareDateTime(default_timezone=UTC)
    owner_id = fields.UUID()
    tag = OneOrMany(
        fields.String(validate=validate.Length(min=1, max=100)),
        metadata={"description": "Has this tag; repeat for all of several."},
    )
    country = Country()
    custom = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "Custom field filters, sent as `cf.<name>=<value>` query parameters."
        },
    )

    @pre_load
    def gather_custom_filters(self, data, **kwargs):
        """`?cf.region=north` arrives as `custom: {"region": "north"}`."""
        if not isinstance(data, dict):
            return data
        custom = {key[3:]: value for key, value in data.items() if key.startswith("cf.")}
        rest = {key: value for key, value in data.items() if not key.startswith("cf.")}
        return {**rest, "custom": {**rest.get("custom", {}), **custom}} if custom else rest


class AccountQuery(ListQuery):
    industry = fields.String(validate=short_text)
    category = one_of(ACCOUNT_CATEGORIES)
    parent_id = fields.UUID()


class ContactQuery(ListQuery):
    account_id = fields.UUID()
    email = fields.String(validate=validate.Length(max=320))
    phone = fields.String(validate=validate.Length(max=50))
    lifecycle_stage = one_of(LIFECYCLE_STAGES)
    birthday_within = fields.Integer(
        validate=validate.Range(0, 366),
        metadata={"description": "Birthday in the next n days (0: today)."},
    )


class TagOperation(Schema):
    """Add or remove tags on every record a filter selects (or on the listed ids)."""

    operation = fields.String(
        required=True,
        validate=validate.OneOf(("add", "remove")),
        metadata={"description": "`add` or `remove`."},
    )
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=1, max=100),
    )
    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=10_000))
    filter = fields.Dict(
        metadata={"description": 'The list\'s query parameters, e.g. `{"tag": "expo"}`.'}
    )

    @validates_schema
    def says_which(self, data: dict, **kwargs) -> None:
        if ("ids" in data) == ("filter" in data):
            raise ValidationError({"ids": ["Give `ids` or `filter`, one of them."]})


class TagResult(Schema):
    matched = fields.Integer()
    changed = fields.Integer()


class CustomFieldUpdate(Schema):
    label = optional_text(100)
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=500),
        metadata={"description": "The choices of a select or multiselect field."},
    )


class CustomFieldCreate(CustomFieldUpdate):
    entity = one_of(ENTITIES, required=True)
    name = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z][a-z0-9_]{0,62}$",
            error="Lower-case letters, digits and underscores, starting with a letter.",
        ),
    )
    type = one_of(FIELD_TYPES, required=True)

    @validates_schema
    def options_fit_type(self, data: dict, **kwargs) -> None:
        options = data.get("options") or []
        if data.get("type") in ("select", "multiselect"):
            if not options:
                raise ValidationError({"options": ["A select field needs options."]})
        elif options:
            raise ValidationError({"options": ["Only select fields have options."]})
        if len(set(options)) != len(options):
            raise ValidationError({"options": ["Options must be distinct."]})


class CustomFieldRead(Schema):
    id = fields.UUID()
    entity = fields.String()
    name = fields.String()
    label = fields.String(allow_none=True)
    type = fields.String()
    options = fields.List(fields.String())
    created_at = fields.DateTime()


class CustomFieldQuery(Schema):
    entity = one_of(ENTITIES)


class ConsentCreate(Schema):
    channel = one_of(CHANNELS, required=True)
    status = one_of(("opted_in", "opted_out"), required=True)
    source = optional_text(100, metadata={"description": "Where it was given, e.g. `web_form`."})
    recorded_at = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "When it was given; now by default."}
    )


class ConsentRead(Schema):
    contact_id = fields.UUID()
    channel = fields.String()
    status = fields.String()
    source = fields.String(allow_none=True)
    recorded_at = fields.DateTime()
    recorded_by = fields.UUID(allow_none=True)


class ConsentQuery(Schema):
    as_of = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "The state at this moment; now by default."}
    )


class ConsentState(Schema):
    as_of = fields.DateTime()
    channels = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ConsentRead, allow_none=True),
        metadata={"description": "Per channel, the decision in force (null: never asked)."},
    )
    history = fields.List(fields.Nested(ConsentRead), metadata={"description": "Newest first."})


class MergeRequest(Schema):
    duplicate_id = fields.UUID(
        required=True, metadata={"description": "The contact merged into this one, then gone."}
    )


class DuplicatesQuery(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    account_id = fields.UUID(metadata={"description": "Only contacts of this account."})


class DuplicatePair(Schema):
    contact_ids = fields.List(fields.UUID())
    reason = fields.String(metadata={"description": "same_email, same_phone or similar_name."})
    value = fields.String(allow_none=True, metadata={"description": "The shared email or phone."})
    score = fields.Float(
        metadata={"description": "Name similarity, 0-100 (100 for the same value)."}
    )


class Duplicates(Schema):
    items = fields.List(fields.Nested(DuplicatePair))


# Built once and shared: a marshmallow schema copies its declared fields each time one is made.
account_create, account_update = AccountCreate(), AccountUpdate()
account_read, account_query = AccountRead(), AccountQuery()
contact_create, contact_update = ContactCreate(), ContactUpdate()
contact_read, contact_query = ContactRead(), ContactQuery()
create_options, tag_operation = CreateOptions(), TagOperation()
account_create_options = AccountCreateOptions()
custom_field_create, custom_field_update = CustomFieldCreate(), CustomFieldUpdate()
custom_field_read, custom_field_query = CustomFieldRead(), CustomFieldQuery()
consent_create, consent_read, consent_query = ConsentCreate(), ConsentRead(), ConsentQuery()
consent_state = ConsentState()
merge_request, duplicates_query = MergeRequest(), DuplicatesQuery()
