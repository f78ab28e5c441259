"""The customers service's contract: its wire shapes and declared resources (`infra.resource`).

The gateway validates and documents HTTP requests with these same schemas; the service validates
again, as the owner of the data (and checks what only it can: custom fields against their
definitions, that referenced records exist). Marshmallow only: no SQLAlchemy, no domain rule."""

import codecs
import json
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

from infra.fields import Country, Currency, Money, OneOrMany
from infra.resource import (
    ADMINS,
    DEFAULT_LIMIT,
    MANAGERS,
    MAX_LIMIT,
    PageQuery,
    Resource,
    sort_by,
)

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


class Email(fields.Email):
    """An email address; spaces around it, as pasted from a spreadsheet, are dropped."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(
            value.strip() if isinstance(value, str) else value, attr, data, **kwargs
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
    credit_limit = Money(allow_none=True, metadata={"description": "Admins and managers set it."})
    credit_currency = Currency(allow_none=True)
    payment_terms_days = fields.Integer(
        allow_none=True,
        validate=validate.Range(0, 365),
        metadata={"description": "Days to pay an invoice. Admins and managers set it."},
    )


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
    credit_limit = Money(allow_none=True, metadata={"description": "Admins, managers, sales."})
    credit_currency = fields.String(allow_none=True)
    payment_terms_days = fields.Integer(allow_none=True)
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


class ListQuery(PageQuery):
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
    sort = sort_by("created_at", "updated_at", "name")
    industry = fields.String(validate=short_text)
    category = one_of(ACCOUNT_CATEGORIES)
    parent_id = fields.UUID()


class ContactQuery(ListQuery):
    sort = sort_by("created_at", "updated_at", "last_name", "first_name", "email")
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


class TagJobRead(Schema):
    """Tagging a selection of more than 500 records, run in the background."""

    id = fields.UUID()
    entity = fields.String(metadata={"description": "`account` or `contact`."})
    status = fields.String(metadata={"description": "queued → running → done | failed"})
    operation = fields.String()
    tags = fields.List(fields.String())
    total = fields.Integer(metadata={"description": "Records the selection matched."})
    processed = fields.Integer(metadata={"description": "Records done so far."})
    changed = fields.Integer(metadata={"description": "Of those, the ones that changed."})
    error = fields.String(allow_none=True, metadata={"description": "Why a job failed."})
    created_by = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


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


class CustomFieldRead(Stamped, Schema):
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


INTERACTION_TYPES = ("call", "email", "meeting", "visit", "sms", "note")
DIRECTIONS = ("inbound", "outbound")
DIRECTED_TYPES = ("call", "email", "sms")  # always one way or the other
# The timeline kind of another service's event, by its type's first word (`ticket_opened`:
# ticket); `other` for the rest. A closed list: a misspelt `?kind=` is an error, not an empty page.
KIND_BY_WORD = {
    "opportunity": "deal",
    "order": "order",
    "quote": "order",
    "ticket": "ticket",
    "campaign": "campaign",
    "email": "campaign",
    "form": "campaign",
    "lead": "lead",
    "activity": "activity",
}
TIMELINE_KINDS = ("change", "interaction", *dict.fromkeys(KIND_BY_WORD.values()), "other")


class Moment(fields.AwareDateTime):
    """A point in time: with a UTC offset (without, it could be any), kept in UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)


def interaction_errors(data: dict) -> dict:
    """What a whole interaction needs beyond each field's own checks: on create the schema asks,
    on update the service asks of the changed interaction."""
    errors = {}
    if data.get("type") in DIRECTED_TYPES and not data.get("direction"):
        errors["direction"] = ["A call, email or sms is inbound or outbound."]
    if not data.get("contact_ids") and not data.get("account_id"):
        errors["contact_ids"] = ["Name at least one contact, or an account."]
    return errors


