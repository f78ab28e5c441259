"""The complete record: several emails and phones, tags, custom fields, duplicates, filters,
history; on SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from infra.db import utcnow
from infra.errors import Conflict, ValidationFailed
from infra.outbox import OutboxEvent
from services.customers.models import Change, Contact, ContactEmail, ContactTag, TimelineEntry
from services.customers.tests.conftest import SALES_REP


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def event_types(session) -> list[str]:
    return list(session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.sequence)))


def ids(page: dict) -> set[str]:
    return {item["id"] for item in page["items"]}


def test_a_contact_keeps_several_emails_and_phones_with_one_primary_each(service):
    contact = service.create_contact(
        {
            "first_name": "Wei",
            "last_name": "Zhang",
            "country": "cn",
            "emails": [
                {"address": " Wei@Example.com ", "label": "work"},
                {"address": "wei@home.example", "label": "home", "primary": True},
            ],
            "phones": [{"number": "152 8749 2460", "label": "mobile"}],
        }
    )

    assert contact["email"] == "wei@home.example"
    assert [e["address"] for e in contact["emails"]] == ["wei@home.example", "Wei@Example.com"]
    assert contact["phone"] == "152 8749 2460"
    assert contact["phones"][0]["normalized"] == "+8615287492460"
    assert contact["country"] == "CN"


def test_setting_the_primary_email_keeps_the_others(service):
    contact = service.create_contact(
        {"last_name": "Li", "emails": [{"address": "a@x.com"}, {"address": "b@x.com"}]}
    )

    updated = service.update_contact(contact["id"], {"email": "c@x.com"})

    assert updated["email"] == "c@x.com"
    assert [e["address"] for e in updated["emails"]] == ["c@x.com", "b@x.com"]
    assert updated["version"] == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"last_name": "Li", "emails": [{"address": "a@x.com", "primary": True}] * 2}, "emails"),
        ({"last_name": "Li", "email": "a@x.com", "emails": [{"address": "b@x.com"}]}, "email"),
        ({"last_name": "Li", "phones": [{"number": "no digits"}]}, "phones"),
        ({"last_name": "Li", "birthday": "2023-02-30"}, "birthday"),
        ({"last_name": "Li", "birthday": str(date.today() + timedelta(days=1))}, "birthday"),
        ({"last_name": "Li", "lifecycle_stage": "friend"}, "lifecycle_stage"),
        ({"last_name": "Li", "country": "China"}, "country"),
        ({"last_name": "Li", "tags": [""]}, "tags"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(service, session, data, field):
    with pytest.raises(ValidationFailed) as refused:
        service.create_contact(data)

    assert field in refused.value.errors
    assert count(session, Contact) == 0 and event_types(session) == []


def test_a_duplicate_email_or_phone_is_a_conflict_naming_the_existing_contact(service, session):
    first = service.create_contact(
        {"first_name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 0000"}
    )

    for data in (
        {"first_name": "Ada L.", "email": "  ADA@example.com"},
        {"first_name": "A.", "phone": "+442079460000"},
    ):
        with pytest.raises(Conflict) as refused:
            service.create_contact(data)
        assert refused.value.extra["existing"]["id"] == first["id"]
    assert count(session, Contact) == 1

    second = service.create_contact(
        {"first_name": "Ada L.", "email": "ada@example.com"}, {"allow_duplicate": True}
    )
    assert second["id"] != first["id"] and count(session, Contact) == 2


def test_tags_are_replaced_filtered_and_bulk_edited(service, session):
    a = service.create_contact({"last_name": "A", "tags": ["vip", "expo", "vip"]})
    b = service.create_contact({"last_name": "B", "tags": ["expo"]})
    service.create_contact({"last_name": "C"})

    assert a["tags"] == ["expo", "vip"]
    assert ids(service.list_contacts({"tag": "expo"})) == {a["id"], b["id"]}
    assert ids(service.list_contacts({"tag": ["expo", "vip"]})) == {a["id"]}

    result = service.tag_contacts({"operation": "add", "tags": ["2026"], "filter": {"tag": "expo"}})
    assert result == {"result": {"matched": 2, "changed": 2}}
    assert ids(service.list_contacts({"tag": "2026"})) == {a["id"], b["id"]}
    assert service.get_contact(a["id"])["version"] == 2

    result = service.tag_contacts({"operation": "remove", "tags": ["vip"], "ids": [a["id"]]})
    assert result == {"result": {"matched": 1, "changed": 1}}
    assert service.get_contact(a["id"])["tags"] == ["2026", "expo"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"operation": "rename", "tags": ["x"], "ids": []}, "operation"),
        ({"operation": "add", "tags": [], "filter": {}}, "tags"),
        ({"operation": "add", "tags": ["x"]}, "ids"),
        (
            {"operation": "add", "tags": ["x"], "filter": {"lifecycle_stage": "friend"}},
            "lifecycle_stage",
        ),
    ],
)
def test_a_bad_tag_operation_is_refused_and_changes_nothing(service, session, data, field):
    service.create_contact({"last_name": "A", "tags": ["expo"]})
    before = event_types(session)

    with pytest.raises(ValidationFailed) as refused:
        service.tag_contacts(data)

    assert field in refused.value.errors
    assert count(session, ContactTag) == 1 and event_types(session) == before


def test_custom_fields_are_checked_stored_and_filterable(service, session):
    service.create_custom_field({"entity": "contact", "name": "shoe_size", "type": "number"})
    service.create_custom_field(
        {"entity": "contact", "name": "region", "type": "select", "options": ["north", "south"]}
    )
    service.create_custom_field(
        {"entity": "contact", "name": "interests", "type": "multiselect", "options": ["a", "b"]}
    )
    service.create_custom_field({"entity": "contact", "name": "renewal", "type": "date"})
    service.create_custom_field({"entity": "contact", "name": "budget", "type": "decimal"})

    north = service.create_contact(
        {
            "last_name": "N",
            "custom_fields": {
                "shoe_size": 44,
                "region": "north",
                "interests": ["b", "a"],
                "renewal": "2027-01-31",
                "budget": "1200.50",
            },
        }
    )
    south = service.create_contact({"last_name": "S", "custom_fields": {"region": "south"}})

    assert north["custom_fields"]["interests"] == ["a", "b"]
    assert ids(service.list_contacts({"cf.region": "north"})) == {north["id"]}
    assert ids(service.list_contacts({"cf.shoe_size": "44"})) == {north["id"]}
    assert ids(service.list_contacts({"cf.interests": "b"})) == {north["id"]}

    updated = service.update_contact(
        south["id"], {"custom_fields": {"region": None, "shoe_size": 40}}
    )
    assert updated["custom_fields"] == {"shoe_size": 40}


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"unknown": 1}, "unknown"),
        ({"shoe_size": "big"}, "shoe_size"),
        ({"shoe_size": True}, "shoe_size"),
        ({"region": "east"}, "region"),
        ({"renewal": "31/01/2027"}, "renewal"),
        ({"budget": "lots"}, "budget"),
    ],
)
def test_a_bad_custom_value_is_refused_naming_the_field(service, session, values, name):
    service.create_custom_field({"entity": "contact", "name": "shoe_size", "type": "number"})
    service.create_custom_field(
        {"entity": "contact", "name": "region", "type": "select", "options": ["north"]}
    )
    service.create_custom_field({"entity": "contact", "name": "renewal", "type": "date"})
    service.create_custom_field({"entity": "contact", "name": "budget", "type": "decimal"})

    with pytest.raises(ValidationFailed) as refused:
        service.create_contact({"last_name": "X", "custom_fields": values})

    assert list(refused.value.errors["custom_fields"]) == [name]
    assert count(session, Contact) == 0


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"entity": "deal", "name": "x", "type": "text"}, "entity"),
        ({"entity": "contact", "name": "Bad Name", "type": "text"}, "name"),
        ({"entity": "contact", "name": "x", "type": "colour"}, "type"),
        ({"entity": "contact", "name": "x", "type": "select"}, "options"),
        ({"entity": "contact", "name": "x", "type": "text", "options": ["a"]}, "options"),
    ],
)
def test_a_bad_custom_field_definition_is_refused(service, definition, field):
    with pytest.raises(ValidationFailed) as refused:
        service.create_custom_field(definition)

    assert field in refused.value.errors
    assert service.list_custom_fields({})["items"] == []


def test_deleting_a_custom_field_removes_its_values(service):
    field = service.create_custom_field({"entity": "contact", "name": "region", "type": "text"})
    contact = service.create_contact({"last_name": "N", "custom_fields": {"region": "north"}})

    service.delete_custom_field(field["id"])

    assert service.get_contact(contact["id"])["custom_fields"] == {}


def test_a_custom_field_name_is_defined_once_per_entity(service):
    service.create_custom_field({"entity": "account", "name": "x", "type": "text"})
    service.create_custom_field({"entity": "contact", "name": "x", "type": "text"})

    with pytest.raises(Conflict) as refused:
        service.create_custom_field({"entity": "account", "name": "x", "type": "number"})
    assert "name" in refused.value.errors


def test_filters_on_stage_owner_country_and_dates(service):
    owner = "7d3b3c1e-0000-4000-8000-000000000002"
    lead = service.create_contact(
        {"last_name": "L", "lifecycle_stage": "lead", "owner_id": owner, "country": "DE"}
    )
    service.create_contact({"last_name": "C", "lifecycle_stage": "customer", "country": "CN"})

    assert ids(service.list_contacts({"lifecycle_stage": "lead"})) == {lead["id"]}
    assert ids(service.list_contacts({"owner_id": owner})) == {lead["id"]}
    assert ids(service.list_contacts({"country": "de"})) == {lead["id"]}
    assert len(service.list_contacts({"updated_after": lead["created_at"]})["items"]) == 2
    assert ids(service.list_contacts({"updated_before": lead["created_at"]})) == set()


def test_a_tag_and_a_country_list_the_tagged_contacts_of_that_country_as_it_changes(service):
    wei = service.create_contact({"last_name": "Zhang", "country": "CN", "tags": ["vip"]})
    ada = service.create_contact({"last_name": "Lovelace", "country": "GB", "tags": ["vip"]})
    charles = service.create_contact({"last_name": "Babbage", "country": "GB", "tags": ["news"]})

    assert ids(service.list_contacts({"tag": "vip", "country": "gb"})) == {ada["id"]}

    service.update_contact(wei["id"], {"country": "GB"})
    assert ids(service.list_contacts({"tag": "vip", "country": "GB"})) == {ada["id"], wei["id"]}
    assert ids(service.list_contacts({"tag": "vip", "country": "CN"})) == set()
    service.update_contact(ada["id"], {"country": None, "tags": ["vip", "news"]})
    assert ids(service.list_contacts({"tag": "news", "country": "GB"})) == {charles["id"]}
    assert ids(service.list_contacts({"tag": "vip", "country": "GB"})) == {wei["id"]}
    berlin = service.create_contact(
        {"last_name": "Weber", "country": "DE", "phone": "030 1234567", "tags": ["vip"]}
    )
    by_phone = {"tag": "vip", "country": "DE", "phone": "030 1234567"}
    assert ids(service.list_contacts(by_phone)) == {berlin["id"]}


def test_search_finds_names_emails_phones_and_company_in_any_case(service):
    account = service.create_account({"name": "黄石金承传媒有限公司"})
    ada = service.create_contact(
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    )
    fei = service.create_contact(
        {"first_name": "飞", "last_name": "朱", "phone": "15287492460", "account_id": account["id"]}
    )

    for q, expected in [
        ("ada love", ada),
        ("LOVE", ada),
        ("ADA@EXAMPLE", ada),
        ("朱飞", fei),
        ("金承", fei),
        ("5287492", fei),
        ("%", None),
    ]:
        assert ids(service.list_contacts({"q": q})) == ({expected["id"]} if expected else set())

    service.update_account(account["id"], {"name": "Renamed Media"})
    assert ids(service.list_contacts({"q": "renamed"})) == {fei["id"]}


def test_upcoming_birthdays_are_found_across_the_new_year(service):
    today = utcnow().date()  # the service's clock
    soon = service.create_contact(
        {"last_name": "Soon", "birthday": str((today + timedelta(days=3)).replace(year=1992))}
    )  # born in a leap year: any day of the year is a birthday then
    service.create_contact(
        {"last_name": "Later", "birthday": str((today + timedelta(days=40)).replace(year=1992))}
    )

    assert ids(service.list_contacts({"birthday_within": 7})) == {soon["id"]}


def test_every_write_is_kept_in_the_history_and_on_the_timeline(service, session):
    contact = service.create_contact({"first_name": "Ada", "email": "ada@example.com"})
    service.update_contact(contact["id"], {"first_name": "Augusta", "tags": ["vip"]})

    changes = session.scalars(select(Change).order_by(Change.id)).all()
    assert [c.action for c in changes] == ["created", "updated"]
    assert changes[1].fields == {"first_name": ["Ada", "Augusta"], "tags": [[], ["vip"]]}
    assert str(changes[1].user_id) == SALES_REP.user_id
    assert count(session, TimelineEntry) == 2


def test_normalized_emails_are_indexed_rows(service, session):
    service.create_contact({"first_name": "Ada", "email": " Ada@Example.COM "})

    assert session.scalar(select(ContactEmail.normalized)) == "ada@example.com"


def test_account_hierarchy_refuses_cycles(service, session):
    parent = service.create_account({"name": "Holding"})
    child = service.create_account({"name": "Subsidiary", "parent_id": parent["id"]})

    with pytest.raises(ValidationFailed) as refused:
        service.update_account(parent["id"], {"parent_id": child["id"]})
    assert "parent_id" in refused.value.errors
    with pytest.raises(ValidationFailed):
        service.update_account(parent["id"], {"parent_id": parent["id"]})
    with pytest.raises(ValidationFailed):
        service.create_account({"name": "X", "parent_id": "7d3b3c1e-0000-4000-8000-000000000009"})

    service.delete_account(parent["id"])
    assert service.get_account(child["id"])["parent_id"] is None


def test_a_tags_contacts_page_newest_first_with_cursors(service):
    made = [
        service.create_contact({"last_name": f"P{i}", "tags": ["expo", "vip"]}) for i in range(5)
    ]
    service.create_contact({"last_name": "Other", "tags": ["vip"]})

    first = service.list_contacts({"tag": ["expo", "vip"], "limit": 2})
    second = service.list_contacts({"tag": "expo", "limit": 2, "cursor": first["next_cursor"]})
    last = service.list_contacts({"tag": "expo", "limit": 2, "cursor": second["next_cursor"]})

    seen = [c["last_name"] for page in (first, second, last) for c in page["items"]]
    assert seen == [c["last_name"] for c in reversed(made)]
    assert last["next_cursor"] is None
    oldest_first = service.list_contacts({"tag": "expo", "sort": "created_at", "limit": 5})
    assert [c["last_name"] for c in oldest_first["items"]] == [c["last_name"] for c in made]
