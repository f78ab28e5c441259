"""Who gets a new lead: the first active assignment rule, by position, whose conditions the lead
meets names a user, or a team whose members take turns (round robin). Admins configure teams
and rules; a lead no rule places is its creator's (none for the suite's own work)."""

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from infra import records
from services.sales import teams
from services.sales.models import AssignmentRule, Lead, Team


@dataclass(frozen=True)
class Routing:
    """Where a lead went, and why: for the `lead_assigned` event."""

    owner_id: uuid.UUID
    rule_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


def rules_in_order(session: Session, active: bool | None = None) -> list[AssignmentRule]:
    """The rules in the order they apply (`active`: only those, or only the others)."""
    query = select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.name)
    if active is not None:
        query = query.where(AssignmentRule.active == active)
    return list(session.scalars(query))


def route(session: Session, leads: list[Lead], rules: list[AssignmentRule]) -> list[Routing | None]:
    """Where each lead goes: the first of `rules` (active, in order) that fits it. A rule whose
    team has no members passes the lead on to the next rule."""
    staffed = {
        team.id
        for team in session.scalars(select(Team).where(Team.id.in_(targeted_teams(rules))))
        if team.member_ids
    }
    chosen = [
        next((r for r in rules if fits(r, lead) and (r.user_id or r.team_id in staffed)), None)
        for lead in leads
    ]
    turns = take_turns(session, Counter(rule.team_id for rule in chosen if rule and rule.team_id))
    owners = [rule and (rule.user_id or next(turns[rule.team_id])) for rule in chosen]
    return [
        Routing(owner_id, rule.id, rule.team_id) if owner_id else None
        for rule, owner_id in zip(chosen, owners, strict=True)
    ]


def targeted_teams(rules: list[AssignmentRule]) -> set[uuid.UUID]:
    return {rule.team_id for rule in rules if rule.team_id}


def fits(rule: AssignmentRule, lead: Lead) -> bool:
    """Each condition holds: the lead's value is one of the listed, in any case."""
    for field, allowed in rule.conditions.items():
        value = getattr(lead, field)
        if value is None or value.casefold() not in {item.casefold() for item in allowed}:
            return False
    return True


def take_turns(session: Session, wanted: Counter) -> dict[uuid.UUID, Iterator[uuid.UUID | None]]:
    """The next `wanted[team_id]` members of each team, in turn order. One statement per team
    reads the members and moves the turn on: the row's lock gives concurrent assignments
    distinct turns. Teams are locked in id order, so two batches never wait on each other."""
    turns = {}
    for team_id in sorted(wanted):
        count = wanted[team_id]
        last, members = session.execute(
            update(Team)
            .where(Team.id == team_id)
            .values(next_turn=Team.next_turn + count)
            .returning(Team.next_turn, Team.member_ids)
            .execution_options(synchronize_session=False)
        ).one()
        turns[team_id] = iter(
            uuid.UUID(members[turn % len(members)]) if members else None
            for turn in range(last - count, last)
        )
    return turns


def to_team(session: Session, team_id, directory) -> Routing:
    """The team's next member, for a manual assignment to a team; 422 naming `team_id`."""
    team = teams.find(session, team_id, directory)
    records.require(team is not None, "team_id", f"No team with id {team_id}.")
    records.require(bool(team.member_ids), "team_id", f"Team {team.name!r} has no members.")
    owner_id = next(take_turns(session, Counter({team.id: 1}))[team.id])
    records.require(owner_id is not None, "team_id", f"Team {team.name!r} has no members.")
    return Routing(owner_id, team_id=team.id)
