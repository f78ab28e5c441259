import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from infra.errors import NotFound, PreconditionFailed, ValidationFailed
from services.customers.models import Change, Interaction, TimelineEntry
from services.customers.tests.conftest import SALES_REP
from services.customers.tests.test_contacts import count, events

MISSING = "0b0e9a5c-64b4-4a51-8a5d-6c1f7c1f0000"
MONDAY = "2026-03-02T09:30:00+01:00"


@pytest.fixture
def acme(service):
    return service.create_account({"name": "Acme"})


@pytest.fixture
def ada(service, acme):
    return service.create_contact({"first_name": "Ada", "account_id": acme["id"]})


def entries(session, subject_id) -> list[tuple]:
    return list(
        session.execute(
            select(TimelineEntry.kind, TimelineEntry.event_type, TimelineEntry.summary)
            .where(TimelineEntry.subject_id == uuid.UUID(subject_id))
            .order_by(TimelineEntry.occurred_at.desc(), TimelineEntry.id.desc())
        )
    )


def on_timeline(session, subject: dict) -> list[tuple]:
    """The interactions on a contact's or account's timeline: (event type, summary)."""
    return [entry[1:] for entry in entries(session, subject["id"]) if entry[0] == "interaction"]


def call_with(contact: dict, **fields) -> dict:
    return {
        "type": "call",
        "direction": "outbound",
        "subject": "Renewal",
        "contact_ids": [contact["id"]],
        **fields,
    }


def test_a_logged_call_is_on_its_contacts_and_their_accounts_timeline(service, session, ada, acme):
    made = service.create_interaction(call_with(ada, occurred_at=MONDAY, body="Wants 3 years."))

    assert made["contact_ids"] == [ada["id"]] and made["account_id"] == acme["id"]
    assert made["occurred_at"] == "2026-03-02T08:30:00+00:00" and made["version"] == 1
    assert made["user_id"] == SALES_REP.user_id
    assert service.get_interaction(made["id"]) == made
    envelope = events(session)[-1]
    assert envelope["type"] == "interaction_created" and envelope["data"] == made
    for subject in (ada, acme):
        [entry] = session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.subject_id == uuid.UUID(subject["id"]),
                TimelineEntry.kind == "interaction",
            )
        )
        assert entry.summary == "Call (outbound): Renewal" and entry.event_id == envelope["id"]
        assert entry.occurred_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert (
        session.scalar(
            select(TimelineEntry).where(TimelineEntry.subject_id == uuid.UUID(made["id"]))
        )
        is None
    )
    [created] = session.scalars(select(Change).where(Change.record_id == uuid.UUID(made["id"])))
    assert created.action == "created" and created.entity == "interaction"


def test_a_note_on_an_account_needs_no_contact_nor_direction(service, acme):
    before = datetime.now(UTC)

    note = service.create_interaction({"type": "note", "account_id": acme["id"], "body": "Fair."})

    assert note["contact_ids"] == [] and note["direction"] is None
    assert before <= datetime.fromisoformat(note["occurred_at"]) <= datetime.now(UTC)


def test_contacts_of_different_accounts_leave_the_account_empty(service, ada):
    other = service.create_contact({"first_name": "Grace"})

    meeting = service.create_interaction(
        {"type": "meeting", "contact_ids": [ada["id"], other["id"]]}
    )

    assert meeting["account_id"] is None
    assert sorted(meeting["contact_ids"]) == sorted([ada["id"], other["id"]])


