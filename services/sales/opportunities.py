"""Opportunities: deals with an account, an amount in a currency, a stage of a pipeline (whose
win probability they take unless overridden) and a forecast category. Every stage change is
kept; moving to the won or lost stage closes the opportunity.

Accounts and contacts live in the customers service. `create` and `update` take its RPC proxy
as `customers` (a domain function has no nameko dependencies of its own) and check there that
the account and the primary contact named exist, before writing anything.
"""

import operator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from contracts.sales import opportunity_read
from infra import records
from infra.context import Actor
from infra.db import utcnow
from infra.errors import ValidationFailed
from services.sales import links, periods, pipelines
from services.sales.events import publish
from services.sales.models import Opportunity, Pipeline, Stage, StageChange

SORTABLE = {
    "created_at": Opportunity.created_at,
    "updated_at": Opportunity.updated_at,
    "amount": Opportunity.amount,
    "expected_close_date": Opportunity.expected_close_date,
}
FILTERS = (
    ("created_after", Opportunity.created_at, operator.ge),
    ("created_before", Opportunity.created_at, operator.lt),
    ("updated_after", Opportunity.updated_at, operator.ge),
    ("updated_before", Opportunity.updated_at, operator.lt),
    ("close_after", Opportunity.expected_close_date, operator.ge),
    ("close_before", Opportunity.expected_close_date, operator.lt),
    ("amount_min", Opportunity.amount, operator.ge),
    ("amount_max", Opportunity.amount, operator.le),
    *(
        (field, getattr(Opportunity, field), operator.eq)
        for field in (
            "owner_id",
            "account_id",
            "primary_contact_id",
            "pipeline_id",
            "stage_id",
            "status",
            "forecast_category",
            "lead_id",
        )
    ),
)
# Where the customers service keeps what an opportunity names, and the RPC that reads one.
CUSTOMER_RECORDS = (
    ("account_id", "account", "get_account"),
    ("primary_contact_id", "contact", "get_contact"),
)


def get(*, session: Session, record_id) -> Opportunity:
    return records.get(session, Opportunity, record_id)


def selected(params: dict) -> Select:
    query = select(Opportunity)
    for param, column, compare in FILTERS:
        if param in params:
            query = query.where(compare(column, params[param]))
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(func.lower(Opportunity.name).like(pattern, escape="\\"))
    return query


def get_all(
    *, session: Session, params: dict, actor: Actor
) -> tuple[list[Opportunity], str | None]:
    return records.list_page(session, selected(params), Opportunity, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor, customers) -> Opportunity:
    """A new opportunity, its first stage change (from none) and its events.

    `data` as `schemas.opportunity_create` loads it, `lead_id` naming the lead it was converted
    from, if any. `customers` is the customers service's RPC proxy (`self.customers` in a sales
    service method): the account and the primary contact must exist there, else a 422 naming
    `account_id` or `primary_contact_id`, and nothing is written. Defaults: the default
    pipeline's first open stage, the stage's probability and forecast category, the end of the
    current quarter as expected close date, the actor as owner."""
    data = dict(data)
    stage = initial_stage(session, data.pop("pipeline_id", None), data.pop("stage_id", None))
    override = data.pop("probability", None)
    data.setdefault("forecast_category", default_category(stage))
    data.setdefault("expected_close_date", periods.bounds(periods.quarter_of(utcnow().date()))[1])
    data.setdefault("owner_id", actor.user_uuid)
    data.update(entering(None, stage))
    check_closing(stage, data.get("lost_reason"), override)
    check_customers(customers, data)
    opportunity = Opportunity(**data, probability_override=override, pipeline_id=stage.pipeline_id)
    opportunity.stage = stage
    session.add(opportunity)
    session.flush()
    publish(session, "opportunity_created", opportunity_read.dump(opportunity), actor)
    keep_stage_change(session, opportunity, None, actor)
    if opportunity.status != "open":
        publish_closed(session, opportunity, actor)
    return opportunity


def update(
    *,
    session: Session,
    record_id,
    changes: dict,
    actor: Actor,
    customers,
) -> Opportunity:
    """Change fields; a new `stage_id` (and `pipeline_id` with it) is a stage change, kept
    and published. `customers` as for `create`: an account or contact named anew must exist."""
    opportunity = get(session=session, record_id=record_id)
    changes = dict(changes)
    stage = moved_to(
        session, opportunity, changes.pop("pipeline_id", None), changes.pop("stage_id", None)
    )
    if "probability" in changes:
        changes["probability_override"] = changes.pop("probability")
    if stage is not None:
        changes.setdefault("forecast_category", default_category(stage))
        changes.update(stage_id=stage.id, pipeline_id=stage.pipeline_id)
        changes.update(entering(opportunity, stage))
        if stage.outcome != "open":
            changes.setdefault("probability_override", None)
    check_closing(
        stage or opportunity.stage,
        changes.get("lost_reason", opportunity.lost_reason),
        changes.get("probability_override", opportunity.probability_override),
    )
    named_anew = {
        field: changes[field]
        for field, *_ in CUSTOMER_RECORDS
        if changes.get(field, getattr(opportunity, field)) != getattr(opportunity, field)
    }
    check_customers(customers, named_anew)
    from_stage_id = opportunity.stage_id
    diff = records.apply_changes(opportunity, changes, {})
    if not diff:
        return opportunity
    if stage is not None:
        opportunity.stage = stage
    records.flush(session, opportunity)
    data = {**opportunity_read.dump(opportunity), "changes": diff}
    publish(session, "opportunity_updated", data, actor)
    if stage is not None:
        keep_stage_change(session, opportunity, from_stage_id, actor)
        moved = {**data, "from_stage_id": str(from_stage_id), "to_stage_id": str(stage.id)}
        publish(session, "opportunity_stage_changed", moved, actor)
    if "status" in diff and opportunity.status != "open":
        publish_closed(session, opportunity, actor)
    return opportunity


