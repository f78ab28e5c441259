import base64
import json

import pytest
from sqlalchemy import func, select

from infra.errors import NotFound, PreconditionFailed, ValidationFailed
from infra.outbox import OutboxEvent
from services.customers.models import Contact
from services.customers.tests.conftest import SALES_REP


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def events(session) -> list[dict]:
    return [e.envelope for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.sequence))]


def test_create_returns_the_record_and_records_its_event(service, session):
    contact = service.create_contact(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "title": "Analyst",
        }
    )

    assert contact["first_name"] == "Ada" and contact["version"] == 1
    assert contact["created_at"].endswith("+00:00")
    [envelope] = events(session)
    assert envelope["type"] == "contact_created"
    assert envelope["source"] == "crm/customers"
    assert envelope["specversion"] == "1.0" and envelope["sequence"] == 1
    assert envelope["data"]["id"] == contact["id"]
    assert (envelope["actorid"], envelope["actorroles"], envelope["actorvia"]) == (
        SALES_REP.user_id,
        "sales",
        "api",
    )


@pytest.mark.parametrize(
    ("data", "bad_fields"),
    [
        ({"first_name": "Ada", "email": "not-an-email"}, {"email"}),
        ({"email": "nobody@example.com"}, {"first_name", "last_name"}),
        ({"first_name": "", "last_name": ""}, {"first_name", "last_name"}),
        ({"last_name": "Li", "account_id": "not-a-uuid"}, {"account_id"}),
        ({"last_name": "Li", "shoe_size": 44}, {"shoe_size"}),
        ({"last_name": "x" * 101}, {"last_name"}),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(service, session, data, bad_fields):
    with pytest.raises(ValidationFailed) as refused:
        service.create_contact(data)

    assert set(refused.value.errors) == bad_fields
    assert count(session, Contact) == 0
    assert events(session) == []


def test_an_account_that_does_not_exist_is_refused(service, session):
    with pytest.raises(ValidationFailed) as refused:
        service.create_contact(
            {"last_name": "Li", "account_id": "0b0e9a5c-64b4-4a51-8a5d-6c1f7c1f0000"}
        )

    assert list(refused.value.errors) == ["account_id"]
    assert count(session, Contact) == 0


def test_update_records_what_changed(service, session):
    contact = service.create_contact({"first_name": "Ada", "last_name": "Byron"})

    updated = service.update_contact(contact["id"], {"last_name": "Lovelace"}, 1)

    assert updated["last_name"] == "Lovelace" and updated["version"] == 2
    envelope = events(session)[-1]
    assert envelope["type"] == "contact_updated" and envelope["sequence"] == 2
    assert envelope["data"]["changes"] == {"last_name": ["Byron", "Lovelace"]}


def test_a_stale_version_is_refused_and_nothing_changes(service, session):
    contact = service.create_contact({"first_name": "Ada", "last_name": "Byron"})
    service.update_contact(contact["id"], {"title": "Countess"}, 1)

    with pytest.raises(PreconditionFailed):
        service.update_contact(contact["id"], {"last_name": "Lovelace"}, 1)

    assert service.get_contact(contact["id"])["last_name"] == "Byron"
    assert [e["type"] for e in events(session)] == ["contact_created", "contact_updated"]


def test_an_update_may_not_remove_both_names(service, session):
    contact = service.create_contact({"first_name": "Ada"})

    with pytest.raises(ValidationFailed):
        service.update_contact(contact["id"], {"first_name": None})

    assert service.get_contact(contact["id"])["first_name"] == "Ada"


def test_an_update_that_changes_nothing_keeps_the_version(service, session):
    contact = service.create_contact({"first_name": "Ada"})

    assert service.update_contact(contact["id"], {"first_name": "Ada"})["version"] == 1
    assert len(events(session)) == 1


def test_delete_then_not_found(service, session):
    contact = service.create_contact({"first_name": "Ada"})

    service.delete_contact(contact["id"])

    with pytest.raises(NotFound):
        service.get_contact(contact["id"])
    assert events(session)[-1]["type"] == "contact_deleted"
    with pytest.raises(NotFound):
        service.get_contact("not-a-uuid")


def test_search_finds_chinese_names_by_one_character_and_latin_case_insensitively(service):
    acme = service.create_account({"name": "Acme Trading"})
    service.create_contact({"first_name": "伟", "last_name": "张", "email": "zhang@example.cn"})
    service.create_contact({"first_name": "Ada", "last_name": "Lovelace", "account_id": acme["id"]})
    service.create_contact({"first_name": "Grace", "last_name": "Hopper"})

    def names(**params):
        return [c["last_name"] for c in service.list_contacts(params)["items"]]

    assert names(q="张") == ["张"]
    assert names(q="伟") == ["张"]
    assert names(q="LOVE") == ["Lovelace"]
    assert names(q="ada lovelace") == ["Lovelace"]
    assert names(q="acme") == ["Lovelace"]
    assert names(q="zhang@") == ["张"]
    assert names(q="%") == []
    assert names(account_id=acme["id"]) == ["Lovelace"]
    assert names(sort="last_name") == ["Hopper", "Lovelace", "张"]


def test_cursor_pages_cover_every_contact_once(service):
    made = {service.create_contact({"last_name": f"Name {i:02}"})["id"] for i in range(7)}

    seen, cursor = [], None
    while True:
        params = {"limit": 3, "sort": "-last_name", **({"cursor": cursor} if cursor else {})}
        page = service.list_contacts(params)
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 7 and set(seen) == made


def forged_cursor(value, row_id) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, row_id]).encode()).decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": forged_cursor({"dt": "2026-01-01T00:00:00+00:00"}, "not-a-uuid")}, "cursor"),
        ({"cursor": forged_cursor("not-a-date", "6c5ad0d4-3f3c-4c53-9f0e-000000000000")}, "cursor"),
        ({"cursor": forged_cursor("Li", "6c5ad0d4-3f3c-4c53-9f0e-000000000000")}, "cursor"),
        ({"sort": "password"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"created_after": "yesterday"}, "created_after"),
    ],
)
def test_bad_list_parameters_name_the_field(service, params, field):
    with pytest.raises(ValidationFailed) as refused:
        service.list_contacts(params)

    assert field in refused.value.errors


def test_events_since_reads_the_log_in_order(service):
    for i in range(5):
        service.create_contact({"last_name": f"C{i}"})

    assert [e["sequence"] for e in service.events_since(0, 100)] == [1, 2, 3, 4, 5]
    assert [e["sequence"] for e in service.events_since(2, 2)] == [3, 4]
    assert service.events_since(5) == []
