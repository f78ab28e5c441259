"""Pipelines, opportunities, the forecast and quotas through the gateway, with the sales and
customers services running on the real broker, on SQLite and PostgreSQL."""

import uuid

from infra.db import utcnow
from services.sales.periods import quarter_of

OPPORTUNITIES = "/api/v1/opportunities"
PIPELINES = "/api/v1/pipelines"
QUOTAS = "/api/v1/quotas"
FORECAST = "/api/v1/forecast"


def user_id(api, role: str) -> str:
    api.headers(role)  # makes the user on first use
    users = api.get("/api/v1/users").json
    return next(user["id"] for user in users if user["email"] == f"{role}@example.com")


def standard_stages(api) -> dict[str, str]:
    pipelines = api.get(PIPELINES, role="viewer").json["items"]
    default = next(pipeline for pipeline in pipelines if pipeline["is_default"])
    return {stage["name"]: stage["id"] for stage in default["stages"]}


def test_an_opportunity_from_creation_to_won(api):
    account = api.post("/api/v1/accounts", role="sales", json={"name": "Acme"}).json
    contact = api.post(
        "/api/v1/contacts", role="sales", json={"last_name": "Li", "account_id": account["id"]}
    ).json
    created = api.post(
        OPPORTUNITIES,
        role="sales",
        json={
            "name": "Acme rollout",
            "account_id": account["id"],
            "primary_contact_id": contact["id"],
            "amount": "120000.00",
            "currency": "CNY",
            "expected_close_date": "2026-11-30",
        },
    )
    assert created.status_code == 201, created.json
    assert created.headers["ETag"] == '"1"'
    url = created.headers["Location"]
    assert created.json["owner_id"] == user_id(api, "sales")

    stages = standard_stages(api)
    moved = api.patch(
        url, role="sales", headers={"If-Match": '"1"'}, json={"stage_id": stages["Closed won"]}
    )
    stale = api.patch(url, role="sales", headers={"If-Match": '"1"'}, json={"next_step": "Call"})

    assert moved.status_code == 200 and moved.json["status"] == "won"
    assert stale.status_code == 412
    history = api.get(f"{url}/stage-history", role="viewer")
    assert history.status_code == 200
    assert [h["to_stage"] for h in history.json["items"]] == ["Qualification", "Closed won"]
    listed = api.get(OPPORTUNITIES, role="viewer", query_string={"status": "won"}).json
    assert [o["id"] for o in listed["items"]] == [created.json["id"]]
    assert api.post(OPPORTUNITIES, role="viewer", json={}).status_code == 403


def test_bad_opportunities_are_422_naming_the_field_and_write_nothing(api):
    account = api.post("/api/v1/accounts", json={"name": "Acme", "owner_id": None}).json
    deal = {"name": "Deal", "account_id": account["id"], "amount": "10.00", "currency": "EUR"}

    for bad, field in [
        ({"account_id": str(uuid.uuid4())}, "account_id"),
        ({"amount": "-10.00"}, "amount"),
        ({"currency": "ABC"}, "currency"),
        ({"probability": 150}, "probability"),
        ({"owner_id": str(uuid.uuid4())}, "owner_id"),
    ]:
        response = api.post(OPPORTUNITIES, role="sales", json={**deal, **bad})
        assert response.status_code == 422, (bad, response.json)
        assert response.mimetype == "application/problem+json"
        assert list(response.json["errors"]) == [field]
    assert api.get(OPPORTUNITIES).json["items"] == []


def test_admins_edit_pipelines_and_a_stage_in_use_stays(api):
    account = api.post("/api/v1/accounts", json={"name": "Acme", "owner_id": None}).json
    stages = [
        {"name": "Talk", "probability": 30},
        {"name": "Won", "probability": 100, "outcome": "won"},
        {"name": "Lost", "probability": 0, "outcome": "lost"},
    ]
    assert (
        api.post(PIPELINES, role="manager", json={"name": "X", "stages": stages}).status_code == 403
    )
    created = api.post(PIPELINES, json={"name": "Partners", "stages": stages})
    assert created.status_code == 201
    pipeline = created.json
    api.post(
        OPPORTUNITIES,
        role="sales",
        json={
            "name": "Via partner",
            "account_id": account["id"],
            "amount": "10.00",
            "currency": "EUR",
            "pipeline_id": pipeline["id"],
        },
    )
    without_talk = [
        {k: s[k] for k in ("id", "name", "probability", "outcome")} for s in pipeline["stages"][1:]
    ]

    response = api.patch(
        created.headers["Location"],
        json={"stages": [{"name": "Intro", "probability": 5}, *without_talk]},
    )

    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert api.get(created.headers["Location"]).json["stages"] == pipeline["stages"]


