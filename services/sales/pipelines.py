"""Pipelines: ordered stages, each with a win probability; one won and one lost stage each.

Exactly one pipeline is the default. The standard one is seeded the first time any pipeline is
needed, with fixed ids and an insert that skips existing rows, so instances that start at once
cannot make two (and a database emptied by tests gets it back).
"""

import uuid

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.sales import pipeline_read
from infra import records
from infra.context import Actor
from infra.db import insert_or_ignore, utcnow
from infra.errors import Conflict
from services.sales.events import publish
from services.sales.models import Opportunity, Pipeline, Stage

SORTABLE = {"created_at": Pipeline.created_at, "name": func.lower(Pipeline.name)}

STANDARD_ID = uuid.UUID("5a1e5000-0000-4000-8000-000000000000")
STANDARD_NAME = "Sales pipeline"
STANDARD_STAGES = (  # name, probability, outcome
    ("Qualification", 10, "open"),
    ("Needs analysis", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
)


def default(session: Session) -> Pipeline:
    pipeline = session.scalar(select(Pipeline).where(Pipeline.is_default))
    if pipeline is None:
        seed_standard(session)
        pipeline = session.scalar(select(Pipeline).where(Pipeline.is_default))
    return pipeline


def seed_standard(session: Session) -> None:
    now = utcnow()
    inserted = session.execute(
        insert_or_ignore(session, Pipeline).values(
            id=STANDARD_ID,
            name=STANDARD_NAME,
            is_default=True,
            created_at=now,
            updated_at=now,
            version=1,
        )
    ).rowcount
    if not inserted:  # another instance did, or an admin's pipeline is the default already
        return
    session.execute(
        insert_or_ignore(session, Stage),
        [
            {
                "id": uuid.UUID(int=STANDARD_ID.int + position + 1),
                "pipeline_id": STANDARD_ID,
                "name": name,
                "position": position,
                "probability": probability,
                "outcome": outcome,
            }
            for position, (name, probability, outcome) in enumerate(STANDARD_STAGES)
        ],
    )
    publish(
        session,
        "pipeline_created",
        pipeline_read.dump(get(session=session, record_id=STANDARD_ID)),
        Actor(),
    )


def get(*, session: Session, record_id) -> Pipeline:
    return records.get(session, Pipeline, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Pipeline], str | None]:
    default(session)
    query = select(Pipeline)
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(func.lower(Pipeline.name).like(pattern, escape="\\"))
    return records.list_page(session, query, Pipeline, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> Pipeline:
    current_default = default(session)
    check_name_free(session, data["name"])
    if data.get("is_default"):
        step_down(session, current_default, actor)
    pipeline = Pipeline(name=data["name"], is_default=bool(data.get("is_default")))
    pipeline.stages = [placed(Stage(id=uuid.uuid4()), i, s) for i, s in enumerate(data["stages"])]
    session.add(pipeline)
    flush(session, pipeline)
    publish(session, "pipeline_created", pipeline_read.dump(pipeline), actor)
    return pipeline


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Pipeline:
    pipeline = get(session=session, record_id=record_id)
    changes = dict(changes)
    records.require(
        changes.get("is_default") is not False or not pipeline.is_default,
        "is_default",
        "There is always a default pipeline: make another one the default instead.",
    )
    if changes.get("name", pipeline.name) != pipeline.name:
        check_name_free(session, changes["name"])
    stages = changes.pop("stages", None)
    if stages is not None:
        check_stage_changes(session, pipeline, stages)
    if changes.get("is_default") and not pipeline.is_default:
        step_down(session, default(session), actor)
    diff = records.apply_changes(pipeline, changes, {})
    if stages is not None:
        diff.update(replace_stages(pipeline, stages))
    if diff:
        flush(session, pipeline)
        publish_update(session, pipeline, diff, actor)
    return pipeline


def delete(*, session: Session, record_id, actor: Actor) -> None:
    pipeline = get(session=session, record_id=record_id)
    if pipeline.is_default:
        raise Conflict("The default pipeline cannot be deleted: make another one the default.")
    if session.scalar(select(exists().where(Opportunity.pipeline_id == pipeline.id))):
        raise Conflict("The pipeline has opportunities: move them to another pipeline first.")
    session.delete(pipeline)
    records.flush(session, pipeline)
    publish(session, "pipeline_deleted", {"id": str(pipeline.id)}, actor)


def placed(stage: Stage, position: int, data: dict) -> Stage:
    stage.name, stage.position = data["name"], position
    stage.probability, stage.outcome = data["probability"], data["outcome"]
    return stage


def check_stage_changes(session: Session, pipeline: Pipeline, wanted: list[dict]) -> None:
    """Listed ids are this pipeline's; a stage with opportunities in it is neither deleted nor
    given another outcome (their status would no longer match it)."""
    current = {stage.id: stage for stage in pipeline.stages}
    unknown = [str(s["id"]) for s in wanted if "id" in s and s["id"] not in current]
    records.require(not unknown, "stages", f"Not stages of this pipeline: {', '.join(unknown)}.")
    kept = {stage["id"]: stage for stage in wanted if "id" in stage}
    for stage in current.values():
        target = kept.get(stage.id)
        if target is None or target["outcome"] != stage.outcome:
            check_unused(session, stage, "deleted" if target is None else "given another outcome")


def replace_stages(pipeline: Pipeline, wanted: list[dict]) -> dict:
    """Make the pipeline's stages `wanted`, in that order (checked first); returns the change
    as `{"stages": [old, new]}`, or nothing."""
    before = stage_list(pipeline)
    current = {stage.id: stage for stage in pipeline.stages}
    pipeline.stages = [
        placed(current.get(data.get("id")) or Stage(id=uuid.uuid4()), position, data)
        for position, data in enumerate(wanted)
    ]
    after = stage_list(pipeline)
    if after == before:
        return {}
    pipeline.updated_at = utcnow()  # a new version of the pipeline
    return {"stages": [before, after]}


def stage_list(pipeline: Pipeline) -> list[dict]:
    return [
        {
            "id": str(stage.id),
            "name": stage.name,
            "probability": stage.probability,
            "outcome": stage.outcome,
        }
        for stage in pipeline.stages
    ]


def check_unused(session: Session, stage: Stage, what: str) -> None:
    if session.scalar(select(exists().where(Opportunity.stage_id == stage.id))):
        raise Conflict(
            f"The stage {stage.name!r} has opportunities: it cannot be {what} until they move.",
            {"stages": [f"Stage {stage.id} is in use."]},
        )


def check_name_free(session: Session, name: str) -> None:
    if session.scalar(select(exists().where(func.lower(Pipeline.name) == name.lower()))):
        raise Conflict(f"A pipeline called {name!r} exists.", {"name": ["Taken."]})


def step_down(session: Session, pipeline: Pipeline, actor: Actor) -> None:
    """The current default stops being it, written first: one default at a time, always."""
    diff = records.apply_changes(pipeline, {"is_default": False}, {})
    flush(session, pipeline)
    publish_update(session, pipeline, diff, actor)


def publish_update(session: Session, pipeline: Pipeline, diff: dict, actor: Actor) -> None:
    publish(session, "pipeline_updated", {**pipeline_read.dump(pipeline), "changes": diff}, actor)


def flush(session: Session, pipeline: Pipeline) -> None:
    """Write; a concurrent admin who made another default or took the name first is a 409."""
    try:
        records.flush(session, pipeline)
    except IntegrityError:
        raise Conflict(
            "Another pipeline took this name or became the default meanwhile: try again."
        ) from None