class InteractionUpdate(Schema):
    type = one_of(INTERACTION_TYPES)
    direction = one_of(
        DIRECTIONS, allow_none=True, metadata={"description": "Required for calls, emails, sms."}
    )
    subject = optional_text(255)
    body = optional_text(100_000)
    occurred_at = Moment(
        metadata={"description": "When it happened, with a UTC offset; default now."}
    )
    contact_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(max=100),
        metadata={"description": "The contacts it was with: at least one, unless an account."},
    )
    account_id = fields.UUID(
        allow_none=True,
        metadata={"description": "Default on create: the contacts' account, if they share one."},
    )
    user_id = fields.UUID(allow_none=True, metadata={"description": "Who had it; default you."})


class InteractionCreate(InteractionUpdate):
    type = one_of(INTERACTION_TYPES, required=True)

    @validates_schema
    def complete(self, data: dict, **kwargs) -> None:
        errors = interaction_errors(data)
        if errors:
            raise ValidationError(errors)


class InteractionFields(Schema):
    type = fields.String()
    direction = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    body = fields.String(allow_none=True)
    occurred_at = fields.DateTime()
    contact_ids = fields.List(fields.UUID())
    account_id = fields.UUID(allow_none=True)
    user_id = fields.UUID(allow_none=True)


class InteractionRead(Stamped, InteractionFields, Identified):
    pass


class InteractionQuery(PageQuery):
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Search text, in the subject or body."},
    )
    sort = sort_by("occurred_at", "created_at", "updated_at", default="-occurred_at")
    contact_id = fields.UUID(metadata={"description": "With this contact among others."})
    account_id = fields.UUID()
    type = one_of(INTERACTION_TYPES)
    user_id = fields.UUID()
    occurred_after = fields.AwareDateTime(default_timezone=UTC)
    occurred_before = fields.AwareDateTime(default_timezone=UTC)


class NewestFirstQuery(Schema):
    """The page of a list that is always newest first: a timeline, a history."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(metadata={"description": "`next_cursor` of the previous page."})


class TimelineQuery(NewestFirstQuery):
    kind = OneOrMany(
        one_of(TIMELINE_KINDS), metadata={"description": "Only this kind; repeat for several."}
    )


class TimelineEntryRead(Schema):
    occurred_at = fields.DateTime()
    kind = fields.String(metadata={"enum": list(TIMELINE_KINDS)})
    source = fields.String(metadata={"description": "The service that published the event."})
    type = fields.String(attribute="event_type", metadata={"description": "The event type."})
    summary = fields.String()
    data = fields.Dict(metadata={"description": "The event's data."})
    event_id = fields.String()


class ChangeRead(Schema):
    changed_at = fields.DateTime()
    action = fields.String(metadata={"description": "created, updated, merged, ..."})
    changes = fields.Dict(attribute="fields", metadata={"description": "`{field: [old, new]}`"})
    user_id = fields.UUID(allow_none=True, metadata={"description": "Who made the change."})
    via = fields.String(
        allow_none=True, metadata={"description": "api, api_key:<name>, import, system"}
    )


# The contact fields a CSV column can fill; `company` names the contact's account (found by
# name, or made). A header that spells one of these (any case, spaces for underscores) maps
# itself.
IMPORT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company",
    "birthday",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "preferred_channel",
    "lifecycle_stage",
    "tags",
)
IMPORT_STATUSES = ("uploading", "queued", "running", "done", "failed")


def text_encoding(name: str) -> None:
    try:
        known = codecs.lookup(name)._is_text_encoding
    except LookupError:
        known = False
    if not known:
        raise ValidationError(f"Unknown encoding {name!r}; for example utf-8, gbk, gb18030.")


def import_targets(mapping: dict) -> None:
    unknown = {
        column: field
        for column, field in mapping.items()
        if field is not None and field not in IMPORT_FIELDS
    }
    if unknown:
        raise ValidationError(
            [
                f"Column {column!r}: {field!r} is not a contact field."
                for column, field in unknown.items()
            ]
            + [f"Fields: {', '.join(IMPORT_FIELDS)}; null ignores a column."]
        )


class JsonObject(fields.Dict):
    """A JSON object, also when it arrives as the text of a form field."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("Not valid JSON.") from None
        return super()._deserialize(value, attr, data, **kwargs)


