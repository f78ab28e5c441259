"""Interactions, timelines and change histories through the gateway, and other services' events
arriving on the timelines, with the customers service running against the real broker."""

import uuid

import pika
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from infra import outbox
from infra.db import Base as PlatformBase
from infra.db import engine_for, session_factory
from infra.service import CrmService, rpc
from infra.testing import wait_for
from services.customers.models import Redirect
from services.customers.service import PROJECTED_SOURCES, CustomersService

INTERACTIONS = "/api/v1/interactions"
CONTACTS = "/api/v1/contacts"
ACCOUNTS = "/api/v1/accounts"
UNKNOWN = "6c5ad0d4-3f3c-4c53-9f0e-000000000000"


@pytest.fixture
def acme(api):
    return api.post(ACCOUNTS, json={"name": "Acme", "owner_id": None}).json  # everyone's


@pytest.fixture
def ada(api, acme):
    ada = {"first_name": "Ada", "account_id": acme["id"], "owner_id": None}  # everyone's
    return api.post(CONTACTS, json=ada).json


def user_id(api, role: str) -> str:
    api.headers(role)
    users = api.get("/api/v1/users").json
    return next(user["id"] for user in users if user["role"] == role)


def timeline(api, path: str, **query) -> list[dict]:
    response = api.get(f"{path}/timeline", role="viewer", query_string=query)
    assert response.status_code == 200, response.json
    return response.json["items"]


def interaction_count(api) -> int:
    return len(api.get(INTERACTIONS, query_string={"limit": 200}).json["items"])


def test_log_read_change_and_delete_a_call(api, ada, acme):
    created = api.post(
        INTERACTIONS,
        role="sales",
        json={
            "type": "call",
            "direction": "outbound",
            "subject": "Renewal",
            "contact_ids": [ada["id"]],
            "occurred_at": "2026-03-02T09:30:00+08:00",
        },
    )
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    assert created.json["account_id"] == acme["id"]
    assert created.json["occurred_at"] == "2026-03-02T01:30:00+00:00"
    assert created.json["user_id"] == user_id(api, "sales")
    url = created.headers["Location"]
    assert url.endswith(f"{INTERACTIONS}/{created.json['id']}")

    read = api.get(url, role="viewer")
    assert read.status_code == 200 and read.json == created.json

    changed = api.patch(
        url, role="support", headers={"If-Match": '"1"'}, json={"subject": "Renewal, 3 years"}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    stale = api.patch(url, headers={"If-Match": '"1"'}, json={"subject": "Lost"})
    assert stale.status_code == 412
    assert api.get(url).json["subject"] == "Renewal, 3 years"

    assert api.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert api.get(url).status_code == 404
    assert [item["kind"] for item in timeline(api, f"{CONTACTS}/{ada['id']}")] == ["change"]


def test_an_idempotency_key_logs_a_retried_interaction_once(api, acme):
    headers = {"Idempotency-Key": "note-1"}
    body = {"type": "note", "account_id": acme["id"], "body": "Met at the fair."}

    first = api.post(INTERACTIONS, headers=headers, json=body)
    again = api.post(INTERACTIONS, headers=headers, json=body)

    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and interaction_count(api) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"type": "fax"}, {"type"}),
        ({"occurred_at": "tuesday"}, {"occurred_at"}),
        ({"occurred_at": "2026-03-02T09:30:00"}, {"occurred_at"}),
        ({"contact_ids": [UNKNOWN]}, {"contact_ids"}),
        ({"contact_ids": []}, {"contact_ids"}),
        ({"account_id": UNKNOWN}, {"account_id"}),
        ({"direction": None}, {"direction"}),
        ({"user_id": UNKNOWN}, {"user_id"}),
    ],
)
def test_bad_interactions_are_422_naming_each_field_and_write_nothing(api, ada, body, fields):
    call = {"type": "call", "direction": "inbound", "contact_ids": [ada["id"]], **body}

    response = api.post(INTERACTIONS, json=call)

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == fields
    assert interaction_count(api) == 0
    assert [item["kind"] for item in timeline(api, f"{CONTACTS}/{ada['id']}")] == ["change"]


def test_a_bad_change_is_422_and_changes_nothing(api, ada):
    url = api.post(
        INTERACTIONS, json={"type": "sms", "direction": "inbound", "contact_ids": [ada["id"]]}
    ).headers["Location"]

    for changes, field in (({"contact_ids": [UNKNOWN]}, "contact_ids"), ({"type": "x"}, "type")):
        response = api.patch(url, json=changes)
        assert response.status_code == 422 and list(response.json["errors"]) == [field]
    assert api.get(url).json["version"] == 1


