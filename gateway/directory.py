"""The user directory the gateway keeps: teams, their managers and members, and which record
types an admin opened to everyone's reading. Each change to a team is an event of the gateway's
own (`crm/gateway`, through the outbox in the gateway's database), so services keep copies
(sales takes turns among a team's members); `scope()` is what a caller may see, carried to the
services in the caller context."""

import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.models import OpenResource, Team, TeamMember, User
from infra import outbox, records
from infra.context import Actor
from infra.errors import Conflict, NotFound

SOURCE = "gateway"


def get_team(session: Session, team_id) -> Team:
    return records.get(session, Team, team_id)


def teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def create_team(session: Session, data: dict, actor: Actor) -> Team:
    check_name_free(session, data["name"], None)
    team = Team(name=data["name"], manager_id=data.get("manager_id"))
    set_members(team, data.get("member_ids", []))
    session.add(team)
    session.flush()
    publish(session, "team_created", team_data(team), actor)
    return team


def update_team(session: Session, team: Team, changes: dict, actor: Actor) -> Team:
    if "name" in changes:
        check_name_free(session, changes["name"], team.id)
    diff = records.apply_changes(team, changes, {"member_ids": MEMBERS})
    if diff:
        records.flush(session, team)
        publish(session, "team_updated", {**team_data(team), "changes": diff}, actor)
    return team


def delete_team(session: Session, team: Team, actor: Actor) -> None:
    session.delete(team)
    records.flush(session, team)
    publish(session, "team_deleted", {"id": str(team.id), "name": team.name}, actor)


def check_name_free(session: Session, name: str, team_id: uuid.UUID | None) -> None:
    taken = session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and taken != team_id:
        raise Conflict(f"There is a team named {name!r} already.", {"name": ["Already taken."]})


def set_members(team: Team, user_ids: list) -> None:
    """The members in this order (the order their turns go in); a user is listed once."""
    wanted = list(dict.fromkeys(uuid.UUID(str(user_id)) for user_id in user_ids))
    kept = {member.user_id: member for member in team.members}
    team.members = [
        kept.get(user_id) or TeamMember(user_id=user_id, position=0) for user_id in wanted
    ]
    for position, member in enumerate(team.members):
        member.position = position


MEMBERS = (lambda team: team.member_ids, set_members)


def team_data(team: Team) -> dict:
    """A team as its events carry it (and as the API shows it)."""
    return {
        "id": str(team.id),
        "name": team.name,
        "manager_id": str(team.manager_id) if team.manager_id else None,
        "member_ids": [str(user_id) for user_id in team.member_ids],
        "version": team.version,
    }


def publish(session: Session, type: str, data: dict, actor: Actor) -> None:
    outbox.record(session, SOURCE, type, data, actor.as_dict())


@dataclass(frozen=True)
class Scope:
    """What a user may see: the teams they belong to or lead, and the users whose records
    they see (themselves, and the members of those teams); `sees=None`: everyone's (an admin).
    Which roles a record type restricts so is the type's own declaration (`infra.resource`)."""

    teams: list[str]
    sees: list[str] | None


def scope(session: Session, user: User) -> Scope:
    led_or_joined = select(Team.id).where(
        or_(Team.manager_id == user.id, Team.members.any(TeamMember.user_id == user.id))
    )
    team_ids = list(session.scalars(led_or_joined))
    if user.role == "admin":
        return Scope(sorted(str(team_id) for team_id in team_ids), None)
    teammates = select(TeamMember.user_id).where(TeamMember.team_id.in_(team_ids))
    seen = {user.id, *session.scalars(teammates)}
    return Scope(sorted(str(team_id) for team_id in team_ids), sorted(str(u) for u in seen))


def open_resources(session: Session) -> list[str]:
    return sorted(session.scalars(select(OpenResource.resource)))


def open_resource(session: Session, name: str, actor: Actor) -> None:
    if session.get(OpenResource, name) is None:
        session.add(OpenResource(resource=name, opened_by=actor.user_uuid))


def close_resource(session: Session, name: str) -> None:
    found = session.get(OpenResource, name)
    if found is None:
        raise NotFound(f"{name} is not open to everyone.")
    session.delete(found)
