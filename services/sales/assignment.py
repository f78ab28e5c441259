"""Who gets a new lead: the first active assignment rule, by position, whose conditions the lead
meets names a user, or a team whose members take turns (round robin). Admins configure teams
and rules; a lead no rule places stays without an owner."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from infra import records
from infra.errors import Conflict
from services.sales.models import AssignmentRule, Lead, Team


@dataclass(frozen=True)
class Routing:
    """Where a lead went, and why: for the `lead_assigned` event."""

    owner_id: uuid.UUID
    rule_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


def get_team(*, session: Session, team_id) -> Team:
    return records.get(session, Team, team_id)


def get_teams(*, session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def create_team(*, session: Session, data: dict) -> Team:
    check_name_free(session, data["name"], None)
    team = Team(name=data["name"], member_ids=as_strings(data.get("member_ids", [])), next_turn=0)
    session.add(team)
    session.flush()
    return team


def update_team(*, session: Session, team_id, changes: dict) -> Team:
    team = get_team(session=session, team_id=team_id)
    if "name" in changes:
        check_name_free(session, changes["name"], team.id)
        team.name = changes["name"]
    if "member_ids" in changes:
        team.member_ids = as_strings(changes["member_ids"])
    session.flush()
    return team


def delete_team(*, session: Session, team_id) -> None:
    team = get_team(session=session, team_id=team_id)
    targeting = select(AssignmentRule.name).where(AssignmentRule.team_id == team.id)
    names = ", ".join(sorted(session.scalars(targeting)))
    if names:
        raise Conflict(
            f"Assignment rules give leads to this team ({names}): retarget or delete them first.",
            {"team_id": [f"Used by the assignment rules {names}."]},
        )
    session.delete(team)
    session.flush()


def check_name_free(session: Session, name: str, team_id: uuid.UUID | None) -> None:
    taken = session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and taken != team_id:
        raise Conflict(f"There is a team named {name!r} already.", {"name": ["Already taken."]})


def as_strings(ids: list) -> list[str]:
    return [str(user_id) for user_id in ids]


def next_member(session: Session, team_id: uuid.UUID) -> uuid.UUID | None:
    """The member whose turn it is, the turn moved on in the same statement: the row's lock
    gives concurrent assignments distinct turns. None for a team without members."""
    turn, members = session.execute(
        update(Team)
        .where(Team.id == team_id)
        .values(next_turn=Team.next_turn + 1)
        .returning(Team.next_turn, Team.member_ids)
        .execution_options(synchronize_session=False)
    ).one()
    return uuid.UUID(members[(turn - 1) % len(members)]) if members else None


def get_rule(*, session: Session, rule_id) -> AssignmentRule:
    return records.get(session, AssignmentRule, rule_id)


def get_rules(*, session: Session, params: dict) -> list[AssignmentRule]:
    query = select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.name)
    if "active" in params:
        query = query.where(AssignmentRule.active == params["active"])
    return list(session.scalars(query))


def create_rule(*, session: Session, data: dict) -> AssignmentRule:
    check_team(session, data.get("team_id"))
    rule = AssignmentRule(**data)
    session.add(rule)
    session.flush()
    return rule


def update_rule(*, session: Session, rule_id, changes: dict) -> AssignmentRule:
    rule = get_rule(session=session, rule_id=rule_id)
    target = {"team_id": rule.team_id, "user_id": rule.user_id}
    target.update((field, changes[field]) for field in target if field in changes)
    records.require(
        bool(target["team_id"]) != bool(target["user_id"]),
        "team_id",
        "Give `team_id` or `user_id`, one of them.",
    )
    check_team(session, target["team_id"])
    for field, value in changes.items():
        setattr(rule, field, value)
    session.flush()
    return rule


def delete_rule(*, session: Session, rule_id) -> None:
    session.delete(get_rule(session=session, rule_id=rule_id))
    session.flush()


def check_team(session: Session, team_id) -> None:
    if team_id is not None:
        records.require(
            session.get(Team, team_id) is not None, "team_id", f"No team with id {team_id}."
        )


def route(session: Session, lead: Lead, rules: list[AssignmentRule]) -> Routing | None:
    """Where the first of `rules` (active, in order) that fits the lead sends it. A rule whose
    team has no members passes the lead on to the next rule."""
    for rule in rules:
        if fits(rule, lead):
            owner_id = rule.user_id or next_member(session, rule.team_id)
            if owner_id is not None:
                return Routing(owner_id, rule.id, rule.team_id)
    return None


def fits(rule: AssignmentRule, lead: Lead) -> bool:
    """Each condition holds: the lead's value is one of the listed, in any case."""
    for field, allowed in rule.conditions.items():
        value = getattr(lead, field)
        if value is None or value.casefold() not in {item.casefold() for item in allowed}:
            return False
    return True


def to_team(session: Session, team_id) -> Routing:
    """The team's next member, for a manual assignment to a team; 422 naming `team_id`."""
    team = session.get(Team, records.parse_id(team_id))
    records.require(team is not None, "team_id", f"No team with id {team_id}.")
    owner_id = next_member(session, team.id)
    records.require(owner_id is not None, "team_id", f"Team {team.name!r} has no members.")
    return Routing(owner_id, team_id=team.id)
