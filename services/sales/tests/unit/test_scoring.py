"""A lead's score from the rules: attribute rules match in any case, engagement points fade
by their half-life, and each rule's points are rounded once."""

from datetime import UTC, datetime, timedelta

import pytest

from services.sales import scoring
from services.sales.models import Engagement, Lead, ScoringRule

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def clicked(days_ago: float) -> Engagement:
    return Engagement(event_type="email_clicked", occurred_at=NOW - timedelta(days=days_ago))


def engagement_rule(points: int, half_life_days: int | None) -> ScoringRule:
    return ScoringRule(
        name="Clicked", event_type="email_clicked", points=points, half_life_days=half_life_days
    )


@pytest.mark.parametrize(
    ("days_ago", "kept"),
    [(0, 1.0), (7, 0.5), (14, 0.25), (3.5, 0.5**0.5), (-1, 1.0)],  # a future one counts whole
)
def test_an_engagement_halves_every_half_life(days_ago, kept):
    rule = engagement_rule(40, half_life_days=7)
    assert scoring.decay(rule, NOW - timedelta(days=days_ago), NOW) == pytest.approx(kept)


def test_without_a_half_life_an_engagement_never_fades():
    assert scoring.decay(engagement_rule(25, None), NOW - timedelta(days=3000), NOW) == 1.0


@pytest.mark.parametrize(
    ("operator", "value", "title", "matches"),
    [
        ("equals", "cto", "CTO", True),
        ("equals", "cto", "Deputy CTO", False),
        ("contains", "CHIEF", "Chief Executive", True),
        ("contains", "straße", "HAUPTSTRASSE", True),  # case folded: ß is ss
        ("contains", "chief", None, False),
    ],
)
def test_attribute_rules_match_in_any_case(operator, value, title, matches):
    rule = ScoringRule(name="Title", field="title", operator=operator, value=value, points=10)
    assert scoring.attribute_matches(rule, Lead(title=title)) is matches


def test_the_score_sums_rounded_rule_points_and_gives_its_reasons():
    title = ScoringRule(name="CxO", field="title", operator="contains", value="chief", points=30)
    clicks = engagement_rule(40, half_life_days=7)
    unmet = ScoringRule(name="Expo", field="source", operator="equals", value="expo", points=5)
    engagements = [clicked(0), clicked(7), clicked(14), clicked(21)]  # 40 + 20 + 10 + 5

    score, reasons = scoring.evaluate(
        Lead(title="Chief of staff", source="web"), [title, clicks, unmet], engagements, NOW
    )

    assert score == 105
    assert [(r["rule"], r["points"]) for r in reasons] == [("CxO", 30), ("Clicked", 75)]
