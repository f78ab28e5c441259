"""Activities: linked to something that exists, assigned, due, completed once, reminded once
when due; "my open tasks" and "overdue"; on SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from infra.db import utcnow
from infra.errors import ValidationFailed
from services.sales.models import Activity, Engagement
from services.sales.tests.commerce import count, event_types, events
from services.sales.tests.conftest import SALES_REP

MISSING = "00000000-0000-4000-8000-00000000dead"
SOMEONE_ELSE = "7d3b3c1e-0000-4000-8000-000000000002"


@pytest.fixture
def contact(customers_proxy) -> dict:
    return customers_proxy.create_contact({"first_name": "Ada", "last_name": "Lovelace"})


def an_opportunity(sales, account_id: str) -> dict:
    return sales.create_opportunity(
        {
            "name": "Big deal",
            "account_id": account_id,
            "amount": "1000.00",
            "currency": "EUR",
            "expected_close_date": date.today().isoformat(),
        }
    )


def in_hours(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


def test_an_activity_about_a_contact_is_assigned_to_its_creator(sales, session, contact):
    call = sales.create_activity(
        {
            "type": "call",
            "subject": "Intro call",
            "contact_id": contact["id"],
            "due_at": in_hours(2),
        }
    )

    assert call["assignee_id"] == SALES_REP.user_id
    assert call["completed_at"] is None and call["overdue"] is False
    created = events(session)[-1]
    assert created["type"] == "activity_created"
    assert created["data"]["contact_id"] == contact["id"]


def test_activities_link_to_leads_accounts_and_opportunities_that_exist(
    sales, session, customers_proxy
):
    account = customers_proxy.create_account({"name": "Acme"})
    lead = sales.create_lead({"first_name": "Grace", "last_name": "Hopper"})
    opportunity = an_opportunity(sales, account["id"])

    for link in (
        {"lead_id": lead["id"]},
        {"account_id": account["id"]},
        {"opportunity_id": opportunity["id"]},
    ):
        sales.create_activity({"type": "task", "subject": "Follow up", **link})

    assert count(session, Activity) == 3
    other = customers_proxy.create_account({"name": "Other"})
    with pytest.raises(ValidationFailed) as refused:
        sales.create_quote(
            {
                "account_id": other["id"],
                "opportunity_id": opportunity["id"],
                "currency": "EUR",
                "lines": [{"description": "x", "quantity": 1, "unit_price": "1.00"}],
            }
        )
    assert "opportunity_id" in refused.value.errors


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({}, {"lead_id", "contact_id", "account_id", "opportunity_id"}),
        ({"lead_id": None, "contact_id": None}, {"lead_id", "contact_id"}),
        ({"lead_id": MISSING}, {"lead_id"}),
        ({"contact_id": MISSING}, {"contact_id"}),
        ({"account_id": MISSING}, {"account_id"}),
        ({"opportunity_id": MISSING}, {"opportunity_id"}),
        ({"contact_id": "nobody"}, {"contact_id"}),
        ({"type": "lunch", "lead_id": MISSING}, {"type"}),
        ({"subject": "", "lead_id": MISSING}, {"subject"}),
        ({"due_at": "tomorrow", "lead_id": MISSING}, {"due_at"}),
    ],
)
def test_bad_activities_are_refused_and_nothing_is_written(sales, session, data, fields):
    with pytest.raises(ValidationFailed) as refused:
        sales.create_activity({"type": "task", "subject": "Call back", **data})

    assert fields <= refused.value.errors.keys()
    assert count(session, Activity) == 0 and event_types(session) == []


def test_an_activity_cannot_be_unlinked_from_everything(sales, session, contact):
    task = sales.create_activity(
        {"type": "task", "subject": "Send deck", "contact_id": contact["id"]}
    )

    with pytest.raises(ValidationFailed) as refused:
        sales.update_activity(task["id"], {"contact_id": None})

    assert "contact_id" in refused.value.errors
    assert sales.get_activity(task["id"])["contact_id"] == contact["id"]


def test_completing_an_activity_once_publishes_it_once(sales, session, contact):
    task = sales.create_activity(
        {"type": "task", "subject": "Send deck", "contact_id": contact["id"]}
    )

    done = sales.complete_activity(task["id"], {}, 1)
    again = sales.complete_activity(task["id"], {})

    assert done["completed_at"] and again == done
    assert event_types(session).count("activity_completed") == 1
    reopened = sales.update_activity(task["id"], {"completed_at": None})
    assert reopened["completed_at"] is None
    patched = sales.update_activity(task["id"], {"completed_at": in_hours(-1)})
    assert patched["completed_at"] and event_types(session)[-1] == "activity_completed"


def test_my_open_tasks_and_the_overdue_ones(sales, session, contact):
    def add(subject: str, **fields) -> dict:
        data = {"type": "task", "subject": subject, "contact_id": contact["id"], **fields}
        return sales.create_activity(data)

    late = add("Late", due_at=in_hours(-3))
    soon = add("Soon", due_at=in_hours(1))
    undated = add("Some day")
    add("Someone else's", due_at=in_hours(-5), assignee_id=SOMEONE_ELSE)
    done = add("Done", due_at=in_hours(-4))
    sales.complete_activity(done["id"], {})

    def subjects(**params) -> list[str]:
        return [a["subject"] for a in sales.list_activities(params)["items"]]

    assert subjects(mine=True, open=True, sort="due_at") == ["Late", "Soon", "Some day"]
    assert subjects(overdue=True, sort="due_at") == ["Someone else's", "Late"]
    assert subjects(open=False) == ["Done"]
    assert sales.get_activity(late["id"])["overdue"] is True

    first = sales.list_activities({"mine": True, "sort": "due_at", "limit": 2})
    rest = sales.list_activities({"mine": True, "sort": "due_at", "cursor": first["next_cursor"]})
    paged = [a["id"] for a in first["items"] + rest["items"]]
    assert paged == [done["id"], late["id"], soon["id"], undated["id"]]


def test_an_activity_is_reminded_once_when_due_and_again_when_rescheduled(sales, session, contact):
    due = sales.create_activity(
        {
            "type": "meeting",
            "subject": "Demo",
            "contact_id": contact["id"],
            "due_at": in_hours(-0.1),
        }
    )
    sales.create_activity(
        {"type": "call", "subject": "Later", "contact_id": contact["id"], "due_at": in_hours(5)}
    )
    finished = sales.create_activity(
        {"type": "call", "subject": "Done", "contact_id": contact["id"], "due_at": in_hours(-1)}
    )
    sales.complete_activity(finished["id"], {})

    assert sales.remind_due_activities() == 1
    assert sales.remind_due_activities() == 0
    reminder = events(session)[-1]
    assert reminder["type"] == "activity_due" and reminder["data"]["id"] == due["id"]
    assert reminder["data"]["contact_id"] == contact["id"]
    assert sales.get_activity(due["id"])["reminded_at"]

    rescheduled = sales.update_activity(due["id"], {"due_at": in_hours(-0.05)})
    assert rescheduled["reminded_at"] is None
    assert sales.remind_due_activities() == 1
    assert event_types(session).count("activity_due") == 2


def test_a_meeting_held_with_a_lead_is_one_engagement_however_often_completed(sales, session):
    sales.create_scoring_rule({"name": "Met us", "points": 20, "event_type": "meeting_held"})
    lead = sales.create_lead({"first_name": "Grace", "last_name": "Hopper"})
    meeting = sales.create_activity(
        {"type": "meeting", "subject": "Discovery", "lead_id": lead["id"], "due_at": in_hours(1)}
    )
    call = sales.create_activity({"type": "call", "subject": "Call", "lead_id": lead["id"]})

    sales.complete_activity(meeting["id"], {})
    sales.update_activity(meeting["id"], {"completed_at": None})
    sales.update_activity(meeting["id"], {"completed_at": in_hours(0)})
    sales.complete_activity(call["id"], {})

    engagements = session.scalars(select(Engagement)).all()
    assert [(e.event_type, e.event_id) for e in engagements] == [("meeting_held", meeting["id"])]
    assert sales.get_lead(lead["id"])["score"] == 20
