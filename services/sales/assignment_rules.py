"""Assignment rules: which user or team gets a new lead (`assignment` applies them)."""

from sqlalchemy.orm import Session

from contracts.sales import assignment_rule_read
from infra import records
from infra.context import Actor
from services.sales import assignment, events, teams
from services.sales.models import AssignmentRule


def get(*, session: Session, record_id) -> AssignmentRule:
    return records.get(session, AssignmentRule, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[AssignmentRule], None]:
    """Every rule (they are few), in the order they apply: one page."""
    return assignment.rules_in_order(session, params.get("active")), None


def create(*, session: Session, data: dict, actor: Actor, directory) -> AssignmentRule:
    check_team(session, data.get("team_id"), directory)
    return events.created(session, AssignmentRule(**data), assignment_rule_read, actor)


def update(
    *, session: Session, record_id, changes: dict, actor: Actor, directory
) -> AssignmentRule:
    rule = get(session=session, record_id=record_id)
    target = {"team_id": rule.team_id, "user_id": rule.user_id}
    target.update((field, changes[field]) for field in target if field in changes)
    records.require(
        bool(target["team_id"]) != bool(target["user_id"]),
        "team_id",
        "Give `team_id` or `user_id`, one of them.",
    )
    check_team(session, target["team_id"], directory)
    events.updated(session, rule, changes, assignment_rule_read, actor)
    return rule


def delete(*, session: Session, record_id, actor: Actor) -> None:
    rule = get(session=session, record_id=record_id)
    events.deleted(session, rule, actor, name=rule.name)


def check_team(session: Session, team_id, directory) -> None:
    if team_id is not None:
        found = teams.find(session, team_id, directory)
        records.require(found is not None, "team_id", f"No team with id {team_id}.")