def test_a_viewer_reads_interactions_but_cannot_log_one(api, acme):
    response = api.post(
        INTERACTIONS, role="viewer", json={"type": "note", "account_id": acme["id"]}
    )

    assert response.status_code == 403 and interaction_count(api) == 0
    assert api.get(INTERACTIONS, role="viewer").status_code == 200


def test_interactions_filter_by_contact_type_and_time(api, ada, acme):
    for when, kind in (("2026-03-01", "visit"), ("2026-03-02", "meeting"), ("2026-03-03", "note")):
        body = {"type": kind, "contact_ids": [ada["id"]], "occurred_at": f"{when}T10:00:00Z"}
        assert api.post(INTERACTIONS, json=body).status_code == 201
    api.post(INTERACTIONS, json={"type": "note", "account_id": acme["id"]})

    def types(**query):
        response = api.get(INTERACTIONS, query_string=query)
        assert response.status_code == 200, response.json
        return [item["type"] for item in response.json["items"]]

    assert types(contact_id=ada["id"]) == ["note", "meeting", "visit"]
    assert types(contact_id=ada["id"], sort="occurred_at", limit=1) == ["visit"]
    assert types(type="meeting") == ["meeting"]
    assert types(occurred_after="2026-03-02T00:00:00Z", occurred_before="2026-03-03") == ["meeting"]
    for query in ({"type": "fax"}, {"contact_id": "x"}, {"sort": "body"}, {"cursor": "bad"}):
        response = api.get(INTERACTIONS, query_string=query)
        assert response.status_code == 422 and list(response.json["errors"]) == list(query)


def test_timelines_of_a_contact_and_its_account(api, ada, acme):
    api.patch(f"{CONTACTS}/{ada['id']}", json={"title": "Analyst"})
    body = {"type": "meeting", "contact_ids": [ada["id"]], "subject": "Kick-off"}
    api.post(INTERACTIONS, role="sales", json=body)

    items = timeline(api, f"{CONTACTS}/{ada['id']}")

    assert [item["summary"] for item in items] == [
        "Meeting: Kick-off",
        "Contact changed title",
        "Contact created",
    ]
    assert list(items[0]) == [
        "occurred_at",
        "kind",
        "source",
        "type",
        "summary",
        "data",
        "event_id",
    ]
    assert [item["summary"] for item in timeline(api, f"{ACCOUNTS}/{acme['id']}")] == [
        "Meeting: Kick-off",
        "Account created",
    ]
    only = timeline(api, f"{ACCOUNTS}/{acme['id']}", kind="interaction")
    assert [item["type"] for item in only] == ["interaction_created"]
    first = api.get(f"{CONTACTS}/{ada['id']}/timeline", query_string={"limit": 2}).json
    rest = api.get(
        f"{CONTACTS}/{ada['id']}/timeline",
        query_string={"limit": 2, "cursor": first["next_cursor"]},
    ).json
    assert [item["summary"] for item in rest["items"]] == ["Contact created"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"limit": "1000"}, "limit"),
        ({"sort": "kind"}, "sort"),
    ],
)
def test_bad_timeline_queries_are_422_naming_the_field(api, ada, query, field):
    response = api.get(f"{CONTACTS}/{ada['id']}/timeline", query_string=query)

    assert response.status_code == 422 and list(response.json["errors"]) == [field]


@pytest.mark.parametrize("path", [CONTACTS, ACCOUNTS])
@pytest.mark.parametrize("what", ["timeline", "history"])
def test_an_unknown_record_has_no_timeline_nor_history(api, path, what):
    for record_id in (UNKNOWN, "not-a-uuid"):
        response = api.get(f"{path}/{record_id}/{what}")
        assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_merged_contacts_timeline_redirects_to_the_survivors(api, ada, database_url, backend):
    merged = uuid.uuid4()
    with session_factory(database_url("customers", backend)).begin() as session:
        session.add(Redirect(old_id=merged, survivor_id=uuid.UUID(ada["id"])))

    response = api.get(f"{CONTACTS}/{merged}/timeline", query_string={"limit": 5})

    assert response.status_code == 308
    assert response.headers["Location"] == f"{CONTACTS}/{ada['id']}/timeline?limit=5"


def test_history_shows_old_and_new_values_and_who_changed_them(api, ada, acme):
    api.patch(f"{CONTACTS}/{ada['id']}", role="marketing", json={"first_name": "Augusta"})
    api.patch(f"{ACCOUNTS}/{acme['id']}", role="support", json={"industry": "Retail"})

    response = api.get(f"{CONTACTS}/{ada['id']}/history", role="viewer")

    assert response.status_code == 200
    updated, created = response.json["items"]
    assert updated["action"] == "updated" and created["action"] == "created"
    assert updated["changes"] == {"first_name": ["Ada", "Augusta"]}
    assert updated["user_id"] == user_id(api, "marketing") and updated["via"] == "api"
    [account_change, _] = api.get(f"{ACCOUNTS}/{acme['id']}/history").json["items"]
    assert account_change["changes"] == {"industry": [None, "Retail"]}
    assert account_change["user_id"] == user_id(api, "support")
    page = api.get(f"{CONTACTS}/{ada['id']}/history", query_string={"limit": 1}).json
    assert page["items"] == [updated] and page["next_cursor"]
    bad = api.get(f"{CONTACTS}/{ada['id']}/history", query_string={"cursor": "nope"})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["cursor"]