class ImportOptions(Schema):
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Report what would happen; write nothing."}
    )
    on_duplicate = one_of(
        ("skip", "merge"),
        load_default="skip",
        metadata={
            "description": "A row whose email (trimmed, any case) an earlier row or an existing "
            "contact has: `skip` it, or `merge` it into that contact (empty fields filled, tags "
            "added)."
        },
    )
    encoding = fields.String(
        validate=text_encoding,
        metadata={
            "description": "The file's encoding; by default UTF-8 (BOM or not) if it "
            "decodes as such, else GB18030 (GBK's superset)."
        },
    )
    mapping = JsonObject(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        values=fields.String(allow_none=True, metadata={"enum": [*IMPORT_FIELDS, None]}),
        validate=import_targets,
        load_default=dict,
        metadata={
            "description": 'JSON: `{"CSV header": "contact field"}`, e.g. `{"姓": "last_name", '
            '"名": "first_name"}`. Headers not named keep their own mapping.'
        },
    )


class ImportRejection(Schema):
    line = fields.Integer(metadata={"description": "The physical line in the file; header = 1."})
    reason = fields.String(
        metadata={
            "description": "`invalid_email`, `missing_name`, `bad_birthday`, `too_many_columns` "
            "or `invalid_<field>`."
        }
    )
    message = fields.String()


class ImportRead(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"description": " → ".join(IMPORT_STATUSES[:4]) + " | failed"})
    dry_run = fields.Boolean()
    on_duplicate = fields.String()
    encoding = fields.String(
        allow_none=True, metadata={"description": "As given, or as detected once it runs."}
    )
    mapping = fields.Dict()
    total = fields.Integer(metadata={"description": "Rows under the header (blank ones aside)."})
    processed = fields.Integer()
    created = fields.Integer()
    duplicates = fields.Integer()
    merged = fields.Integer()
    rejected = fields.List(fields.Nested(ImportRejection))
    error = fields.String(allow_none=True, metadata={"description": "Why a job failed."})
    created_by = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


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
interaction_create, interaction_update = InteractionCreate(), InteractionUpdate()
interaction_read, interaction_query = InteractionRead(), InteractionQuery()
timeline_query, timeline_entry_read = TimelineQuery(), TimelineEntryRead()
newest_first_query, change_read = NewestFirstQuery(), ChangeRead()
import_options, import_read = ImportOptions(), ImportRead()
tag_job_read = TagJobRead()


# --- The declared resources: routes, RPCs, OpenAPI operations and contract tests come from these

AREAS = {
    "customers": "Accounts (companies), contacts (people) and the custom fields admins add.",
    "activity": "Interactions (calls, emails, meetings...), and what happened to each account "
    "and contact: its timeline and its change history.",
}

ACCOUNTS = Resource(
    service="customers",
    name="account",
    path="/accounts",
    area="customers",
    create=AccountCreate,
    update=AccountUpdate,
    read=AccountRead,
    query=AccountQuery,
    users_named=("owner_id",),
    owner_field="owner_id",
    writable_by={
        "credit_limit": MANAGERS,
        "credit_currency": MANAGERS,
        "payment_terms_days": MANAGERS,
    },
    readable_by={"credit_limit": (*MANAGERS, "sales"), "credit_currency": (*MANAGERS, "sales")},
)
CONTACTS = Resource(
    service="customers",
    name="contact",
    path="/contacts",
    area="customers",
    create=ContactCreate,
    update=ContactUpdate,
    read=ContactRead,
    query=ContactQuery,
    create_options=CreateOptions,
    users_named=("owner_id",),
    owner_field="owner_id",
)
CUSTOM_FIELDS = Resource(
    service="customers",
    name="custom_field",
    path="/custom-fields",
    area="customers",
    create=CustomFieldCreate,
    update=CustomFieldUpdate,
    read=CustomFieldRead,
    query=CustomFieldQuery,
    write_roles=ADMINS,
)
INTERACTIONS = Resource(
    service="customers",
    name="interaction",
    path="/interactions",
    area="activity",
    create=InteractionCreate,
    update=InteractionUpdate,
    read=InteractionRead,
    query=InteractionQuery,
    users_named=("user_id",),
)
