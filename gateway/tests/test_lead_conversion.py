"""Converting leads through the gateway, with the sales and customers services running on the
real broker (SQLite and PostgreSQL): the contact, account and opportunity it makes or reuses,
its refusals, and its saga: a failure half-way leaves nothing behind, a retry makes nothing
twice."""

import uuid

import eventlet

from infra.testing import wait_for
from services.sales.conversions import CONVERSION_IDS

LEADS = "/api/v1/leads"
CONTACTS = "/api/v1/contacts"
ACCOUNTS = "/api/v1/accounts"
DEAL = {"amount": "25000.00", "currency": "EUR", "expected_close_date": "2026-12-31"}


def qualified_lead(api, **data) -> dict:
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@engines.example",
        "phone": "+44 20 7946 0000",
        "title": "CTO",
        "company": "Analytical Engines",
        "company_size": "11-50",
        "country": "GB",
        "source": "expo",
        "campaign": "london-2026",
        **data,
    }
    lead = api.post(LEADS, role="sales", json=body)
    assert lead.status_code == 201, lead.json
    qualified = api.patch(f"{LEADS}/{lead.json['id']}", role="sales", json={"status": "qualified"})
    return qualified.json


def convert(api, lead: dict, body: dict | None = None, role: str = "sales"):
    return api.post(f"{LEADS}/{lead['id']}/convert", role=role, json=body or {})


def items(api, path: str) -> list[dict]:
    return api.get(path, query_string={"limit": 200}).json["items"]


def test_a_qualified_lead_becomes_a_contact_and_an_account(api):
    lead = qualified_lead(api)

    converted = convert(api, lead)

    assert converted.status_code == 200, converted.json
    assert converted.json["opportunity_id"] is None
    contact = api.get(f"{CONTACTS}/{converted.json['contact_id']}").json
    account = api.get(f"{ACCOUNTS}/{converted.json['account_id']}").json
    assert (contact["first_name"], contact["email"], contact["title"]) == (
        "Ada",
        "ada@engines.example",
        "CTO",
    )
    assert (
        contact["account_id"] == account["id"] and contact["account_name"] == "Analytical Engines"
    )
    assert (account["size"], account["country"]) == ("11-50", "GB")
    read = api.get(f"{LEADS}/{lead['id']}").json
    assert read["status"] == "converted" and read["converted_at"]
    assert (read["contact_id"], read["account_id"]) == (contact["id"], account["id"])
    [event] = [e for e in api.events("sales") if e["type"] == "lead_converted"]
    assert event["data"]["contact_id"] == contact["id"]
    assert event["data"]["account_id"] == account["id"]


def test_with_an_opportunity_in_the_default_pipeline(api):
    lead = qualified_lead(api)

    converted = convert(api, lead, {"create_opportunity": True, "opportunity": DEAL})

    assert converted.status_code == 200, converted.json
    opportunity = api.get(f"/api/v1/opportunities/{converted.json['opportunity_id']}").json
    assert opportunity["name"] == "Analytical Engines"
    assert (opportunity["amount"], opportunity["currency"]) == ("25000.00", "EUR")
    assert opportunity["account_id"] == converted.json["account_id"]
    assert opportunity["primary_contact_id"] == converted.json["contact_id"]
    assert opportunity["lead_id"] == lead["id"]
    assert (opportunity["source"], opportunity["campaign"]) == ("expo", "london-2026")
    assert api.get(f"{LEADS}/{lead['id']}").json["opportunity_id"] == opportunity["id"]


def test_an_existing_contact_and_account_are_reused(api):
    account = api.post(ACCOUNTS, json={"name": "analytical engines"}).json
    contact = api.post(CONTACTS, json={"last_name": "Byron", "email": "ADA@Engines.example"}).json
    lead = qualified_lead(api)

    converted = convert(api, lead).json

    assert converted["contact_id"] == contact["id"]
    assert converted["account_id"] == account["id"]
    assert len(items(api, CONTACTS)) == 1 and len(items(api, ACCOUNTS)) == 1


def test_refusals_name_the_field_and_write_nothing(api):
    new = api.post(LEADS, role="sales", json={"last_name": "Li", "company": "Acme"}).json
    nameless_company = qualified_lead(api, company=None, email="li@example.com")
    lead = qualified_lead(api, email="wu@example.com")
    for target, body, field in [
        (new, {}, "status"),
        (nameless_company, {}, "company"),
        (lead, {"create_opportunity": True}, "opportunity"),
        (lead, {"opportunity": {**DEAL, "currency": "ABC"}}, "opportunity"),
        (lead, {"opportunity": {**DEAL, "amount": "-1"}}, "opportunity"),
        (lead, {"create_opportunity": False, "opportunity": DEAL}, "create_opportunity"),
        (lead, {"opportunity": {**DEAL, "stage_id": "first"}}, "opportunity"),
    ]:
        refused = convert(api, target, body)
        assert refused.status_code == 422, (body, refused.json)
        assert list(refused.json["errors"]) == [field], body
    assert convert(api, lead, role="viewer").status_code == 403
    assert items(api, CONTACTS) == [] and items(api, ACCOUNTS) == []
    assert api.get(f"{LEADS}/{lead['id']}").json["status"] == "qualified"


