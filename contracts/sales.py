"""The sales service's contract: its wire shapes and declared resources (`infra.resource`).

The gateway validates and documents HTTP requests with these same schemas; the service validates
again, as the owner of the data. Marshmallow only: no SQLAlchemy, no domain rule. Amounts are
decimal strings with an ISO currency (`infra.fields.Money`, `Currency`)."""

import re
from datetime import UTC
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from infra.fields import Country, Currency, Money, Trimmed, decimal_string, more_places_than
from infra.resource import ADMINS, MANAGERS, PageQuery, Resource, sort_by

# ---- Pipelines, opportunities, forecast and quotas ----

OUTCOMES = ("open", "won", "lost")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "omitted")
PERIOD = re.compile(r"^(?:19|2\d)\d\d-(?:0[1-9]|1[0-2]|Q[1-4])$")

percent = validate.Range(0, 100)


def optional_text(max_length: int, **kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


class Stamped(Schema):
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class Period(fields.String):
    """A month (`2026-11`) or a quarter (`2026-Q4`)."""

    def __init__(self, **kwargs):
        metadata = {"pattern": PERIOD.pattern, "example": "2026-Q4"}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        period = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not PERIOD.match(period):
            raise ValidationError("Must be a month like 2026-11 or a quarter like 2026-Q4.")
        return period


class StageIn(Schema):
    id = fields.UUID(
        metadata={"description": "An existing stage of this pipeline, kept; none: a new stage."}
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    probability = fields.Integer(
        required=True,
        strict=True,
        validate=percent,
        metadata={"description": "Win probability, percent."},
    )
    outcome = fields.String(
        load_default="open",
        validate=validate.OneOf(OUTCOMES),
        metadata={"description": "`won` and `lost` close an opportunity."},
    )


def check_stages(stages: list[dict]) -> None:
    """Exactly one won stage (100%), one lost stage (0%), at least one open; distinct names.
    Checked once every stage has loaded: a stage's own errors are reported on it already."""
    if not all({"name", "probability", "outcome"} <= stage.keys() for stage in stages):
        return
    outcomes = [stage["outcome"] for stage in stages]
    problems = [
        f"A pipeline has exactly one {outcome} stage."
        for outcome in ("won", "lost")
        if outcomes.count(outcome) != 1
    ]
    if "open" not in outcomes:
        problems.append("A pipeline needs at least one open stage.")
    for stage in stages:
        closing = {"won": 100, "lost": 0}.get(stage["outcome"])
        if closing is not None and stage["probability"] != closing:
            problems.append(f"The {stage['outcome']} stage's probability is {closing}.")
    names = [stage["name"].strip().lower() for stage in stages]
    if len(set(names)) != len(names):
        problems.append("Stage names must be distinct.")
    ids = [stage["id"] for stage in stages if "id" in stage]
    if len(set(ids)) != len(ids):
        problems.append("A stage is listed twice.")
    if problems:
        raise ValidationError(problems)


class PipelineUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    is_default = fields.Boolean(
        metadata={"description": "Make this the default pipeline (the previous one stops being)."}
    )
    stages = fields.List(
        fields.Nested(StageIn),
        validate=validate.Length(min=3, max=30),
        metadata={
            "description": "Every stage, in order: those with an `id` are kept (renamed, moved, "
            "re-weighted), those without are added, those left out are deleted (409 while "
            "opportunities are in them)."
        },
    )

    @validates("stages")
    def one_won_and_one_lost(self, stages: list[dict], **kwargs) -> None:
        check_stages(stages)


class PipelineCreate(PipelineUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    stages = fields.List(
        fields.Nested(StageIn),
        required=True,
        validate=validate.Length(min=3, max=30),
        metadata={"description": "The stages, in order."},
    )


class StageRead(Schema):
    id = fields.UUID()
    name = fields.String()
    position = fields.Integer()
    probability = fields.Integer()
    outcome = fields.String()


class PipelineRead(Schema):
    id = fields.UUID()
    name = fields.String()
    is_default = fields.Boolean()
    stages = fields.List(fields.Nested(StageRead))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class PipelineQuery(PageQuery):
    sort = sort_by("created_at", "name")


class OpportunityUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=255))
    account_id = fields.UUID(metadata={"description": "An account of the customers service."})
    primary_contact_id = fields.UUID(
        allow_none=True, metadata={"description": "A contact of the customers service."}
    )
    amount = Money()
    currency = Currency()
    expected_close_date = fields.Date()
    pipeline_id = fields.UUID(
        metadata={"description": "Moving to another pipeline needs a `stage_id` of it too."}
    )
    stage_id = fields.UUID(metadata={"description": "A stage of the opportunity's pipeline."})
    probability = fields.Integer(
        allow_none=True,
        strict=True,
        validate=percent,
        metadata={"description": "Overrides the stage's probability; null: the stage's again."},
    )
    forecast_category = fields.String(
        validate=validate.OneOf(FORECAST_CATEGORIES),
        metadata={
            "description": "Set on every stage change from the stage (below 50%: pipeline, "
            "50-74: best_case, 75 and above and won: commit, lost: omitted) unless given."
        },
    )
    owner_id = fields.UUID(allow_none=True, metadata={"description": "The owning user."})
    source = optional_text(50)
    campaign = optional_text(100)
    next_step = optional_text(255)
    lost_reason = optional_text(
        255, metadata={"description": "Required when moving to the lost stage."}
    )


class OpportunityCreate(OpportunityUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    account_id = fields.UUID(
        required=True, metadata={"description": "An account of the customers service."}
    )
    amount = Money(required=True)
    currency = Currency(required=True)
    expected_close_date = fields.Date(
        metadata={"description": "Default: the last day of the current quarter."}
    )
    pipeline_id = fields.UUID(metadata={"description": "Default: the stage's, or the default."})
    stage_id = fields.UUID(
        metadata={"description": "Default: the first open stage of the pipeline."}
    )
    owner_id = fields.UUID(allow_none=True, metadata={"description": "Default: the creator."})
    lead_id = fields.UUID(
        allow_none=True, metadata={"description": "The lead this opportunity was converted from."}
    )


class OpportunityRead(Schema):
    id = fields.UUID()
    name = fields.String()
    account_id = fields.UUID()
    primary_contact_id = fields.UUID(allow_none=True)
    amount = Money()
    currency = fields.String()
    expected_close_date = fields.Date()
    pipeline_id = fields.UUID()
    stage_id = fields.UUID()
    stage_name = fields.String(attribute="stage.name")
    probability = fields.Integer(metadata={"description": "The effective win probability."})
    probability_overridden = fields.Boolean(
        metadata={"description": "Whether `probability` is the opportunity's, not the stage's."}
    )
    forecast_category = fields.String()
    status = fields.String(metadata={"description": "open, won or lost (from the stage)."})
    owner_id = fields.UUID(allow_none=True)
    source = fields.String(allow_none=True)
    campaign = fields.String(allow_none=True)
    next_step = fields.String(allow_none=True)
    lost_reason = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    lead_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class OpportunityQuery(PageQuery):
    sort = sort_by("created_at", "updated_at", "amount", "expected_close_date")
    owner_id = fields.UUID()
    account_id = fields.UUID()
    primary_contact_id = fields.UUID()
    pipeline_id = fields.UUID()
    stage_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(OUTCOMES))
    forecast_category = fields.String(validate=validate.OneOf(FORECAST_CATEGORIES))
    close_after = fields.Date(metadata={"description": "Expected to close on or after."})
    close_before = fields.Date(metadata={"description": "Expected to close before."})
    amount_min = Money(metadata={"description": "At least this amount (any currency)."})
    amount_max = Money(metadata={"description": "At most this amount (any currency)."})
    lead_id = fields.UUID()


class StageChangeRead(Schema):
    from_stage_id = fields.UUID(allow_none=True, metadata={"description": "None: created."})
    from_stage = fields.String(allow_none=True, metadata={"description": "Its name."})
    to_stage_id = fields.UUID()
    to_stage = fields.String(allow_none=True, metadata={"description": "Its name."})
    changed_at = fields.DateTime()
    user_id = fields.UUID(allow_none=True, metadata={"description": "Who moved it."})


class StageHistory(Schema):
    items = fields.List(fields.Nested(StageChangeRead), metadata={"description": "Oldest first."})


class ForecastQuery(Schema):
    period = Period(required=True)
    owner_id = fields.UUID(metadata={"description": "One owner's forecast."})
    team_id = fields.UUID(metadata={"description": "A team's: its members' opportunities."})

    @validates_schema
    def one_scope(self, data: dict, **kwargs) -> None:
        if "owner_id" in data and "team_id" in data:
            raise ValidationError({"team_id": ["Give `owner_id` or `team_id`, not both."]})


class ForecastBlock(Schema):
    currency = fields.String()
    open_pipeline = Money(metadata={"description": "Open, expected to close in the period."})
    weighted_pipeline = Money(metadata={"description": "Open: amount x probability."})
    best_case = Money(metadata={"description": "Open best_case and commit, and closed won."})
    commit = Money(metadata={"description": "Open commit, and closed won."})
    closed_won = Money(metadata={"description": "Won, closed in the period."})
    quota = Money(allow_none=True, metadata={"description": "Null: no quota in this currency."})
    gap_to_quota = Money(
        signed=True, allow_none=True, metadata={"description": "quota - closed_won."}
    )
    open_count = fields.Integer()
    won_count = fields.Integer()


class ForecastRead(Schema):
    period = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    owner_id = fields.UUID(allow_none=True)
    team_id = fields.UUID(allow_none=True)
    owner_ids = fields.List(
        fields.UUID(), allow_none=True, metadata={"description": "Whose; null: everyone's."}
    )
    currencies = fields.List(
        fields.Nested(ForecastBlock),
        metadata={"description": "One block per currency, never converted; by currency code."},
    )


class QuotaUpdate(Schema):
    period = Period()
    amount = Money()
    currency = Currency()


class QuotaCreate(QuotaUpdate):
    user_id = fields.UUID(required=True)
    period = Period(required=True)
    amount = Money(required=True)
    currency = Currency(required=True)


class QuotaRead(Schema):
    id = fields.UUID()
    user_id = fields.UUID()
    period = fields.String()
    amount = Money()
    currency = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class QuotaQuery(PageQuery):
    sort = sort_by("created_at", "period", "amount")
    user_id = fields.UUID()
    period = Period()

    class Meta:
        exclude = ("q",)  # a quota has no text to search


pipeline_create, pipeline_update = PipelineCreate(), PipelineUpdate()
pipeline_read, pipeline_query = PipelineRead(), PipelineQuery()
opportunity_create, opportunity_update = OpportunityCreate(), OpportunityUpdate()
opportunity_read, opportunity_query = OpportunityRead(), OpportunityQuery()
stage_history, forecast_query, forecast_read = StageHistory(), ForecastQuery(), ForecastRead()
quota_create, quota_update = QuotaCreate(), QuotaUpdate()
quota_read, quota_query = QuotaRead(), QuotaQuery()


# --- Leads: capture, assignment, scoring, CSV import, conversion ----------------------------

LEAD_STATUSES = ("new", "contacted", "qualified", "unqualified", "converted")
OPEN_STATUSES = LEAD_STATUSES[:-1]  # `converted` is set by converting, never written
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+")  # as accounts'
SCORED_FIELDS = ("title", "company", "company_size", "country", "region", "source", "campaign")
SCORE_OPERATORS = ("equals", "contains")
ENGAGEMENT_TYPES = ("email_opened", "email_clicked", "form_submitted", "meeting_held")
CONDITION_FIELDS = ("country", "region", "source")


def open_status(value: str) -> None:
    if value == "converted":
        raise ValidationError("A lead becomes converted by POST /leads/{id}/convert.")
    if value not in OPEN_STATUSES:
        raise ValidationError(f"Must be one of: {', '.join(OPEN_STATUSES)}.")


class LeadUpdate(Trimmed):
    first_name = optional_text(100)
    last_name = optional_text(100)
    company = optional_text(255)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=50),
            validate.Regexp(r"(?:\D*\d){3}", error="Not a phone number: it needs digits."),
        ],
    )
    title = optional_text(200)
    country = Country(allow_none=True)
    region = optional_text(100)
    company_size = fields.String(
        allow_none=True,
        validate=validate.OneOf(COMPANY_SIZES),
        metadata={"description": "Employees, as accounts count them."},
    )
    source = optional_text(50, metadata={"description": "Where it came from: web, expo, ..."})
    campaign = optional_text(100)
    status = fields.String(validate=open_status, metadata={"enum": list(OPEN_STATUSES)})
    owner_id = fields.UUID(
        allow_none=True, metadata={"description": "The sales user; set by the rules if absent."}
    )


