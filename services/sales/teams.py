"""Teams of sales users: round-robin assignment turns within a team (`assignment`)."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.sales import team_read
from infra import records
from infra.context import Actor
from infra.errors import Conflict
from services.sales import events
from services.sales.models import AssignmentRule, Team


def get(*, session: Session, record_id) -> Team:
    return records.get(session, Team, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Team], None]:
    """Every team (they are few), by name: one page."""
    return list(session.scalars(select(Team).order_by(Team.name))), None


def create(*, session: Session, data: dict, actor: Actor) -> Team:
    check_name_free(session, data["name"], None)
    team = Team(name=data["name"], member_ids=as_strings(data.get("member_ids", [])), next_turn=0)
    return events.created(session, team, team_read, actor)


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Team:
    team = get(session=session, record_id=record_id)
    changes = dict(changes)
    if "name" in changes:
        check_name_free(session, changes["name"], team.id)
    if "member_ids" in changes:
        changes["member_ids"] = as_strings(changes["member_ids"])
    events.updated(session, team, changes, team_read, actor)
    return team


def delete(*, session: Session, record_id, actor: Actor) -> None:
    team = get(session=session, record_id=record_id)
    targeting = select(AssignmentRule.name).where(AssignmentRule.team_id == team.id)
    names = ", ".join(sorted(session.scalars(targeting)))
    if names:
        raise Conflict(
            f"Assignment rules give leads to this team ({names}): retarget or delete them first.",
            {"team_id": [f"Used by the assignment rules {names}."]},
        )
    events.deleted(session, team, actor, name=team.name)


def check_name_free(session: Session, name: str, team_id: uuid.UUID | None) -> None:
    taken = session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and taken != team_id:
        raise Conflict(f"There is a team named {name!r} already.", {"name": ["Already taken."]})


def as_strings(ids: list) -> list[str]:
    return [str(user_id) for user_id in ids]
