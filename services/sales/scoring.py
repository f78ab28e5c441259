"""Lead scores: points for what a lead is (attribute rules: `field` `operator` `value`) and for
what it did (engagement rules: per engagement of the rule's type, its points halved every
`half_life_days`). Each rule's points are rounded to a whole number; the score is their sum,
and the reasons list every rule that gave points."""

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.sales.models import Engagement, Lead, ScoringRule

SECONDS_PER_DAY = 86_400


def rules_by_name(session: Session, active: bool | None = None) -> list[ScoringRule]:
    """The rules by name (`active`: only those, or only the others)."""
    query = select(ScoringRule).order_by(ScoringRule.name, ScoringRule.id)
    if active is not None:
        query = query.where(ScoringRule.active == active)
    return list(session.scalars(query))


def active_rules(session: Session) -> list[ScoringRule]:
    return rules_by_name(session, active=True)


def decaying_types(rules: list[ScoringRule]) -> set[str]:
    return {rule.event_type for rule in rules if rule.event_type and rule.half_life_days}


def engagements_of(session: Session, lead_ids: list[uuid.UUID]) -> dict:
    """Each lead's engagements, by lead id."""
    found = defaultdict(list)
    if lead_ids:
        query = select(Engagement).where(Engagement.lead_id.in_(lead_ids))
        for engagement in session.scalars(query):
            found[engagement.lead_id].append(engagement)
    return found


def evaluate(
    lead: Lead, rules: list[ScoringRule], engagements: list[Engagement], now: datetime
) -> tuple[int, list[dict]]:
    """The lead's score and its reasons, `[{rule_id, rule, points}]`, at the moment `now`."""
    reasons = []
    for rule in rules:
        points = round(rule_points(rule, lead, engagements, now))
        if points:
            reasons.append({"rule_id": str(rule.id), "rule": rule.name, "points": points})
    return sum(reason["points"] for reason in reasons), reasons


def rule_points(
    rule: ScoringRule, lead: Lead, engagements: list[Engagement], now: datetime
) -> float:
    if rule.event_type:
        return sum(
            rule.points * decay(rule, engagement.occurred_at, now)
            for engagement in engagements
            if engagement.event_type == rule.event_type
        )
    return rule.points if attribute_matches(rule, lead) else 0


def decay(rule: ScoringRule, occurred_at: datetime, now: datetime) -> float:
    if not rule.half_life_days:
        return 1.0
    age_days = max(0.0, (now - occurred_at).total_seconds() / SECONDS_PER_DAY)
    return 0.5 ** (age_days / rule.half_life_days)


def attribute_matches(rule: ScoringRule, lead: Lead) -> bool:
    """`equals` the whole value or `contains` a part of it, in any case."""
    value = getattr(lead, rule.field)
    if value is None:
        return False
    actual, wanted = value.casefold(), rule.value.casefold()
    return actual == wanted if rule.operator == "equals" else wanted in actual