class LeadCreate(LeadUpdate):
    @validates_schema
    def has_a_name(self, data: dict, **kwargs) -> None:
        if not (data.get("first_name") or data.get("last_name")):
            message = "A lead needs a first name or a last name."
            raise ValidationError({"first_name": [message], "last_name": [message]})


class ScoreReason(Schema):
    rule_id = fields.UUID()
    rule = fields.String(metadata={"description": "The scoring rule's name."})
    points = fields.Integer()


class LeadRead(Schema):
    id = fields.UUID()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    company_size = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    campaign = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(LEAD_STATUSES)})
    score = fields.Integer(metadata={"description": "Computed by the scoring rules; read-only."})
    score_reasons = fields.List(fields.Nested(ScoreReason))
    owner_id = fields.UUID(allow_none=True)
    converted_at = fields.DateTime(allow_none=True)
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Set by converting."})
    account_id = fields.UUID(allow_none=True, metadata={"description": "Set by converting."})
    opportunity_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class LeadQuery(PageQuery):
    sort = sort_by("created_at", "updated_at", "score")
    status = fields.String(validate=validate.OneOf(LEAD_STATUSES))
    owner_id = fields.UUID()
    source = fields.String(validate=validate.Length(max=50))
    campaign = fields.String(validate=validate.Length(max=100))
    country = Country()
    score_min = fields.Integer(metadata={"description": "Score at least this."})


