import uuid

import pytest
from sqlalchemy import select

from infra.errors import Gone, Moved, NotFound, ValidationFailed
from services.customers import timeline
from services.customers.models import Erasure, Redirect, TimelineEntry
from services.customers.tests.conftest import SALES_REP
from services.customers.tests.test_contacts import count

UNKNOWN = "0b0e9a5c-64b4-4a51-8a5d-6c1f7c1f0000"


@pytest.fixture
def acme(service):
    return service.create_account({"name": "Acme"})


@pytest.fixture
def ada(service, acme):
    return service.create_contact({"first_name": "Ada", "account_id": acme["id"]})


def sales_event(type: str, data: dict, sequence: int = 1) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "crm/sales",
        "type": type,
        "time": "2026-03-02T10:00:00Z",
        "datacontenttype": "application/json",
        "sequence": sequence,
        "actorvia": "system",
        "data": data,
    }


def summaries(service, entity: str, record: dict, **params) -> list[str]:
    page = service.list_timeline(entity, record["id"], params)
    return [item["summary"] for item in page["items"]]


def test_a_contacts_timeline_is_newest_first_with_its_changes_and_interactions(service, ada):
    service.update_contact(ada["id"], {"title": "Analyst"})
    call = {"type": "call", "direction": "inbound", "contact_ids": [ada["id"]], "subject": "Hi"}
    service.create_interaction(call)

    page = service.list_timeline("contact", ada["id"], {})

    assert [item["summary"] for item in page["items"]] == [
        "Call (inbound): Hi",
        "Contact changed title",
        "Contact created",
    ]
    first = page["items"][0]
    assert list(first) == ["occurred_at", "kind", "source", "type", "summary", "data", "event_id"]
    assert first["kind"] == "interaction" and first["source"] == "customers"
    assert first["type"] == "interaction_created" and first["data"]["subject"] == "Hi"
    assert page["items"][1]["data"] == {"changes": {"title": [None, "Analyst"]}}
    assert page["next_cursor"] is None


def test_the_timeline_filters_by_kind(service, ada, acme):
    service.create_interaction({"type": "note", "account_id": acme["id"], "subject": "Visited"})

    assert summaries(service, "account", acme, kind=["interaction"]) == ["Note: Visited"]
    assert summaries(service, "account", acme, kind="change") == ["Account created"]
    assert len(summaries(service, "account", acme, kind=["change", "interaction"])) == 2
    assert summaries(service, "contact", ada, kind="deal") == []


def test_timeline_pages_cover_every_entry_once(service, ada):
    for number in range(6):
        service.update_contact(ada["id"], {"title": f"Title {number}"})

    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = service.list_timeline("contact", ada["id"], params)
        seen += [item["event_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"sort": "summary"}, "sort"),
    ],
)
def test_bad_timeline_parameters_name_the_field(service, ada, params, field):
    with pytest.raises(ValidationFailed) as refused:
        service.list_timeline("contact", ada["id"], params)

    assert list(refused.value.errors) == [field]


def test_unknown_merged_and_erased_records_have_no_timeline(service, session, ada):
    for entity in ("contact", "account"):
        with pytest.raises(NotFound):
            service.list_timeline(entity, UNKNOWN, {})
        with pytest.raises(NotFound):
            service.list_history(entity, "not-a-uuid", {})
    with pytest.raises(NotFound):
        service.list_timeline("interaction", ada["id"], {})
    merged, erased = uuid.uuid4(), uuid.uuid4()
    session.add_all(
        [Redirect(old_id=merged, survivor_id=uuid.UUID(ada["id"])), Erasure(contact_id=erased)]
    )
    session.flush()

    with pytest.raises(Moved) as moved:
        service.list_timeline("contact", str(merged), {})
    assert moved.value.extra["location_id"] == ada["id"]
    with pytest.raises(Gone):
        service.list_history("contact", str(erased), {})


def test_history_shows_who_changed_which_field_from_what_to_what(service, ada):
    service.update_contact(ada["id"], {"first_name": "Augusta", "title": "Countess"})
    service.update_contact(ada["id"], {"title": None})

    page = service.list_history("contact", ada["id"], {})

    cleared, renamed, created = page["items"]
    assert list(cleared) == ["changed_at", "action", "changes", "user_id", "via"]
    assert cleared["action"] == "updated" and cleared["changes"] == {"title": ["Countess", None]}
    assert renamed["changes"] == {"first_name": ["Ada", "Augusta"], "title": [None, "Countess"]}
    assert renamed["user_id"] == SALES_REP.user_id and renamed["via"] == "api"
    assert created["action"] == "created" and created["changes"] == {}
    assert renamed["changed_at"] <= cleared["changed_at"]
    first = service.list_history("contact", ada["id"], {"limit": 2})
    rest = service.list_history("contact", ada["id"], {"limit": 2, "cursor": first["next_cursor"]})
    assert rest["items"] == [created] and rest["next_cursor"] is None


