"""Pipelines and their stages: the seeded standard pipeline, admins' edits, and the rules that
keep every opportunity's stage meaningful."""

import time
import uuid
from datetime import date

import eventlet
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from infra.db import engine_for
from infra.errors import Conflict, ValidationFailed
from infra.outbox import OutboxEvent
from infra.testing import empty_tables
from services.sales import pipelines
from services.sales.models import Opportunity, Pipeline

STAGES = [
    {"name": "Discovery", "probability": 20},
    {"name": "Trial", "probability": 60},
    {"name": "Won", "probability": 100, "outcome": "won"},
    {"name": "Lost", "probability": 0, "outcome": "lost"},
]


def events(session) -> list[dict]:
    return [e.envelope for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.sequence))]


def pipeline_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Pipeline))


def test_the_standard_pipeline_is_there_on_first_use_and_seeded_once(service, session):
    listed = service.list_pipelines({})["items"]
    pipelines.seed_standard(session)

    assert [p["name"] for p in listed] == ["Sales pipeline"]
    assert listed[0]["is_default"] is True
    stages = [(s["name"], s["probability"], s["outcome"]) for s in listed[0]["stages"]]
    assert stages == list(pipelines.STANDARD_STAGES)
    assert listed[0]["id"] == str(pipelines.STANDARD_ID)
    assert pipeline_count(session) == 1
    assert [e["type"] for e in events(session)] == ["pipeline_created"]


def test_a_new_default_pipeline_takes_over_from_the_old(service, session):
    standard = service.list_pipelines({})["items"][0]

    created = service.create_pipeline({"name": "Renewals", "is_default": True, "stages": STAGES})

    assert created["is_default"] and [s["position"] for s in created["stages"]] == [0, 1, 2, 3]
    assert service.get_pipeline(standard["id"])["is_default"] is False
    assert [e["type"] for e in events(session)][-2:] == ["pipeline_updated", "pipeline_created"]
    service.update_pipeline(standard["id"], {"is_default": True})
    assert service.get_pipeline(created["id"])["is_default"] is False


def test_admins_rename_reorder_reweight_add_and_remove_stages(service, session):
    pipeline = service.create_pipeline({"name": "Renewals", "stages": STAGES})
    discovery, trial, won, lost = pipeline["stages"]

    updated = service.update_pipeline(
        pipeline["id"],
        {
            "stages": [
                {"id": trial["id"], "name": "Pilot", "probability": 40},
                {"name": "Contract", "probability": 80},
                {"id": lost["id"], "name": "Lost", "probability": 0, "outcome": "lost"},
                {"id": won["id"], "name": "Won", "probability": 100, "outcome": "won"},
            ]
        },
        1,
    )

    assert [(s["name"], s["probability"]) for s in updated["stages"]] == [
        ("Pilot", 40),
        ("Contract", 80),
        ("Lost", 0),
        ("Won", 100),
    ]
    assert updated["stages"][0]["id"] == trial["id"] and updated["version"] == 2
    before, after = events(session)[-1]["data"]["changes"]["stages"]
    assert [s["name"] for s in before] == ["Discovery", "Trial", "Won", "Lost"]
    assert [s["name"] for s in after] == ["Pilot", "Contract", "Lost", "Won"]
    assert discovery["id"] not in {s["id"] for s in after}


@pytest.mark.parametrize(
    "stages",
    [
        [s for s in STAGES if s["outcome" if "outcome" in s else "name"] != "won"],
        [*STAGES, {"name": "Lost again", "probability": 0, "outcome": "lost"}],
        [{**STAGES[0], "name": "Trial"}, *STAGES[1:]],
        [STAGES[0], STAGES[1], {**STAGES[2], "probability": 90}, STAGES[3]],
        [STAGES[2], STAGES[3]],
        [{**STAGES[0], "probability": 101}, *STAGES[1:]],
    ],
    ids=["no-won", "two-lost", "same-name", "won-below-100", "no-open", "probability-101"],
)
def test_bad_stages_are_422_naming_stages_and_write_nothing(service, session, stages):
    service.list_pipelines({})
    written = len(events(session))

    with pytest.raises(ValidationFailed) as refused:
        service.create_pipeline({"name": "Broken", "stages": stages})

    assert list(refused.value.errors) == ["stages"]
    assert pipeline_count(session) == 1 and len(events(session)) == written