class LeadAssignment(Schema):
    owner_id = fields.UUID(metadata={"description": "Give the lead to this user."})
    team_id = fields.UUID(metadata={"description": "Give it to this team's next member."})

    @validates_schema
    def names_one(self, data: dict, **kwargs) -> None:
        if ("owner_id" in data) == ("team_id" in data):
            raise ValidationError({"owner_id": ["Give `owner_id` or `team_id`, one of them."]})


class ConvertedOpportunity(Trimmed):
    name = optional_text(255, metadata={"description": "The company's name by default."})
    amount = Money(required=True)
    currency = Currency(required=True)
    expected_close_date = fields.Date(allow_none=True)
    stage_id = fields.UUID(
        allow_none=True, metadata={"description": "The default pipeline's first stage if absent."}
    )


class LeadConversion(Schema):
    create_opportunity = fields.Boolean(
        metadata={"description": "Also create an opportunity; true when `opportunity` is sent."}
    )
    opportunity = fields.Nested(ConvertedOpportunity)

    @validates_schema
    def opportunity_when_asked(self, data: dict, **kwargs) -> None:
        wanted = data.get("create_opportunity", "opportunity" in data)
        if wanted and "opportunity" not in data:
            raise ValidationError({"opportunity": ["Give the opportunity's amount and currency."]})
        if not wanted and "opportunity" in data:
            raise ValidationError({"create_opportunity": ["False, yet an opportunity is given."]})