def test_converting_twice_is_refused(api):
    lead = qualified_lead(api)
    assert convert(api, lead).status_code == 200

    again = convert(api, lead)
    changed = api.patch(f"{LEADS}/{lead['id']}", role="sales", json={"status": "qualified"})

    assert again.status_code == 422 and list(again.json["errors"]) == ["status"]
    assert "converts once" in again.json["detail"]
    assert changed.status_code == 422 and list(changed.json["errors"]) == ["status"]
    assert len(items(api, CONTACTS)) == 1 and len(items(api, ACCOUNTS)) == 1


def test_a_failure_half_way_leaves_nothing_and_the_retry_succeeds_once(api):
    lead = qualified_lead(api)
    unknown_stage = {"opportunity": {**DEAL, "stage_id": str(uuid.uuid4())}}

    failed = convert(api, lead, unknown_stage)

    assert failed.status_code == 422 and list(failed.json["errors"]) == ["stage_id"]
    assert items(api, CONTACTS) == [] and items(api, ACCOUNTS) == []
    assert api.get(f"{LEADS}/{lead['id']}").json["status"] == "qualified"
    assert not [e for e in api.events("sales") if e["type"] == "lead_converted"]

    retried = convert(api, lead, {"opportunity": DEAL})

    assert retried.status_code == 200, retried.json
    assert [c["id"] for c in items(api, CONTACTS)] == [retried.json["contact_id"]]
    assert [a["id"] for a in items(api, ACCOUNTS)] == [retried.json["account_id"]]
    assert len(items(api, "/api/v1/opportunities")) == 1


def test_what_an_interrupted_attempt_made_is_taken_up_by_the_retry(api):
    """An attempt that made the account and the contact, then died before either finishing
    or undoing: the retry finds them by their ids and makes nothing twice."""
    lead = qualified_lead(api)
    rpc = api.client.application.extensions["crm_rpc"]
    account = rpc.call(
        "customers",
        "create_account",
        {"name": "Analytical Engines"},
        {"id": str(uuid.uuid5(CONVERSION_IDS, f"{lead['id']}/account"))},
    )
    contact = rpc.call(
        "customers",
        "create_contact",
        {"last_name": "Lovelace", "first_name": "Ada"},
        {"id": str(uuid.uuid5(CONVERSION_IDS, f"{lead['id']}/contact"))},
    )

    converted = convert(api, lead).json

    assert (converted["account_id"], converted["contact_id"]) == (account["id"], contact["id"])
    assert len(items(api, CONTACTS)) == 1 and len(items(api, ACCOUNTS)) == 1


def test_two_conversions_at_once_convert_the_lead_once(api):
    lead = qualified_lead(api)

    attempts = [eventlet.spawn(convert, api, lead) for _ in range(2)]
    statuses = sorted(attempt.wait().status_code for attempt in attempts)

    assert statuses == [200, 422]
    assert len(items(api, CONTACTS)) == 1 and len(items(api, ACCOUNTS)) == 1
    converted = [e for e in api.events("sales") if e["type"] == "lead_converted"]
    assert len(converted) == 1


def test_a_merged_contact_is_followed_and_an_erased_one_forgotten(api):
    lead_id = qualified_lead(api)["id"]
    converted = convert(api, {"id": lead_id}, {"opportunity": DEAL}).json
    deal_url = f"/api/v1/opportunities/{converted['opportunity_id']}"
    survivor = api.post(CONTACTS, json={"first_name": "Ada", "last_name": "King"}).json
    merge = {"duplicate_id": converted["contact_id"]}
    assert api.post(f"{CONTACTS}/{survivor['id']}/merge", json=merge).status_code == 200

    def deal_contact():
        return api.get(deal_url).json["primary_contact_id"]

    wait_for(lambda: deal_contact() == survivor["id"])
    assert api.get(f"{LEADS}/{lead_id}").json["contact_id"] == survivor["id"]

    assert api.post(f"{CONTACTS}/{survivor['id']}/erase").status_code == 204
    wait_for(lambda: deal_contact() is None)
    lead = api.get(f"{LEADS}/{lead_id}").json
    assert (lead["contact_id"], lead["email"], lead["last_name"]) == (None, None, None)


def test_sales_answers_503_in_bounded_time_when_customers_does_not_answer(
    api, customers, monkeypatch
):
    lead = qualified_lead(api)
    account = api.post(ACCOUNTS, json={"name": "Acme"}).json
    # Sales waits half of CRM_RPC_TIMEOUT for customers, far less than the gateway waits for
    # sales: the 503 names customers, not sales.
    monkeypatch.setenv("CRM_RPC_TIMEOUT", "1.5")
    customers.kill()

    converted = convert(api, lead, {"opportunity": DEAL})
    opportunity = api.post(
        "/api/v1/opportunities",
        role="sales",
        json={"name": "Deal", "account_id": account["id"], **DEAL},
    )

    for response in (converted, opportunity):
        assert response.status_code == 503, response.json
        assert response.mimetype == "application/problem+json"
        assert response.json["detail"] == "The customers service did not answer in time."
    assert api.get(f"{LEADS}/{lead['id']}").json["status"] == "qualified"
    assert items(api, "/api/v1/opportunities") == []
    assert not [
        e for e in api.events("sales") if e["type"] in ("lead_converted", "opportunity_created")
    ]
