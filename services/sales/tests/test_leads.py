"""Leads through the service's entrypoints, on a real database session (SQLite and PostgreSQL):
capture, validation, updates, lists, and the events each change publishes."""

import uuid

import pytest
from sqlalchemy import func, select

from infra.errors import NotFound, PreconditionFailed, ValidationFailed
from infra.outbox import OutboxEvent
from services.sales.models import Lead
from services.sales.tests.conftest import SALES_REP

OWNER = "0f8a7c1e-0000-4000-8000-00000000000a"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def events(session) -> list[dict]:
    return [e.envelope for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.sequence))]


def types(session) -> list[str]:
    return [envelope["type"] for envelope in events(session)]


def test_create_answers_the_lead_and_publishes_lead_created(service, session):
    lead = service.create_lead(
        {
            "first_name": " Ada ",
            "last_name": "Lovelace",
            "company": "Analytical Engines",
            "email": " Ada@Example.COM ",
            "phone": "+44 20 7946 0000",
            "title": "Analyst",
            "country": "gb",
            "region": "London",
            "company_size": "11-50",
            "source": "web",
            "campaign": "spring-2026",
        }
    )

    assert lead["first_name"] == "Ada" and lead["email"] == "Ada@Example.COM"
    assert lead["country"] == "GB" and lead["status"] == "new"
    assert lead["score"] == 0 and lead["score_reasons"] == []
    assert lead["owner_id"] == SALES_REP.user_id and lead["version"] == 1  # its creator's
    stored = session.get(Lead, uuid.UUID(lead["id"]))
    assert stored.email_normalized == "ada@example.com"
    envelope, assigned = events(session)
    assert assigned["type"] == "lead_assigned" and assigned["data"]["rule_id"] is None
    assert envelope["type"] == "lead_created" and envelope["source"] == "crm/sales"
    assert envelope["data"] == lead
    assert (envelope["actorid"], envelope["actorroles"], envelope["actorvia"]) == (
        SALES_REP.user_id,
        "sales",
        "api",
    )


def test_an_owner_given_is_kept_and_announced(service, session):
    lead = service.create_lead({"last_name": "Li", "owner_id": OWNER})

    assert lead["owner_id"] == OWNER
    assert types(session) == ["lead_created", "lead_assigned"]
    assert events(session)[1]["data"] == {
        "lead_id": lead["id"],
        "owner_id": OWNER,
        "previous_owner_id": None,
        "rule_id": None,
        "team_id": None,
    }


@pytest.mark.parametrize(
    ("data", "bad_fields"),
    [
        ({"last_name": "Li", "email": "not-an-email"}, {"email"}),
        ({"last_name": "Li", "status": "hot"}, {"status"}),
        ({"last_name": "Li", "status": "converted"}, {"status"}),
        ({"last_name": "Li", "score": 90}, {"score"}),
        ({"last_name": "Li", "score": -5}, {"score"}),
        ({"last_name": "Li", "score_reasons": []}, {"score_reasons"}),
        ({"company": "Acme"}, {"first_name", "last_name"}),
        ({"first_name": " ", "last_name": ""}, {"first_name", "last_name"}),
        ({"last_name": "Li", "country": "XX"}, {"country"}),
        ({"last_name": "Li", "company_size": "huge"}, {"company_size"}),
        ({"last_name": "Li", "owner_id": "nobody"}, {"owner_id"}),
        ({"last_name": "Li", "phone": "call me"}, {"phone"}),
        ({"last_name": "x" * 101}, {"last_name"}),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(service, session, data, bad_fields):
    with pytest.raises(ValidationFailed) as refused:
        service.create_lead(data)

    assert set(refused.value.errors) == bad_fields
    assert count(session, Lead) == 0
    assert events(session) == []


def test_update_publishes_what_changed(service, session):
    lead = service.create_lead({"first_name": "Ada", "email": "ada@old.example"})

    updated = service.update_lead(
        lead["id"], {"status": "contacted", "email": "ADA@new.example"}, 1
    )

    assert updated["status"] == "contacted" and updated["version"] == 2
    assert session.get(Lead, uuid.UUID(lead["id"])).email_normalized == "ada@new.example"
    envelope = events(session)[-1]
    assert envelope["type"] == "lead_updated"
    assert envelope["data"]["changes"] == {
        "status": ["new", "contacted"],
        "email": ["ada@old.example", "ADA@new.example"],
    }


def test_a_new_owner_is_announced(service, session):
    lead = service.create_lead({"first_name": "Ada"})

    service.update_lead(lead["id"], {"owner_id": OWNER})

    assert types(session) == ["lead_created", "lead_assigned", "lead_updated", "lead_assigned"]
    assert events(session)[-1]["data"]["owner_id"] == OWNER


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "converted"}, "status"),
        ({"status": "won"}, "status"),
        ({"score": 100}, "score"),
        ({"email": "nope"}, "email"),
        ({"first_name": None}, "last_name"),
    ],
)
def test_a_bad_update_is_refused_and_nothing_changes(service, session, changes, field):
    lead = service.create_lead({"first_name": "Ada"})

    with pytest.raises(ValidationFailed) as refused:
        service.update_lead(lead["id"], changes)

    assert field in refused.value.errors
    assert service.get_lead(lead["id"]) == lead
    assert types(session) == ["lead_created", "lead_assigned"]