class LeadConverted(Schema):
    contact_id = fields.UUID()
    account_id = fields.UUID()
    opportunity_id = fields.UUID(allow_none=True)


class LeadImportOptions(Schema):
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Check every row, create nothing."}
    )


class Rejection(Schema):
    line = fields.Integer(metadata={"description": "Where the row starts in the file."})
    reason = fields.String()


class LeadImportResult(Schema):
    created = fields.Integer(metadata={"description": "Leads created (with dry_run: would be)."})
    rejected = fields.List(fields.Nested(Rejection))
    ignored_columns = fields.List(
        fields.String(), metadata={"description": "Header columns that fill no lead field."}
    )
    dry_run = fields.Boolean()


def condition_values(field: fields.Field) -> fields.List:
    return fields.List(field, validate=validate.Length(min=1, max=100))


class RuleConditions(Schema):
    """Every condition given must hold: the lead's value is one of the listed."""

    country = condition_values(Country())
    region = condition_values(fields.String(validate=validate.Length(min=1, max=100)))
    source = condition_values(fields.String(validate=validate.Length(min=1, max=50)))


class AssignmentRuleUpdate(Trimmed):
    name = fields.String(validate=validate.Length(min=1, max=100))
    position = fields.Integer(
        validate=validate.Range(0, 100_000), metadata={"description": "Lower goes first."}
    )
    conditions = fields.Nested(
        RuleConditions, metadata={"description": 'E.g. `{"country": ["DE", "AT"]}`; {}: all.'}
    )
    team_id = fields.UUID(allow_none=True, metadata={"description": "Round robin in this team."})
    user_id = fields.UUID(allow_none=True, metadata={"description": "Or always this user."})
    active = fields.Boolean()


class AssignmentRuleCreate(AssignmentRuleUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    position = fields.Integer(load_default=0, validate=validate.Range(0, 100_000))
    conditions = fields.Nested(RuleConditions, load_default=dict)

    @validates_schema
    def one_target(self, data: dict, **kwargs) -> None:
        if bool(data.get("team_id")) == bool(data.get("user_id")):
            raise ValidationError({"team_id": ["Give `team_id` or `user_id`, one of them."]})


class AssignmentRuleRead(Stamped, Schema):
    id = fields.UUID()
    name = fields.String()
    position = fields.Integer()
    conditions = fields.Dict()
    team_id = fields.UUID(allow_none=True)
    user_id = fields.UUID(allow_none=True)
    active = fields.Boolean()


class ScoringRuleUpdate(Trimmed):
    name = fields.String(validate=validate.Length(min=1, max=100))
    points = fields.Integer(
        strict=True,
        validate=validate.Range(-1000, 1000),
        metadata={"description": "Negative to lower the score."},
    )
    field = fields.String(allow_none=True, validate=validate.OneOf(SCORED_FIELDS))
    operator = fields.String(allow_none=True, validate=validate.OneOf(SCORE_OPERATORS))
    value = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    event_type = fields.String(allow_none=True, validate=validate.OneOf(ENGAGEMENT_TYPES))
    half_life_days = fields.Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(1, 3650),
        metadata={"description": "An engagement's points halve every so many days."},
    )
    active = fields.Boolean()


