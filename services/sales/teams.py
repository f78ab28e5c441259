"""Sales' copy of the teams of the gateway's user directory, kept from its `team_*` events
(`crm/gateway`, applied once and in order by the service's `EventConsumer`): lead assignment
takes turns among a team's members, and a team's forecast adds up theirs."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.sales import assignment_rule_read
from infra import records
from infra.context import Actor
from infra.db import utcnow
from services.sales import events
from services.sales.models import AssignmentRule, Team

SOURCE = "crm/gateway"


def find(session: Session, team_id, directory) -> Team | None:
    """The team, if the directory has it: a team made a moment ago, whose event has not
    arrived yet, is fetched from the directory's event log (`directory`: the consumer)."""
    team_id = records.parse_id(team_id)
    team = session.get(Team, team_id)
    if team is None:
        directory.catch_up(session, SOURCE)
        team = session.get(Team, team_id)
    return team if team is not None and team.dissolved_at is None else None


def on_team_saved(session: Session, envelope: dict) -> None:
    """`team_created`, `team_updated`: the team as the directory has it now."""
    data = envelope["data"]
    team = session.get(Team, uuid.UUID(data["id"]))
    if team is None:
        team = Team(id=uuid.UUID(data["id"]), next_turn=0)
        session.add(team)
    team.name = data["name"]
    team.member_ids = list(data["member_ids"])
    session.flush()


def on_team_deleted(session: Session, envelope: dict) -> None:
    """`team_deleted`: the team gets no more leads; the rules that gave it leads are paused
    (each publishes its `assignment_rule_updated`), for an admin to retarget."""
    team = session.get(Team, uuid.UUID(envelope["data"]["id"]))
    if team is None or team.dissolved_at is not None:
        return
    team.dissolved_at = utcnow()
    team.name = f"{team.name[:40]} (dissolved {team.id})"  # the name is free for a new team
    team.member_ids = []
    actor = Actor(via="directory")
    for rule in session.scalars(select(AssignmentRule).where(AssignmentRule.team_id == team.id)):
        events.updated(session, rule, {"active": False}, assignment_rule_read, actor)
    session.flush()


HANDLERS = {
    "team_created": on_team_saved,
    "team_updated": on_team_saved,
    "team_deleted": on_team_deleted,
}