def test_an_accounts_history_is_its_own(service, ada, acme):
    service.update_account(acme["id"], {"industry": "Retail"})

    actions = [item["action"] for item in service.list_history("account", acme["id"], {})["items"]]

    assert actions == ["updated", "created"]


def test_another_services_event_goes_on_the_timeline_of_each_known_subject(
    service, session, ada, acme
):
    grace = service.create_contact({"first_name": "Grace"})
    before = count(session, TimelineEntry)
    event = sales_event(
        "opportunity_won",
        {
            "name": "Big deal",
            "amount": "12000.00",
            "currency": "EUR",
            "account_id": acme["id"],
            "primary_contact_id": ada["id"],
            "contact_ids": [ada["id"], grace["id"], UNKNOWN, "not-a-uuid", 7],
        },
    )

    timeline.project(session, event)

    for entity, record in (("account", acme), ("contact", ada), ("contact", grace)):
        [item] = service.list_timeline(entity, record["id"], {"kind": "deal"})["items"]
        assert item["summary"] == "Opportunity won: Big deal (12000.00 EUR)"
        assert item["source"] == "sales" and item["type"] == "opportunity_won"
        assert item["event_id"] == event["id"] and item["data"] == event["data"]
        assert item["occurred_at"] == "2026-03-02T10:00:00+00:00"
    assert count(session, TimelineEntry) == before + 3


def test_a_projected_event_applied_twice_is_on_the_timeline_once(service, session, ada):
    event = sales_event("order_paid", {"contact_id": ada["id"], "number": "SO-7"})

    timeline.project(session, event)
    timeline.project(session, event)

    assert summaries(service, "contact", ada, kind="order") == ["Order paid: SO-7"]


def test_an_event_naming_a_merged_contact_goes_to_the_survivor(service, session, ada):
    merged = uuid.uuid4()
    session.add(Redirect(old_id=merged, survivor_id=uuid.UUID(ada["id"])))
    session.flush()

    timeline.project(session, sales_event("ticket_opened", {"contact_id": str(merged)}))

    assert summaries(service, "contact", ada, kind="ticket") == ["Ticket opened"]


@pytest.mark.parametrize(
    "data", [{}, {"contact_id": UNKNOWN}, {"account_id": None, "contact_ids": "nope"}]
)
def test_an_event_about_nobody_this_service_knows_adds_nothing(service, session, ada, data):
    before = count(session, TimelineEntry)

    timeline.project(session, sales_event("quote_sent", data))

    assert count(session, TimelineEntry) == before
    assert session.scalar(select(TimelineEntry).where(TimelineEntry.source == "sales")) is None


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("opportunity_lost", "deal"),
        ("order_placed", "order"),
        ("quote_sent", "order"),
        ("ticket_resolved", "ticket"),
        ("campaign_message_sent", "campaign"),
        ("email_clicked", "campaign"),
        ("form_submitted", "campaign"),
        ("lead_converted", "lead"),
        ("activity_completed", "activity"),
        ("survey_answered", "other"),
    ],
)
def test_the_kind_comes_from_the_event_types_first_word(event_type, kind):
    assert timeline.kind_of(event_type) == kind


@pytest.mark.parametrize(
    ("event_type", "data", "summary"),
    [
        (
            "order_placed",
            {"number": "SO-1", "total": "99.50", "currency": "CNY"},
            "Order placed: SO-1 (99.50 CNY)",
        ),
        ("ticket_opened", {"subject": "打印机坏了"}, "Ticket opened: 打印机坏了"),
        ("opportunity_lost", {"name": "", "title": "Renewal"}, "Opportunity lost: Renewal"),
        ("quote_sent", {"amount": 0}, "Quote sent (0)"),
        ("email_opened", {"name": {"odd": "shape"}}, "Email opened"),
    ],
)
def test_summaries_read_well_from_whatever_the_data_has(event_type, data, summary):
    assert timeline.summary_of(event_type, data) == summary