class ScoringRuleCreate(ScoringRuleUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    points = fields.Integer(required=True, strict=True, validate=validate.Range(-1000, 1000))

    @validates_schema
    def one_kind(self, data: dict, **kwargs) -> None:
        errors = scoring_rule_errors(data)
        if errors:
            raise ValidationError(errors)


def scoring_rule_errors(rule: dict) -> dict:
    """A rule scores an attribute (`field`, `operator`, `value`) or an engagement
    (`event_type`, optionally `half_life_days`), never both: the problems, by field."""
    attribute = ("field", "operator", "value")
    if rule.get("event_type"):
        message = "Not for an engagement rule (it has an `event_type`)."
        return {name: [message] for name in attribute if rule.get(name)}
    if not any(rule.get(name) for name in attribute):
        message = "Give `field`, `operator` and `value`, or an `event_type`."
        return {name: [message] for name in (*attribute, "event_type")}
    errors = {name: ["Required by an attribute rule."] for name in attribute if not rule.get(name)}
    if rule.get("half_life_days"):
        errors["half_life_days"] = ["Only engagement rules decay."]
    return errors


class ScoringRuleRead(Stamped, Schema):
    id = fields.UUID()
    name = fields.String()
    points = fields.Integer()
    field = fields.String(allow_none=True)
    operator = fields.String(allow_none=True)
    value = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    half_life_days = fields.Integer(allow_none=True)
    active = fields.Boolean()


class RuleQuery(Schema):
    """Rules are few: the list answers all of them, in the order they apply."""

    active = fields.Boolean()


# Built once and shared: a marshmallow schema copies its declared fields each time one is made.
lead_create, lead_update, lead_read, lead_query = (
    LeadCreate(),
    LeadUpdate(),
    LeadRead(),
    LeadQuery(),
)
lead_assignment, lead_conversion, lead_converted = (
    LeadAssignment(),
    LeadConversion(),
    LeadConverted(),
)
lead_import_options, lead_import_result = LeadImportOptions(), LeadImportResult()
assignment_rule_create, assignment_rule_update, assignment_rule_read = (
    AssignmentRuleCreate(),
    AssignmentRuleUpdate(),
    AssignmentRuleRead(),
)
scoring_rule_create, scoring_rule_update, scoring_rule_read = (
    ScoringRuleCreate(),
    ScoringRuleUpdate(),
    ScoringRuleRead(),
)
rule_query = RuleQuery()


# --- Commerce: price books, products, quotes, orders, payments, activities -------------------

QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")
ORDER_STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled")
PAYMENT_STATUSES = ("unpaid", "partially_paid", "paid")
ACTIVITY_TYPES = ("call", "email", "meeting", "task")
ACTIVITY_LINKS = ("lead_id", "contact_id", "account_id", "opportunity_id")

TOTALS_RULE = (
    "Totals are computed by the server in decimal arithmetic, each rounding half up "
    "(ROUND_HALF_UP) to cents. Per line: gross = quantity * unit_price, rounded; `line_total` "
    "= quantity * unit_price * (1 - discount_percent / 100), rounded. Per document: "
    "`subtotal` = the sum of the lines' gross (before discounts); `discount_total` = subtotal "
    "- the sum of line_total; `tax_total` = (the sum of line_total) * tax_rate / 100, rounded "
    "once, on the discounted net; `total` = the sum of line_total + tax_total. So subtotal - "
    "discount_total + tax_total = total, to the cent. Three lines of 0.333 at 1.00 are 0.33 "
    "each, 0.99 in all; 1 at 0.60 with 12.5% off is 0.53 (0.525 rounded half up)."
)


class Number(fields.Decimal):
    """A decimal as a string without trailing zeros ("3", "0.333", "12.5"), never a float on
    the way out; at most `places` decimal places on the way in."""

    def __init__(self, places: int, **kwargs):
        self.max_places = places
        super().__init__(as_string=True, **kwargs)
        self.metadata = {
            **decimal_string(places, self.validators),
            "example": "12.5",
            **self.metadata,
        }

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if more_places_than(number, self.max_places):
            raise ValidationError(f"At most {self.max_places} decimal places.")
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(Decimal(value).normalize(), "f")


def percentage(**kwargs) -> Number:
    return Number(places=kwargs.pop("places", 2), validate=validate.Range(0, 100), **kwargs)


class Sku(fields.String):
    """A stock-keeping unit: surrounding spaces, as pasted from a spreadsheet, are dropped."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


# Read shapes list a record's own fields, then its totals, then its timestamps: marshmallow
# orders inherited fields base-first, so they compose as `Read(Stamped, Totals, Fields)`.


class PriceBookUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    is_default = fields.Boolean(
        metadata={"description": "`true` makes this the default book (the old one stops being)."}
    )
    active = fields.Boolean(metadata={"description": "Inactive books take no new quotes."})


class PriceBookCreate(PriceBookUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class PriceBookFields(Schema):
    id = fields.UUID()
    name = fields.String()
    is_default = fields.Boolean()
    active = fields.Boolean()


class PriceBookRead(Stamped, PriceBookFields):
    pass


class PriceBookQuery(PageQuery):
    sort = sort_by("created_at", "updated_at", "name")
    active = fields.Boolean()


class PriceIn(Schema):
    price_book_id = fields.UUID(metadata={"description": "Default: the default price book."})
    currency = Currency(required=True)
    unit_price = Money(required=True)


class PriceRead(Schema):
    price_book_id = fields.UUID()
    currency = fields.String()
    unit_price = Money()


class ProductUpdate(Schema):
    sku = Sku(validate=validate.Length(min=1, max=64), metadata={"description": "Unique."})
    name = fields.String(validate=validate.Length(min=1, max=255))
    description = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    active = fields.Boolean(metadata={"description": "Inactive products go on no new quote."})
    prices = fields.List(
        fields.Nested(PriceIn),
        validate=validate.Length(max=500),
        metadata={"description": "Replaces the product's prices: one per book and currency."},
    )


class ProductCreate(ProductUpdate):
    sku = Sku(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class ProductFields(Schema):
    id = fields.UUID()
    sku = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    active = fields.Boolean()
    prices = fields.List(fields.Nested(PriceRead))


class ProductRead(Stamped, ProductFields):
    pass


class ProductQuery(PageQuery):
    sort = sort_by("created_at", "updated_at", "sku", "name")
    active = fields.Boolean()
    price_book_id = fields.UUID(metadata={"description": "Has a price in this book."})
    currency = Currency(metadata={"description": "Has a price in this currency."})


class LineIn(Schema):
    product_id = fields.UUID(allow_none=True)
    description = fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Default: the product's name. Required without a product."},
    )
    quantity = Number(
        places=4, required=True, validate=validate.Range(0, min_inclusive=False, max=10**12)
    )
    unit_price = Money(
        metadata={"description": "Default: the product's price in the currency and price book."}
    )
    discount_percent = percentage(load_default=Decimal(0))


class LineRead(Schema):
    product_id = fields.UUID(allow_none=True)
    description = fields.String()
    quantity = Number(places=4)
    unit_price = Money()
    discount_percent = Number(places=2)
    line_total = Money()


def line_list(**kwargs) -> fields.List:
    return fields.List(
        fields.Nested(LineIn),
        validate=validate.Length(min=1, max=500, error="At least one line, at most 500."),
        metadata={"description": "The items, in order. " + TOTALS_RULE},
        **kwargs,
    )


class Totals(Schema):
    tax_rate = Number(places=4)
    subtotal = Money(metadata={"description": TOTALS_RULE})
    discount_total = Money()
    tax_total = Money()
    total = Money()


class QuoteUpdate(Schema):
    account_id = fields.UUID(metadata={"description": "Must exist (customers)."})
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    opportunity_id = fields.UUID(allow_none=True, metadata={"description": "Of the account."})
    price_book_id = fields.UUID(metadata={"description": "Default: the default price book."})
    currency = Currency()
    valid_until = fields.Date(
        allow_none=True,
        metadata={"description": "Last day (UTC) it can be accepted. Default: in 30 days."},
    )
    tax_rate = percentage(places=4, metadata={"description": "Percent, on the discounted net."})
    notes = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    owner_id = fields.UUID(allow_none=True, metadata={"description": "Default: the caller."})
    lines = line_list()


class QuoteCreate(QuoteUpdate):
    account_id = fields.UUID(required=True, metadata={"description": "Must exist (customers)."})
    currency = Currency(required=True)
    lines = line_list(required=True)


class QuoteFields(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "Kept by every revision."})
    revision = fields.Integer()
    previous_id = fields.UUID(allow_none=True, metadata={"description": "The revision before."})
    superseded_by_id = fields.UUID(
        allow_none=True, metadata={"description": "The next revision: this one is read-only."}
    )
    status = fields.String(
        attribute="current_status", metadata={"description": ", ".join(QUOTE_STATUSES)}
    )
    account_id = fields.UUID()
    contact_id = fields.UUID(allow_none=True)
    opportunity_id = fields.UUID(allow_none=True)
    price_book_id = fields.UUID()
    currency = fields.String()
    valid_until = fields.Date(allow_none=True)
    notes = fields.String(allow_none=True)
    owner_id = fields.UUID(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(LineRead))


class QuoteRead(Stamped, Totals, QuoteFields):
    pass


class QuoteQuery(PageQuery):
    sort = sort_by("created_at", "updated_at", "number")
    account_id = fields.UUID()
    contact_id = fields.UUID()
    opportunity_id = fields.UUID()
    owner_id = fields.UUID()
    number = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(QUOTE_STATUSES))
    current = fields.Boolean(metadata={"description": "`true`: only the latest revisions."})


class OrderUpdate(Schema):
    status = fields.String(
        validate=validate.OneOf(ORDER_STATUSES),
        metadata={"description": "Moves the order, as `POST /orders/{id}/transition` does."},
    )
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    owner_id = fields.UUID(allow_none=True)


class OrderCreate(Schema):
    external_id = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "The order's id in the shop or ERP that sends it: sending it again "
            "answers 200 with the order placed the first time, creating nothing; with another "
            "body, 409."
        },
    )
    account_id = fields.UUID(required=True, metadata={"description": "Must exist (customers)."})
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    opportunity_id = fields.UUID(allow_none=True, metadata={"description": "Of the account."})
    price_book_id = fields.UUID(
        metadata={"description": "Where lines without a unit_price find one. Default: default."}
    )
    currency = Currency(required=True)
    tax_rate = percentage(places=4, load_default=Decimal(0))
    owner_id = fields.UUID(allow_none=True, metadata={"description": "Default: the caller."})
    lines = line_list(required=True)


class PaymentRead(Schema):
    id = fields.Integer()
    amount = Money()
    reference = fields.String(allow_none=True)
    paid_at = fields.DateTime()


class OrderFields(Schema):
    id = fields.UUID()
    number = fields.String()
    external_id = fields.String(allow_none=True)
    quote_id = fields.UUID(allow_none=True, metadata={"description": "The accepted quote."})
    opportunity_id = fields.UUID(allow_none=True)
    account_id = fields.UUID()
    contact_id = fields.UUID(allow_none=True)
    currency = fields.String()
    status = fields.String(metadata={"description": ", ".join(ORDER_STATUSES)})
    next_statuses = fields.List(
        fields.String(), metadata={"description": "Where the order may move from here."}
    )
    payment_status = fields.String(metadata={"description": ", ".join(PAYMENT_STATUSES)})
    paid_amount = Money()
    amount_due = Money()
    owner_id = fields.UUID(allow_none=True)
    lines = fields.List(fields.Nested(LineRead))
    payments = fields.List(fields.Nested(PaymentRead))


class OrderRead(Stamped, Totals, OrderFields):
    pass


class OrderQuery(PageQuery):
    sort = sort_by("created_at", "updated_at", "number")
    account_id = fields.UUID()
    contact_id = fields.UUID()
    opportunity_id = fields.UUID()
    quote_id = fields.UUID()
    owner_id = fields.UUID()
    external_id = fields.String(validate=validate.Length(max=100))
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    payment_status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))


class QuoteAcceptance(Schema):
    mark_opportunity_won = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Move the quote's opportunity, if still open, to its pipeline's won "
            "stage (`opportunity_won`). A lost one is a 422 naming this field unless it is false."
        },
    )


class OrderTransition(Schema):
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))


class PaymentCreate(Schema):
    amount = Money(
        required=True,
        validate=validate.Range(0, min_inclusive=False),
        metadata={"description": "More than zero, at most what is due."},
    )
    reference = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The payment provider's id: the same one twice is one payment."},
    )
    paid_at = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Default: now. Not in the future."}
    )


class PaymentReceipt(PaymentRead):
    order_id = fields.UUID()
    currency = fields.String()
    payment_status = fields.String(metadata={"description": "The order's, after this payment."})
    paid_amount = Money()
    amount_due = Money()


class ActivityUpdate(Schema):
    type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    subject = fields.String(validate=validate.Length(min=1, max=255))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    due_at = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    completed_at = fields.AwareDateTime(
        default_timezone=UTC, allow_none=True, metadata={"description": "null reopens it."}
    )
    assignee_id = fields.UUID(allow_none=True, metadata={"description": "Default: the caller."})
    lead_id = fields.UUID(allow_none=True)
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    account_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    opportunity_id = fields.UUID(allow_none=True)


class ActivityCreate(ActivityUpdate):
    type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=255))

    @validates_schema
    def linked_to_something(self, data: dict, **kwargs) -> None:
        if not any(data.get(link) for link in ACTIVITY_LINKS):
            message = "Link the activity to a lead, contact, account or opportunity."
            raise ValidationError({link: [message] for link in ACTIVITY_LINKS})


class ActivityFields(Schema):
    id = fields.UUID()
    type = fields.String()
    subject = fields.String()
    notes = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "Open and past its due time."})
    assignee_id = fields.UUID(allow_none=True)
    lead_id = fields.UUID(allow_none=True)
    contact_id = fields.UUID(allow_none=True)
    account_id = fields.UUID(allow_none=True)
    opportunity_id = fields.UUID(allow_none=True)
    reminded_at = fields.DateTime(
        allow_none=True, metadata={"description": "When `activity_due` was published for it."}
    )


class ActivityRead(Stamped, ActivityFields):
    pass


class ActivityQuery(PageQuery):
    sort = sort_by("due_at", "created_at", "updated_at")
    type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    mine = fields.Boolean(
        metadata={"description": "`true`: assigned to the caller; `false`: to anyone else."}
    )
    open = fields.Boolean(metadata={"description": "`true`: not completed; `false`: completed."})
    overdue = fields.Boolean(
        metadata={"description": "`true`: open and past due; `false`: done, or not yet due."}
    )
    assignee_id = fields.UUID()
    lead_id = fields.UUID()
    contact_id = fields.UUID()
    account_id = fields.UUID()
    opportunity_id = fields.UUID()
    due_after = fields.AwareDateTime(default_timezone=UTC)
    due_before = fields.AwareDateTime(default_timezone=UTC)


class ActivityComplete(Schema):
    completed_at = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Default: now."}
    )


# Built once and shared: a marshmallow schema copies its declared fields each time one is made.
price_book_create, price_book_update = PriceBookCreate(), PriceBookUpdate()
price_book_read, price_book_query = PriceBookRead(), PriceBookQuery()
product_create, product_update = ProductCreate(), ProductUpdate()
product_read, product_query = ProductRead(), ProductQuery()
quote_create, quote_update, quote_read, quote_query = (
    QuoteCreate(),
    QuoteUpdate(),
    QuoteRead(),
    QuoteQuery(),
)
quote_acceptance = QuoteAcceptance()
order_create, order_update, order_read, order_query = (
    OrderCreate(),
    OrderUpdate(),
    OrderRead(),
    OrderQuery(),
)
order_transition, payment_create, payment_receipt = (
    OrderTransition(),
    PaymentCreate(),
    PaymentReceipt(),
)
activity_create, activity_update, activity_read, activity_query = (
    ActivityCreate(),
    ActivityUpdate(),
    ActivityRead(),
    ActivityQuery(),
)
activity_complete = ActivityComplete()


# --- The declared resources: routes, RPCs, OpenAPI operations and contract tests come from these

AREAS = {
    "leads": "Leads: capture, CSV import, assignment (teams and rules), scoring, conversion.",
    "sales_pipeline": "Pipelines and their stages, opportunities, the forecast, and quotas.",
    "commerce": "Price books, products, quotes, orders and payments, and activities (calls, "
    "emails, meetings, tasks). " + TOTALS_RULE,
}

LEADS = Resource(
    service="sales",
    name="lead",
    path="/leads",
    area="leads",
    create=LeadCreate,
    update=LeadUpdate,
    read=LeadRead,
    query=LeadQuery,
    users_named=("owner_id",),
    owner_field="owner_id",
    owned_by_creator=False,  # the assignment rules give it an owner
)
ASSIGNMENT_RULES = Resource(
    service="sales",
    name="assignment_rule",
    path="/assignment-rules",
    area="leads",
    create=AssignmentRuleCreate,
    update=AssignmentRuleUpdate,
    read=AssignmentRuleRead,
    query=RuleQuery,
    write_roles=ADMINS,
    users_named=("user_id",),
)
SCORING_RULES = Resource(
    service="sales",
    name="scoring_rule",
    path="/scoring-rules",
    area="leads",
    create=ScoringRuleCreate,
    update=ScoringRuleUpdate,
    read=ScoringRuleRead,
    query=RuleQuery,
    write_roles=ADMINS,
)
PIPELINES = Resource(
    service="sales",
    name="pipeline",
    path="/pipelines",
    area="sales_pipeline",
    create=PipelineCreate,
    update=PipelineUpdate,
    read=PipelineRead,
    query=PipelineQuery,
    write_roles=ADMINS,
)
OPPORTUNITIES = Resource(
    service="sales",
    name="opportunity",
    path="/opportunities",
    area="sales_pipeline",
    create=OpportunityCreate,
    update=OpportunityUpdate,
    read=OpportunityRead,
    query=OpportunityQuery,
    users_named=("owner_id",),
    owner_field="owner_id",
)
QUOTAS = Resource(
    service="sales",
    name="quota",
    path="/quotas",
    area="sales_pipeline",
    create=QuotaCreate,
    update=QuotaUpdate,
    read=QuotaRead,
    query=QuotaQuery,
    write_roles=MANAGERS,
    users_named=("user_id",),
)
PRICE_BOOKS = Resource(
    service="sales",
    name="price_book",
    path="/price-books",
    area="commerce",
    create=PriceBookCreate,
    update=PriceBookUpdate,
    read=PriceBookRead,
    query=PriceBookQuery,
    write_roles=ADMINS,
)
PRODUCTS = Resource(
    service="sales",
    name="product",
    path="/products",
    area="commerce",
    create=ProductCreate,
    update=ProductUpdate,
    read=ProductRead,
    query=ProductQuery,
)
QUOTES = Resource(
    service="sales",
    name="quote",
    path="/quotes",
    area="commerce",
    create=QuoteCreate,
    update=QuoteUpdate,
    read=QuoteRead,
    query=QuoteQuery,
    users_named=("owner_id",),
    owner_field="owner_id",
)
ORDERS = Resource(
    service="sales",
    name="order",
    path="/orders",
    area="commerce",
    create=OrderCreate,
    update=OrderUpdate,
    read=OrderRead,
    query=OrderQuery,
    users_named=("owner_id",),
    finds_existing=True,
    owner_field="owner_id",
)
ACTIVITIES = Resource(
    service="sales",
    name="activity",
    path="/activities",
    area="commerce",
    create=ActivityCreate,
    update=ActivityUpdate,
    read=ActivityRead,
    query=ActivityQuery,
    users_named=("assignee_id",),
    owner_field="assignee_id",
)
