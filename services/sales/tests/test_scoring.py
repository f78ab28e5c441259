"""Lead scoring: attribute and engagement rules, decay by half-lives, rescoring when rules,
attributes or engagements change and by the daily timer; on SQLite and PostgreSQL."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from infra.db import utcnow
from infra.errors import ValidationFailed
from services.sales import leads
from services.sales.models import Engagement, ScoringRule
from services.sales.tests.test_leads import count, events, types


def attribute_rule(service, name, field, operator, value, points) -> dict:
    return service.create_scoring_rule(
        {"name": name, "field": field, "operator": operator, "value": value, "points": points}
    )


def engagement_rule(service, name, event_type, points, half_life_days=None) -> dict:
    rule = {"name": name, "event_type": event_type, "points": points}
    if half_life_days:
        rule["half_life_days"] = half_life_days
    return service.create_scoring_rule(rule)


def test_attribute_rules_score_a_new_lead_with_reasons(service, session):
    cto = attribute_rule(service, "Chief", "title", "contains", "chief", 20)
    attribute_rule(service, "Big", "company_size", "equals", "1001-5000", 15)
    attribute_rule(service, "DACH", "country", "equals", "de", 10)
    attribute_rule(service, "Students", "title", "contains", "student", -30)

    lead = service.create_lead(
        {"last_name": "Li", "title": "Chief Technology Officer", "company_size": "1001-5000"}
    )

    assert lead["score"] == 35
    assert lead["score_reasons"] == [
        {"rule_id": rule_id_of(service, "Big"), "rule": "Big", "points": 15},
        {"rule_id": cto["id"], "rule": "Chief", "points": 20},
    ]
    assert service.create_lead({"last_name": "Wu", "title": "PhD student"})["score"] == -30
    assert service.create_lead({"last_name": "Ng", "country": "DE"})["score"] == 10


def rule_id_of(service, name: str) -> str:
    return next(r["id"] for r in service.list_scoring_rules({})["items"] if r["name"] == name)


def test_an_attribute_change_rescores_and_publishes_lead_scored(service, session):
    attribute_rule(service, "Chief", "title", "contains", "chief", 20)
    lead = service.create_lead({"last_name": "Li", "title": "Engineer"})

    updated = service.update_lead(lead["id"], {"title": "Chief Engineer"})

    assert updated["score"] == 20
    assert types(session)[-2:] == ["lead_updated", "lead_scored"]
    scored = events(session)[-1]["data"]
    assert scored["lead_id"] == lead["id"]
    assert scored["score"] == 20 and scored["previous_score"] == 0
    assert scored["score_reasons"] == updated["score_reasons"]


def test_engagements_fade_by_their_half_life(service, session):
    engagement_rule(service, "Clicked", "email_clicked", 40, half_life_days=7)
    engagement_rule(service, "Form", "form_submitted", 25)
    lead = service.create_lead({"last_name": "Li"})
    now = utcnow()

    def engage(event_type, days_ago):
        moment = now - timedelta(days=days_ago)
        return leads.record_engagement(session, lead["id"], event_type, str(uuid.uuid4()), moment)

    engage("email_clicked", 0)
    engage("email_clicked", 7)  # half of 40
    engage("email_clicked", 14)  # a quarter
    engage("form_submitted", 300)  # no half-life: it stays

    scored = service.get_lead(lead["id"])
    assert scored["score"] == 40 + 20 + 10 + 25
    assert {r["rule"]: r["points"] for r in scored["score_reasons"]} == {"Clicked": 70, "Form": 25}
    assert types(session).count("lead_scored") == 4


def test_an_engagement_is_recorded_once(service, session):
    engagement_rule(service, "Opened", "email_opened", 5)
    lead = service.create_lead({"last_name": "Li"})

    assert leads.record_engagement(session, lead["id"], "email_opened", "evt-1", utcnow())
    assert not leads.record_engagement(session, lead["id"], "email_opened", "evt-1", utcnow())

    assert service.get_lead(lead["id"])["score"] == 5
    assert count(session, Engagement) == 1


def test_a_meeting_held_is_an_engagement_for_the_activities(service, session):
    engagement_rule(service, "Met", "meeting_held", 30, half_life_days=30)
    lead = service.create_lead({"last_name": "Li"})

    leads.record_engagement(session, lead["id"], "meeting_held", "activity-1", utcnow())

    assert service.get_lead(lead["id"])["score"] == 30
    with pytest.raises(ValidationFailed) as refused:
        leads.record_engagement(session, lead["id"], "lunch", "activity-2", utcnow())
    assert "event_type" in refused.value.errors


def test_a_rule_change_rescores_every_open_lead(service, session):
    first = service.create_lead({"last_name": "Li", "source": "expo"})
    second = service.create_lead({"last_name": "Wu", "source": "web"})

    rule = attribute_rule(service, "Expo", "source", "equals", "expo", 10)
    assert service.get_lead(first["id"])["score"] == 10
    assert service.get_lead(second["id"])["score"] == 0
    assert types(session).count("lead_scored") == 1

    service.update_scoring_rule(rule["id"], {"value": "web", "points": 7})
    assert service.get_lead(first["id"])["score"] == 0
    assert service.get_lead(second["id"])["score"] == 7

    service.update_scoring_rule(rule["id"], {"active": False})
    assert service.get_lead(second["id"])["score"] == 0
    service.update_scoring_rule(rule["id"], {"active": True})
    service.delete_scoring_rule(rule["id"])
    assert service.get_lead(second["id"])["score"] == 0
    assert types(session).count("lead_scored") == 6


def test_the_daily_rescoring_lets_engagements_fade(service, session):
    engagement_rule(service, "Clicked", "email_clicked", 100, half_life_days=10)
    lead = service.create_lead({"last_name": "Li"})
    untouched = service.create_lead({"last_name": "Wu"})
    leads.record_engagement(session, lead["id"], "email_clicked", "evt-1", utcnow())
    assert service.get_lead(lead["id"])["score"] == 100
    version = service.get_lead(untouched["id"])["version"]

    session.execute(update(Engagement).values(occurred_at=utcnow() - timedelta(days=10)))
    service.rescore_fading_leads()

    assert service.get_lead(lead["id"])["score"] == 50
    assert service.list_leads({"score_min": 50})["items"][0]["id"] == lead["id"]
    assert events(session)[-1]["type"] == "lead_scored"
    assert events(session)[-1]["actorvia"] == "system"
    assert service.get_lead(untouched["id"])["version"] == version


@pytest.mark.parametrize(
    ("rule", "fields"),
    [
        (
            {"name": "R", "points": 5, "field": "title", "operator": "like", "value": "x"},
            {"operator"},
        ),
        (
            {"name": "R", "points": 5, "field": "salary", "operator": "equals", "value": "x"},
            {"field"},
        ),
        ({"name": "R", "points": 5, "field": "title", "operator": "equals"}, {"value"}),
        ({"name": "R", "points": 5}, {"field", "operator", "value", "event_type"}),
        (
            {"name": "R", "points": 5, "event_type": "email_opened", "field": "title"},
            {"field"},
        ),
        (
            {
                "name": "R",
                "points": 5,
                "field": "title",
                "operator": "equals",
                "value": "x",
                "half_life_days": 3,
            },
            {"half_life_days"},
        ),
        ({"name": "R", "points": 5, "event_type": "webinar"}, {"event_type"}),
        (
            {"name": "R", "points": 5, "event_type": "email_opened", "half_life_days": 0},
            {"half_life_days"},
        ),
        ({"name": "R", "points": 2.5, "event_type": "email_opened"}, {"points"}),
        ({"name": "R", "points": "5", "event_type": "email_opened"}, {"points"}),
        ({"name": "R", "points": 5000, "event_type": "email_opened"}, {"points"}),
        ({"points": 5, "event_type": "email_opened"}, {"name"}),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_written(service, session, rule, fields):
    service.create_lead({"last_name": "Li", "title": "x"})

    with pytest.raises(ValidationFailed) as refused:
        service.create_scoring_rule(rule)

    assert set(refused.value.errors) == fields
    assert count(session, ScoringRule) == 0
    assert types(session) == ["lead_created", "lead_assigned"]


def test_an_update_may_not_mix_the_kinds(service, session):
    rule = engagement_rule(service, "Opened", "email_opened", 5)

    with pytest.raises(ValidationFailed) as refused:
        service.update_scoring_rule(rule["id"], {"field": "title"})

    assert "field" in refused.value.errors
    assert service.get_scoring_rule(rule["id"])["field"] is None
