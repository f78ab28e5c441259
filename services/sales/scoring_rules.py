"""Scoring rules: points for what a lead is and what it did (`scoring` applies them). A change
to the rules scores every open lead again at once."""

from sqlalchemy.orm import Session

from contracts.sales import scoring_rule_errors, scoring_rule_read
from infra import records
from infra.context import Actor
from infra.errors import ValidationFailed
from services.sales import events, leads, scoring
from services.sales.models import ScoringRule

SCORED_BY = ("field", "operator", "value", "event_type", "half_life_days")


def get(*, session: Session, record_id) -> ScoringRule:
    return records.get(session, ScoringRule, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[ScoringRule], None]:
    """Every rule (they are few), by name: one page."""
    return scoring.rules_by_name(session, params.get("active")), None


def create(*, session: Session, data: dict, actor: Actor) -> ScoringRule:
    rule = events.created(session, ScoringRule(**data), scoring_rule_read, actor)
    leads.rescore_open(session, actor)
    return rule


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> ScoringRule:
    rule = get(session=session, record_id=record_id)
    current = {field: getattr(rule, field) for field in SCORED_BY}
    errors = scoring_rule_errors({**current, **changes})
    if errors:
        raise ValidationFailed("The rule would not be valid.", errors)
    if events.updated(session, rule, changes, scoring_rule_read, actor):
        leads.rescore_open(session, actor)
    return rule


def delete(*, session: Session, record_id, actor: Actor) -> None:
    rule = get(session=session, record_id=record_id)
    events.deleted(session, rule, actor, name=rule.name)
    leads.rescore_open(session, actor)