class FakeSupport(CrmService):
    """Stands in for the support service, not built yet: publishes what it is told, through
    its outbox."""

    name = "support"

    @rpc
    def publish(self, type: str, data: dict) -> None:
        outbox.record(self.db, self.name, type, data, self.caller.as_dict())
        self.db.commit()


@pytest.fixture(scope="session")
def support_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('support')}/support.db"
    from infra import consumer  # noqa: F401  (its table joins the platform metadata)

    PlatformBase.metadata.create_all(engine_for(url))
    with session_factory(url).begin() as session:
        session.add(outbox.EventCounter(id=1, last_sequence=0))
    return url


def test_other_services_events_reach_the_timelines_they_name(
    api, ada, acme, start_service, support_url, amqp_uri
):
    start_service(FakeSupport, DATABASE_URL=support_url)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as cluster:
        cluster.support.publish(
            "ticket_opened",
            {"title": "Printer on fire", "account_id": acme["id"], "contact_id": ada["id"]},
        )
        cluster.support.publish("ticket_opened", {"contact_id": UNKNOWN, "title": "Nobody"})
        cluster.support.publish("ticket_resolved", {"contact_ids": [ada["id"]], "number": "T-7"})

    wait_for(lambda: len(timeline(api, f"{CONTACTS}/{ada['id']}")) == 3)

    resolved, opened, created = timeline(api, f"{CONTACTS}/{ada['id']}")
    assert opened["summary"] == "Ticket opened: Printer on fire"
    assert opened["source"] == "support" and opened["kind"] == "ticket"
    assert resolved["summary"] == "Ticket resolved: T-7"
    assert created["type"] == "contact_created"
    account = timeline(api, f"{ACCOUNTS}/{acme['id']}")
    assert [item["kind"] for item in account] == ["ticket", "change"]
    assert account[0]["event_id"] == opened["event_id"]


def test_a_won_deal_reaches_the_timelines_of_its_account_and_contact(api, ada, acme):
    stages = api.get("/api/v1/pipelines").json["items"][0]["stages"]
    won = next(stage for stage in stages if stage["outcome"] == "won")
    deal = api.post(
        "/api/v1/opportunities",
        role="sales",
        json={
            "name": "Big deal",
            "account_id": acme["id"],
            "primary_contact_id": ada["id"],
            "amount": "12000.00",
            "currency": "EUR",
            "stage_id": won["id"],
        },
    )
    assert deal.status_code == 201, deal.json

    def deals(path: str) -> list[str]:
        return [item["summary"] for item in timeline(api, path, kind="deal")]

    # Created, then won: two events, projected one after the other. Wait for the one asserted.
    won_deal = "Opportunity won: Big deal (12000.00 EUR)"
    wait_for(lambda: won_deal in deals(f"{ACCOUNTS}/{acme['id']}"))
    assert won_deal in deals(f"{CONTACTS}/{ada['id']}")  # projected in the same transaction


def test_the_service_starts_before_the_services_it_follows_ever_published(
    api, customers, start_service
):
    customers.kill()
    with pika.BlockingConnection(pika.URLParameters(customers.config["AMQP_URI"])) as connection:
        channel = connection.channel()
        for source in PROJECTED_SOURCES:
            channel.exchange_delete(f"{source}.events")

    restarted = start_service(CustomersService)

    assert restarted is not customers and not restarted._died.ready()
    assert api.get(CONTACTS).status_code == 200
    with pika.BlockingConnection(pika.URLParameters(customers.config["AMQP_URI"])) as connection:
        channel = connection.channel()
        for source in PROJECTED_SOURCES:
            channel.exchange_declare(f"{source}.events", passive=True)


def test_the_openapi_document_describes_activity(api):
    spec = api.client.get("/api/v1/openapi.json").json

    for path in ("/api/v1/interactions", "/api/v1/interactions/{record_id}"):
        assert path in spec["paths"], path
    for entity in ("contacts", "accounts"):
        for what in ("timeline", "history"):
            get = spec["paths"][f"/api/v1/{entity}/{{record_id}}/{what}"]["get"]
            assert "Roles:" in get["description"] and get["security"]
    schemas = spec["components"]["schemas"]
    assert {"InteractionCreate", "TimelineEntryPage", "ChangePage"} <= set(schemas)
