"""Wire shapes of the sales service. The gateway validates and documents HTTP requests with
these same schemas; the service validates again, as the owner of the data. Amounts are
decimal strings with an ISO currency (`infra.fields.Money`, `Currency`)."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from infra.fields import Country, Currency, Money, Trimmed
from infra.listing import PageQuery

# ---- Pipelines, opportunities, forecast and quotas ----

OUTCOMES = ("open", "won", "lost")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "omitted")
PERIOD = re.compile(r"^(?:19|2\d)\d\d-(?:0[1-9]|1[0-2]|Q[1-4])$")

percent = validate.Range(0, 100)


def optional_text(max_length: int, **kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


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
    """Exactly one won stage (100%), one lost stage (0%), at least one open; distinct names."""
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
    pass


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
    gap_to_quota = Money(allow_none=True, metadata={"description": "quota - closed_won."})
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
    user_id = fields.UUID()
    period = Period()


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
MAX_TEAM_MEMBERS = 200


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


class TeamUpdate(Trimmed):
    name = fields.String(validate=validate.Length(min=1, max=100))
    member_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(max=MAX_TEAM_MEMBERS),
        metadata={"description": "Sales users, in the order leads go round."},
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
    member_ids = fields.List(fields.UUID())
    created_at = fields.DateTime()


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


class AssignmentRuleRead(Schema):
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


class ScoringRuleRead(Schema):
    id = fields.UUID()
    name = fields.String()
    points = fields.Integer()
    field = fields.String(allow_none=True)
    operator = fields.String(allow_none=True)
    value = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    half_life_days = fields.Integer(allow_none=True)
    active = fields.Boolean()


class TeamQuery(Schema):
    """Teams are few: the list answers all of them."""


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
team_create, team_update, team_read, team_query = (
    TeamCreate(),
    TeamUpdate(),
    TeamRead(),
    TeamQuery(),
)
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