@pytest.mark.parametrize(
    ("data", "bad_fields"),
    [
        ({"type": "fax"}, {"type"}),
        ({"occurred_at": "last monday"}, {"occurred_at"}),
        ({"occurred_at": "2026-03-02T09:30:00"}, {"occurred_at"}),
        ({"direction": None}, {"direction"}),
        ({"direction": "sideways"}, {"direction"}),
        ({"contact_ids": []}, {"contact_ids"}),
        ({"contact_ids": ["not-a-uuid"]}, {"contact_ids"}),
        ({"contact_ids": [MISSING]}, {"contact_ids"}),
        ({"account_id": MISSING}, {"account_id"}),
        ({"subject": "x" * 256}, {"subject"}),
        ({"mood": "happy"}, {"mood"}),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(service, session, ada, data, bad_fields):
    written = len(events(session)), count(session, TimelineEntry), count(session, Change)

    with pytest.raises(ValidationFailed) as refused:
        service.create_interaction(call_with(ada, **data))

    assert set(refused.value.errors) == bad_fields
    assert count(session, Interaction) == 0
    assert (len(events(session)), count(session, TimelineEntry), count(session, Change)) == written


def test_an_update_moves_the_interaction_between_timelines(service, session, ada, acme):
    grace = service.create_contact({"first_name": "Grace"})
    made = service.create_interaction(call_with(ada, occurred_at=MONDAY))

    updated = service.update_interaction(
        made["id"], {"contact_ids": [grace["id"]], "subject": "Upsell"}, 1
    )

    assert updated["contact_ids"] == [grace["id"]] and updated["version"] == 2
    upsell = [("interaction_updated", "Call (outbound): Upsell")]
    assert on_timeline(session, ada) == []
    assert on_timeline(session, grace) == on_timeline(session, acme) == upsell
    envelope = events(session)[-1]
    assert envelope["data"]["changes"] == {
        "contact_ids": [[ada["id"]], [grace["id"]]],
        "subject": ["Renewal", "Upsell"],
    }
    change = session.scalars(select(Change).where(Change.record_id == uuid.UUID(made["id"]))).all()[
        -1
    ]
    assert change.action == "updated" and change.fields == envelope["data"]["changes"]


def test_an_update_that_changes_nothing_writes_nothing(service, session, ada):
    made = service.create_interaction(call_with(ada))
    written = len(events(session)), count(session, TimelineEntry)

    assert service.update_interaction(made["id"], {"subject": "Renewal"})["version"] == 1
    assert (len(events(session)), count(session, TimelineEntry)) == written


@pytest.mark.parametrize(
    ("changes", "bad_field"),
    [
        ({"contact_ids": []}, "contact_ids"),
        ({"direction": None}, "direction"),
        ({"type": "sms", "direction": None}, "direction"),
        ({"contact_ids": [MISSING]}, "contact_ids"),
        ({"account_id": MISSING}, "account_id"),
        ({"occurred_at": "soon"}, "occurred_at"),
    ],
)
def test_an_update_that_would_leave_it_incomplete_is_refused(service, session, changes, bad_field):
    grace = service.create_contact({"first_name": "Grace"})
    made = service.create_interaction(call_with(grace))
    written = len(events(session)), count(session, TimelineEntry)

    with pytest.raises(ValidationFailed) as refused:
        service.update_interaction(made["id"], changes)

    assert list(refused.value.errors) == [bad_field]
    assert service.get_interaction(made["id"]) == made
    assert (len(events(session)), count(session, TimelineEntry)) == written


def test_a_stale_version_is_refused(service, ada):
    made = service.create_interaction(call_with(ada))
    service.update_interaction(made["id"], {"subject": "Later"}, 1)

    with pytest.raises(PreconditionFailed):
        service.update_interaction(made["id"], {"subject": "Lost"}, 1)
    with pytest.raises(PreconditionFailed):
        service.delete_interaction(made["id"], 1)

    assert service.get_interaction(made["id"])["subject"] == "Later"


def test_delete_takes_it_off_every_timeline(service, session, ada, acme):
    made = service.create_interaction(call_with(ada))

    service.delete_interaction(made["id"], 1)

    with pytest.raises(NotFound):
        service.get_interaction(made["id"])
    assert on_timeline(session, ada) == on_timeline(session, acme) == []
    assert events(session)[-1]["type"] == "interaction_deleted"
    assert events(session)[-1]["data"] == {"id": made["id"]}


def test_list_filters_and_sorts(service, ada, acme):
    grace = service.create_contact({"first_name": "Grace"})
    start = datetime(2026, 3, 2, tzinfo=UTC)
    for day, contact, kind in [(0, ada, "call"), (1, grace, "email"), (2, ada, "meeting")]:
        when = (start + timedelta(days=day)).isoformat()
        service.create_interaction(call_with(contact, type=kind, occurred_at=when))
    other = "7d3b3c1e-0000-4000-8000-000000000002"
    service.create_interaction(call_with(grace, type="sms", user_id=other))

    def types(**params):
        return [i["type"] for i in service.list_interactions(params)["items"]]

    assert types() == ["sms", "meeting", "email", "call"]
    assert types(sort="occurred_at") == ["call", "email", "meeting", "sms"]
    assert types(contact_id=ada["id"]) == ["meeting", "call"]
    assert types(account_id=acme["id"]) == ["meeting", "call"]
    assert types(type="email") == ["email"]
    assert types(user_id=other) == ["sms"]
    assert types(occurred_after="2026-03-03T00:00:00Z", occurred_before="2026-03-04") == ["email"]
    first = service.list_interactions({"limit": 3})
    rest = service.list_interactions({"limit": 3, "cursor": first["next_cursor"]})
    assert [i["type"] for i in rest["items"]] == ["call"] and rest["next_cursor"] is None


def test_search_finds_text_in_the_subject_or_the_body(service, ada):
    service.create_interaction(call_with(ada, subject="续约", body="客户想要三年合同"))
    service.create_interaction(call_with(ada, subject="Renewal", body="Wants 100% discount"))

    def subjects(q):
        return [i["subject"] for i in service.list_interactions({"q": q})["items"]]

    assert subjects("三年") == ["续约"]
    assert subjects("RENEW") == ["Renewal"]
    assert subjects("100%") == ["Renewal"]
    assert subjects("%") == ["Renewal"]
    assert subjects("nothing") == []
    created = service.list_interactions({"created_after": "2000-01-01T00:00:00Z"})["items"]
    assert len(created) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "fax"}, "type"),
        ({"sort": "subject"}, "sort"),
        ({"occurred_after": "yesterday"}, "occurred_after"),
        ({"contact_id": "nobody"}, "contact_id"),
        ({"q": ""}, "q"),
        ({"updated_before": "soon"}, "updated_before"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
    ],
)
def test_bad_list_parameters_name_the_field(service, params, field):
    with pytest.raises(ValidationFailed) as refused:
        service.list_interactions(params)

    assert list(refused.value.errors) == [field]