def test_a_stale_version_is_refused(service, session):
    lead = service.create_lead({"first_name": "Ada"})
    service.update_lead(lead["id"], {"title": "CTO"}, 1)

    with pytest.raises(PreconditionFailed):
        service.update_lead(lead["id"], {"title": "CEO"}, 1)

    assert service.get_lead(lead["id"])["title"] == "CTO"


def test_an_update_that_changes_nothing_keeps_the_version(service, session):
    lead = service.create_lead({"first_name": "Ada", "title": "CTO"})

    assert service.update_lead(lead["id"], {"title": "CTO"})["version"] == 1
    assert types(session) == ["lead_created", "lead_assigned"]


def test_delete_then_not_found(service, session):
    lead = service.create_lead({"first_name": "Ada"})

    service.delete_lead(lead["id"], 1)

    with pytest.raises(NotFound):
        service.get_lead(lead["id"])
    assert events(session)[-1]["type"] == "lead_deleted"
    assert events(session)[-1]["data"] == {"id": lead["id"]}
    with pytest.raises(NotFound):
        service.get_lead("not-a-uuid")


def test_list_filters_searches_and_sorts(service, session):
    service.create_lead({"first_name": "伟", "last_name": "张", "company": "华为", "country": "CN"})
    service.create_lead(
        {"first_name": "Ada", "company": "Acme", "source": "expo", "email": "ada@acme.example"}
    )
    grace = service.create_lead(
        {"first_name": "Grace", "source": "web", "campaign": "c1", "owner_id": OWNER}
    )
    service.update_lead(grace["id"], {"status": "qualified"})

    def names(**params):
        return [lead["first_name"] for lead in service.list_leads(params)["items"]]

    assert names(q="张") == ["伟"]
    assert names(q="华为") == ["伟"]
    assert names(q="ACME") == ["Ada"]
    assert names(q="ada@") == ["Ada"]
    assert names(q="%") == []
    assert names(status="qualified") == ["Grace"]
    assert names(owner_id=OWNER) == ["Grace"]
    assert names(source="expo") == ["Ada"]
    assert names(campaign="c1") == ["Grace"]
    assert names(country="cn") == ["伟"]
    assert names(sort="created_at") == ["伟", "Ada", "Grace"]
    assert names(sort="-created_at", limit=2) == ["Grace", "Ada"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "hot"}, "status"),
        ({"score_min": "high"}, "score_min"),
        ({"sort": "email"}, "sort"),
        ({"owner_id": "me"}, "owner_id"),
        ({"country": "Narnia"}, "country"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_list_parameters_name_the_field(service, params, field):
    with pytest.raises(ValidationFailed) as refused:
        service.list_leads(params)

    assert field in refused.value.errors


def test_cursor_pages_by_score_cover_every_lead_once(service):
    service.create_scoring_rule(
        {"name": "CTO", "field": "title", "operator": "equals", "value": "CTO", "points": 10}
    )
    made = set()
    for i in range(7):
        title = "CTO" if i % 2 else "Intern"
        made.add(service.create_lead({"last_name": f"L{i}", "title": title})["id"])

    seen, scores, cursor = [], [], None
    while True:
        params = {"limit": 3, "sort": "-score", **({"cursor": cursor} if cursor else {})}
        page = service.list_leads(params)
        seen += [lead["id"] for lead in page["items"]]
        scores += [lead["score"] for lead in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 7 and set(seen) == made
    assert scores == [10, 10, 10, 0, 0, 0, 0]
    assert len(service.list_leads({"score_min": 10})["items"]) == 3