def test_managers_set_quotas_and_the_forecast_compares(api):
    sales_id = user_id(api, "sales")
    this_quarter = quarter_of(utcnow().date())
    quota = {"user_id": sales_id, "period": this_quarter, "amount": "50000.00", "currency": "EUR"}

    assert api.post(QUOTAS, role="sales", json=quota).status_code == 403
    assert api.post(QUOTAS, role="manager", json=quota).status_code == 201
    assert api.post(QUOTAS, role="manager", json=quota).status_code == 409
    unknown_user = api.post(QUOTAS, role="manager", json={**quota, "user_id": str(uuid.uuid4())})
    assert unknown_user.status_code == 422 and list(unknown_user.json["errors"]) == ["user_id"]
    account = api.post("/api/v1/accounts", json={"name": "Acme", "owner_id": None}).json
    won_today = {
        "name": "Won today",
        "account_id": account["id"],
        "amount": "12500.00",
        "currency": "EUR",
        "stage_id": standard_stages(api)["Closed won"],
    }
    assert api.post(OPPORTUNITIES, role="sales", json=won_today).status_code == 201

    answer = api.get(
        FORECAST, role="viewer", query_string={"period": this_quarter, "owner_id": sales_id}
    )

    assert answer.status_code == 200, answer.json
    (eur,) = answer.json["currencies"]
    assert (eur["closed_won"], eur["quota"], eur["gap_to_quota"]) == (
        "12500.00",
        "50000.00",
        "37500.00",
    )
    for query, field in [
        ({"period": "2026-Q7"}, "period"),
        ({"period": this_quarter, "owner_id": sales_id, "team_id": sales_id}, "team_id"),
    ]:
        refused = api.get(FORECAST, query_string=query)
        assert refused.status_code == 422 and list(refused.json["errors"]) == [field]


def test_the_openapi_document_describes_the_area(api):
    paths = api.get("/api/v1/openapi.json").json["paths"]

    for path in (
        PIPELINES,
        f"{PIPELINES}/{{record_id}}",
        OPPORTUNITIES,
        f"{OPPORTUNITIES}/{{record_id}}",
        f"{OPPORTUNITIES}/{{record_id}}/stage-history",
        FORECAST,
        QUOTAS,
    ):
        assert path in paths, path


def stages(**changes) -> list[dict]:
    """A valid set of stages, the first one changed by `changes` (None: left out)."""
    first = {"name": "Talk", "probability": 10, "outcome": "open", **changes}
    return [
        {key: value for key, value in first.items() if value is not None},
        {"name": "Won", "probability": 100, "outcome": "won"},
        {"name": "Lost", "probability": 0, "outcome": "lost"},
    ]


def test_a_pipeline_whose_stage_is_bad_is_422_naming_it_and_writes_nothing(api):
    before = api.get(PIPELINES).json["items"]

    bad_id = api.post(PIPELINES, json={"name": "Partners", "stages": stages(id="not-an-id")})
    no_outcome = api.post(PIPELINES, json={"name": "Partners", "stages": stages(outcome="maybe")})
    no_probability = api.post(
        PIPELINES, json={"name": "Partners", "stages": stages(probability=None)}
    )

    assert bad_id.status_code == 422 and "id" in bad_id.json["errors"]["stages"]["0"]
    assert no_outcome.status_code == 422 and "outcome" in no_outcome.json["errors"]["stages"]["0"]
    assert "probability" in no_probability.json["errors"]["stages"]["0"]
    assert api.get(PIPELINES).json["items"] == before


def test_changing_stages_with_an_id_that_is_no_stage_of_the_pipeline_is_422(api):
    pipeline = api.post(PIPELINES, json={"name": "Partners", "stages": stages()}).json
    url = f"{PIPELINES}/{pipeline['id']}"

    unknown = api.patch(url, json={"stages": stages(id=str(uuid.uuid4()))})
    malformed = api.patch(url, json={"stages": stages(id="not-an-id", outcome="maybe")})

    assert unknown.status_code == 422 and "Not stages of this pipeline" in unknown.json["detail"]
    assert malformed.status_code == 422 and set(malformed.json["errors"]["stages"]["0"]) == {
        "id",
        "outcome",
    }
    assert api.get(url).json == pipeline
