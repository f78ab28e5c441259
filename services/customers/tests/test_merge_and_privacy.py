"""Duplicates, merges, consents, privacy and birthdays; on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from infra.db import utcnow
from infra.errors import Gone, Moved, ValidationFailed
from infra.outbox import OutboxEvent
from services.customers.models import (
    Change,
    Consent,
    Contact,
    Interaction,
    InteractionContact,
    TimelineEntry,
)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def events(session, type: str) -> list[dict]:
    query = select(OutboxEvent.envelope).where(OutboxEvent.type == type)
    return list(session.scalars(query.order_by(OutboxEvent.sequence)))


def interaction_with(session, *contact_ids) -> Interaction:
    """An interaction row made directly: this file tests merges, not the interactions API."""
    interaction = Interaction(type="call", subject="Intro", occurred_at=datetime.now(UTC))
    interaction.contact_rows = [InteractionContact(contact_id=uuid.UUID(c)) for c in contact_ids]
    session.add(interaction)
    session.flush()
    return interaction


@pytest.fixture
def pair(service):
    account = service.create_account({"name": "Acme"})
    survivor = service.create_contact(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "tags": ["vip"],
            "account_id": account["id"],
        }
    )
    duplicate = service.create_contact(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada.l@example.com",
            "phone": "+44 20 7946 0000",
            "title": "Analyst",
            "tags": ["expo"],
            "account_id": account["id"],
        }
    )
    return survivor, duplicate


def test_similar_names_at_one_company_and_shared_emails_are_likely_duplicates(service, pair):
    survivor, duplicate = pair
    twin = service.create_contact(
        {"first_name": "Bob", "email": "ADA@example.com"}, {"allow_duplicate": True}
    )
    service.create_contact({"first_name": "Grace", "last_name": "Hopper"})

    found = service.list_duplicates({})["items"]

    by_reason = {item["reason"]: set(item["contact_ids"]) for item in found}
    assert by_reason["same_email"] == {survivor["id"], twin["id"]}
    assert by_reason["similar_name"] == {survivor["id"], duplicate["id"]}
    assert len(found) == 2


def test_merge_keeps_everything_and_redirects_the_old_id(service, session, pair):
    survivor, duplicate = pair
    service.record_consent(duplicate["id"], {"channel": "email", "status": "opted_out"})
    interaction = interaction_with(session, duplicate["id"])

    merged = service.merge_contacts(survivor["id"], {"duplicate_id": duplicate["id"]})

    assert merged["email"] == "ada@example.com" and merged["title"] == "Analyst"
    assert [e["address"] for e in merged["emails"]] == ["ada@example.com", "ada.l@example.com"]
    assert merged["phone"] == "+44 20 7946 0000"
    assert merged["tags"] == ["expo", "vip"]
    assert session.get(InteractionContact, (interaction.id, uuid.UUID(merged["id"]))) is not None
    consents = service.get_consents(survivor["id"], {})
    assert consents["channels"]["email"]["status"] == "opted_out"
    [event] = events(session, "contacts_merged")
    assert event["data"] == {"survivor_id": survivor["id"], "merged_id": duplicate["id"]}
    actions = select(Change.action).where(Change.record_id == uuid.UUID(survivor["id"]))
    assert session.scalars(actions.order_by(Change.id)).all()[-1] == "merged"
    with pytest.raises(Moved) as moved:
        service.get_contact(duplicate["id"])
    assert moved.value.extra["location_id"] == survivor["id"]
    assert count(session, Contact) == 1


@pytest.mark.parametrize("which", ["itself", "unknown", "merged", "not-a-uuid"])
def test_a_bad_merge_is_refused_and_changes_nothing(service, session, pair, which):
    survivor, duplicate = pair
    if which == "merged":
        service.merge_contacts(survivor["id"], {"duplicate_id": duplicate["id"]})
    before = count(session, OutboxEvent)
    duplicate_id = {
        "itself": survivor["id"],
        "unknown": "7d3b3c1e-0000-4000-8000-0000000000ff",
        "merged": duplicate["id"],
        "not-a-uuid": "42",
    }[which]

    with pytest.raises(ValidationFailed) as refused:
        service.merge_contacts(survivor["id"], {"duplicate_id": duplicate_id})

    assert "duplicate_id" in refused.value.errors
    assert count(session, OutboxEvent) == before


def test_consent_history_answers_as_of_any_date(service, session, pair):
    contact, _ = pair
    day = timedelta(days=1)
    now = datetime.now(UTC)
    service.record_consent(
        contact["id"],
        {
            "channel": "email",
            "status": "opted_in",
            "source": "web_form",
            "recorded_at": (now - 10 * day).isoformat(),
        },
    )
    service.record_consent(
        contact["id"],
        {
            "channel": "email",
            "status": "opted_out",
            "source": "unsubscribe_link",
            "recorded_at": (now - 2 * day).isoformat(),
        },
    )

    then = service.get_consents(contact["id"], {"as_of": (now - 5 * day).isoformat()})
    assert then["channels"]["email"]["status"] == "opted_in"
    assert then["channels"]["sms"] is None
    current = service.get_consents(contact["id"], {})
    assert current["channels"]["email"]["source"] == "unsubscribe_link"
    assert [c["status"] for c in current["history"]] == ["opted_out", "opted_in"]
    assert [e["data"]["status"] for e in events(session, "consent_changed")] == [
        "opted_in",
        "opted_out",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "fax", "status": "opted_in"}, "channel"),
        ({"channel": "email", "status": "maybe"}, "status"),
        ({"channel": "email", "status": "opted_in", "recorded_at": "yesterday"}, "recorded_at"),
        (
            {"channel": "email", "status": "opted_in", "recorded_at": "2999-01-01T00:00:00Z"},
            "recorded_at",
        ),
    ],
)
def test_a_bad_consent_is_refused_and_nothing_is_written(service, session, pair, data, field):
    with pytest.raises(ValidationFailed) as refused:
        service.record_consent(pair[0]["id"], data)

    assert field in refused.value.errors
    assert count(session, Consent) == 0


def test_personal_data_holds_everything_about_the_contact(service, session, pair):
    contact, duplicate = pair
    service.record_consent(contact["id"], {"channel": "sms", "status": "opted_in"})
    interaction_with(session, contact["id"])
    service.merge_contacts(contact["id"], {"duplicate_id": duplicate["id"]})

    data = service.get_personal_data(contact["id"])

    assert data["contact"]["email"] == "ada@example.com"
    assert [c["channel"] for c in data["consents"]] == ["sms"]
    assert [i["subject"] for i in data["interactions"]] == ["Intro"]
    assert [h["action"] for h in data["history"]] == ["created", "updated", "merged"]
    assert data["merged_from"] == [duplicate["id"]]


def test_erase_removes_personal_data_and_keeps_the_erasure(service, session, pair):
    contact, other = pair
    own = interaction_with(session, contact["id"])
    shared = interaction_with(session, contact["id"], other["id"])
    service.record_consent(contact["id"], {"channel": "email", "status": "opted_in"})

    service.erase_contact(contact["id"])

    with pytest.raises(Gone):
        service.get_contact(contact["id"])
    assert session.get(Interaction, own.id) is None
    assert session.get(Interaction, shared.id) is not None
    assert count(session, Consent) == 0
    erased_id = uuid.UUID(contact["id"])
    assert session.scalar(select(func.count()).where(Change.record_id == erased_id)) == 0
    assert session.scalar(select(func.count()).where(TimelineEntry.subject_id == erased_id)) == 0
    [erased] = events(session, "contact_erased")
    assert erased["data"]["id"] == contact["id"]
    [created] = [e for e in events(session, "contact_created") if e["data"]["id"] == contact["id"]]
    assert created["data"] == {"id": contact["id"], "erased": True}
    assert "ada@example.com" not in str(events(session, "contact_updated"))


def test_erase_takes_the_contacts_own_interactions_off_the_account_timeline(service, session, pair):
    contact, _ = pair
    call = service.create_interaction(
        {
            "type": "call",
            "direction": "inbound",
            "subject": "Private matter",
            "body": "Told us about their health",
            "contact_ids": [contact["id"]],
        }
    )

    service.erase_contact(contact["id"])

    assert "Private matter" not in str(session.scalars(select(TimelineEntry.data)).all())
    [created] = events(session, "interaction_created")
    assert created["data"] == {"id": call["id"], "erased": True}


def test_birthdays_are_announced_once_each(service, session):
    today = utcnow().date()  # the service's clock
    soon = service.create_contact(
        {"last_name": "Soon", "birthday": str((today + timedelta(days=2)).replace(year=1992))}
    )  # born in a leap year: any day of the year is a birthday then
    service.create_contact(
        {"last_name": "Later", "birthday": str((today + timedelta(days=30)).replace(year=1992))}
    )

    assert service.announce_birthdays() == 1
    assert service.announce_birthdays() == 0
    [event] = events(session, "contact_birthday_upcoming")
    assert event["data"]["contact_id"] == soon["id"] and event["data"]["days_until"] == 2