def win(session: Session, opportunity: Opportunity, actor: Actor) -> None:
    """Move the opportunity to its pipeline's won stage, as a PATCH naming that stage does."""
    won = session.scalar(
        select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id, Stage.outcome == "won")
    )
    update(
        session=session,
        record_id=opportunity.id,
        changes={"stage_id": won.id},
        actor=actor,
        customers=None,  # names no account or contact anew: nothing to check there
    )


def delete(*, session: Session, record_id, actor: Actor) -> None:
    opportunity = get(session=session, record_id=record_id)
    data = {
        "id": str(opportunity.id),
        "account_id": str(opportunity.account_id),
        "primary_contact_id": records.plain(opportunity.primary_contact_id),
    }
    session.delete(opportunity)
    records.flush(session, opportunity)
    publish(session, "opportunity_deleted", data, actor)


def stage_history(*, session: Session, opportunity_id) -> list[dict]:
    """Every stage change of the opportunity, oldest first, with the stages' names."""
    opportunity = get(session=session, record_id=opportunity_id)
    source, target = aliased(Stage), aliased(Stage)
    rows = session.execute(
        select(StageChange, source.name, target.name)
        .outerjoin(source, source.id == StageChange.from_stage_id)
        .outerjoin(target, target.id == StageChange.to_stage_id)
        .where(StageChange.opportunity_id == opportunity.id)
        .order_by(StageChange.id)
    )
    return [
        {
            "from_stage_id": change.from_stage_id,
            "from_stage": from_name,
            "to_stage_id": change.to_stage_id,
            "to_stage": to_name,
            "changed_at": change.changed_at,
            "user_id": change.user_id,
        }
        for change, from_name, to_name in rows
    ]


def initial_stage(session: Session, pipeline_id, stage_id) -> Stage:
    if stage_id is not None:
        stage = session.get(Stage, stage_id)
        records.require(stage is not None, "stage_id", f"No stage with id {stage_id}.")
        records.require(
            pipeline_id in (None, stage.pipeline_id),
            "stage_id",
            "The stage belongs to another pipeline than `pipeline_id`.",
        )
        return stage
    pipeline = (
        pipelines.default(session) if pipeline_id is None else session.get(Pipeline, pipeline_id)
    )
    records.require(pipeline is not None, "pipeline_id", f"No pipeline with id {pipeline_id}.")
    return next(stage for stage in pipeline.stages if stage.outcome == "open")


def moved_to(session: Session, opportunity: Opportunity, pipeline_id, stage_id) -> Stage | None:
    """The stage the opportunity moves to, checked; None if it stays where it is."""
    pipeline_id = pipeline_id or opportunity.pipeline_id
    if stage_id is None:
        records.require(
            pipeline_id == opportunity.pipeline_id,
            "stage_id",
            "Moving to another pipeline needs a `stage_id` of that pipeline.",
        )
        return None
    stage = session.get(Stage, stage_id)
    records.require(stage is not None, "stage_id", f"No stage with id {stage_id}.")
    records.require(
        stage.pipeline_id == pipeline_id,
        "stage_id",
        "The stage belongs to another pipeline than the opportunity's.",
    )
    return None if stage.id == opportunity.stage_id else stage


def entering(opportunity: Opportunity | None, stage: Stage) -> dict:
    """The status entering `stage` gives, and when the opportunity closed (kept when it moves
    from one won, or lost, stage to another)."""
    if stage.outcome == "open":
        return {"status": "open", "closed_at": None}
    stays = opportunity is not None and opportunity.status == stage.outcome
    return {"status": stage.outcome, "closed_at": opportunity.closed_at if stays else utcnow()}


def default_category(stage: Stage) -> str:
    if stage.outcome == "lost":
        return "omitted"
    if stage.outcome == "won" or stage.probability >= 75:
        return "commit"
    return "best_case" if stage.probability >= 50 else "pipeline"


def check_closing(stage: Stage, lost_reason: str | None, override: int | None) -> None:
    """Losing needs a reason; a closed opportunity's probability is its stage's (100 or 0)."""
    records.require(
        stage.outcome != "lost" or bool(lost_reason and lost_reason.strip()),
        "lost_reason",
        "Say why the opportunity was lost.",
    )
    records.require(
        stage.outcome == "open" or override is None,
        "probability",
        "A won or lost opportunity's probability is its stage's: it cannot be overridden.",
    )


def check_customers(customers, ids: dict) -> None:
    """The accounts and contacts `ids` names exist in the customers service; a 422 naming each
    field whose record does not."""
    errors = {}
    for field, entity, method in CUSTOMER_RECORDS:
        if ids.get(field) is not None:
            try:
                links.customer_record(getattr(customers, method), ids[field], field, entity)
            except ValidationFailed as missing:
                errors.update(missing.errors)
    if errors:
        raise ValidationFailed("The opportunity names customers that do not exist.", errors)


def keep_stage_change(
    session: Session, opportunity: Opportunity, from_stage_id, actor: Actor
) -> None:
    session.add(
        StageChange(
            opportunity_id=opportunity.id,
            from_stage_id=from_stage_id,
            to_stage_id=opportunity.stage_id,
            changed_at=utcnow(),
            user_id=actor.user_uuid,
        )
    )


def publish_closed(session: Session, opportunity: Opportunity, actor: Actor) -> None:
    """`opportunity_won` or `opportunity_lost`."""
    publish(session, f"opportunity_{opportunity.status}", opportunity_read.dump(opportunity), actor)
