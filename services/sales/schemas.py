"""Wire shapes of the sales service. The gateway validates and documents HTTP requests with
these same schemas; the service validates again, as the owner of the data. Amounts are
decimal strings with an ISO currency (`infra.fields.Money`, `Currency`)."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from infra.fields import Currency, Money
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