def test_a_stage_of_another_pipeline_is_422(service):
    standard = service.list_pipelines({})["items"][0]
    other = service.create_pipeline({"name": "Renewals", "stages": STAGES})
    foreign = {**STAGES[0], "id": standard["stages"][0]["id"]}

    with pytest.raises(ValidationFailed) as refused:
        service.update_pipeline(other["id"], {"stages": [foreign, *STAGES[1:]]})

    assert list(refused.value.errors) == ["stages"]
    assert service.get_pipeline(other["id"])["version"] == 1


def test_stages_and_pipelines_in_use_stay(service, session):
    pipeline = service.create_pipeline({"name": "Renewals", "stages": STAGES})
    discovery, *others = as_sent(pipeline["stages"])
    session.add(
        Opportunity(
            name="Acme renewal",
            account_id=uuid.uuid4(),
            amount=1,
            currency="EUR",
            expected_close_date=date(2026, 12, 31),
            pipeline_id=uuid.UUID(pipeline["id"]),
            stage_id=uuid.UUID(discovery["id"]),
        )
    )
    session.flush()
    discovery_won_early = {**discovery, "outcome": "won", "probability": 100}

    with pytest.raises(Conflict):
        service.update_pipeline(pipeline["id"], {"stages": others})
    with pytest.raises(Conflict):
        service.update_pipeline(
            pipeline["id"], {"stages": [others[0], discovery_won_early, others[2]]}
        )
    with pytest.raises(Conflict):
        service.delete_pipeline(pipeline["id"])
    assert service.get_pipeline(pipeline["id"])["stages"] == pipeline["stages"]


def as_sent(stages: list[dict]) -> list[dict]:
    """Stages as read, in the shape an update sends."""
    return [{k: v for k, v in s.items() if k != "position"} for s in stages]


def test_the_default_pipeline_stays_the_default_until_another_is(service):
    standard = service.list_pipelines({})["items"][0]

    with pytest.raises(ValidationFailed) as refused:
        service.update_pipeline(standard["id"], {"is_default": False})
    with pytest.raises(Conflict):
        service.delete_pipeline(standard["id"])

    assert list(refused.value.errors) == ["is_default"]
    assert service.get_pipeline(standard["id"])["is_default"] is True


def test_an_unused_pipeline_is_deleted_and_names_are_unique(service, session):
    pipeline = service.create_pipeline({"name": "Renewals", "stages": STAGES})

    with pytest.raises(Conflict):
        service.create_pipeline({"name": "renewals", "stages": STAGES})
    service.delete_pipeline(pipeline["id"], 1)

    assert pipeline_count(session) == 1
    assert events(session)[-1]["type"] == "pipeline_deleted"


def test_instances_seeding_at_once_make_one_standard_pipeline(database_url, backend):
    """Two instances' first requests, each in its own transaction: the second one's insert
    waits for the first to commit, then writes nothing (and publishes nothing)."""
    if backend == "sqlite":
        pytest.skip("SQLite writers take turns on one lock; nothing to race")
    url = database_url("sales", backend)
    first, second = Session(engine_for(url)), Session(engine_for(url))
    try:
        pipelines.default(first)
        second_pid = second.scalar(text("SELECT pg_backend_pid()"))
        waiting = eventlet.spawn(pipelines.default, second)
        wait_until_blocked(url, second_pid)  # the second insert waits for the first's rows
        first.commit()
        assert waiting.wait().id == pipelines.STANDARD_ID
        second.commit()
        with Session(engine_for(url)) as check:
            assert pipeline_count(check) == 1
            assert [e["type"] for e in events(check)] == ["pipeline_created"]
    finally:
        first.close()
        second.close()
        empty_tables(url)


def wait_until_blocked(url: str, backend_pid: int, timeout: float = 30.0) -> None:
    """Until the PostgreSQL backend waits for a lock another transaction holds."""
    deadline = time.monotonic() + timeout
    with engine_for(url).connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": backend_pid},
            )
            if waiting == "Lock":
                return
            watcher.rollback()  # a new snapshot of pg_stat_activity each time
            eventlet.sleep(0.01)
    raise AssertionError(f"backend {backend_pid} never waited for a lock")
