"""Opportunities on a real database, checked against the real customers service (started on
the test broker, called through a real RPC proxy)."""

import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from contracts.sales import opportunity_create
from infra.db import utcnow
from infra.errors import ValidationFailed
from services.customers.service import CustomersService
from services.sales import opportunities, periods
from services.sales.models import Opportunity, StageChange
from services.sales.service import SalesService
from services.sales.tests.conftest import SALES_REP
from services.sales.tests.test_pipelines import STAGES, events


@pytest.fixture
def customers(start_service, amqp_uri):
    start_service(CustomersService)
    with ServiceRpcProxy("customers", {"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        yield proxy


@pytest.fixture
def service(session, customers):
    return worker_factory(SalesService, db=session, caller=SALES_REP, customers=customers)


@pytest.fixture
def account(customers) -> dict:
    return customers.create_account({"name": "Acme"})


@pytest.fixture
def contact(customers, account) -> dict:
    return customers.create_contact({"last_name": "Coyote", "account_id": account["id"]})


def deal(account: dict, **fields) -> dict:
    return {
        "name": "Acme rollout",
        "account_id": account["id"],
        "amount": "1000.00",
        "currency": "EUR",
        **fields,
    }


def stage_ids(service) -> dict[str, str]:
    standard = next(p for p in service.list_pipelines({})["items"] if p["is_default"])
    return {stage["name"]: stage["id"] for stage in standard["stages"]}


def opportunity_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Opportunity))


def test_a_new_opportunity_starts_in_the_default_pipelines_first_stage(service, session, account):
    created = service.create_opportunity(deal(account))

    stages = stage_ids(service)
    assert created["stage_id"] == stages["Qualification"]
    assert created["stage_name"] == "Qualification"
    assert (created["probability"], created["probability_overridden"]) == (10, False)
    assert (created["forecast_category"], created["status"]) == ("pipeline", "open")
    assert created["amount"] == "1000.00" and created["owner_id"] == SALES_REP.user_id
    quarter_end = periods.bounds(periods.quarter_of(utcnow().date()))[1]
    assert created["expected_close_date"] == quarter_end.isoformat()
    assert [e["type"] for e in events(session)][-1] == "opportunity_created"
    history = service.get_stage_history(created["id"])["items"]
    assert [(h["from_stage_id"], h["to_stage"]) for h in history] == [(None, "Qualification")]


def test_probability_is_the_stages_unless_overridden(service, account):
    opportunity = service.create_opportunity(deal(account, probability=35))
    assert (opportunity["probability"], opportunity["probability_overridden"]) == (35, True)

    cleared = service.update_opportunity(opportunity["id"], {"probability": None})

    assert (cleared["probability"], cleared["probability_overridden"]) == (10, False)


def test_moving_through_the_stages_keeps_the_history_and_closes(service, session, account, contact):
    stages = stage_ids(service)
    opportunity = service.create_opportunity(deal(account, primary_contact_id=contact["id"]))

    proposal = service.update_opportunity(opportunity["id"], {"stage_id": stages["Proposal"]})
    won = service.update_opportunity(opportunity["id"], {"stage_id": stages["Closed won"]}, 2)

    assert (proposal["probability"], proposal["forecast_category"]) == (50, "best_case")
    assert (won["status"], won["probability"], won["forecast_category"]) == ("won", 100, "commit")
    assert won["closed_at"] is not None
    history = service.get_stage_history(opportunity["id"])["items"]
    assert [h["to_stage"] for h in history] == ["Qualification", "Proposal", "Closed won"]
    assert history[-1]["from_stage"] == "Proposal" and history[-1]["user_id"] == SALES_REP.user_id
    published = events(session)
    assert [e["type"] for e in published][-3:] == [
        "opportunity_updated",
        "opportunity_stage_changed",
        "opportunity_won",
    ]
    assert {
        key: published[-1]["data"][key]
        for key in ("account_id", "primary_contact_id", "amount", "currency")
    } == {
        "account_id": account["id"],
        "primary_contact_id": contact["id"],
        "amount": "1000.00",
        "currency": "EUR",
    }


def test_losing_needs_a_reason(service, session, account):
    lost_stage = stage_ids(service)["Closed lost"]
    opportunity = service.create_opportunity(deal(account))
    written = len(events(session))

    with pytest.raises(ValidationFailed) as refused:
        service.update_opportunity(opportunity["id"], {"stage_id": lost_stage})
    assert list(refused.value.errors) == ["lost_reason"] and len(events(session)) == written

    lost = service.update_opportunity(
        opportunity["id"], {"stage_id": lost_stage, "lost_reason": "Went with a competitor"}
    )
    assert (lost["status"], lost["forecast_category"]) == ("lost", "omitted")
    assert events(session)[-1]["type"] == "opportunity_lost"
    reopened = service.update_opportunity(
        opportunity["id"], {"stage_id": stage_ids(service)["Proposal"]}
    )
    assert (reopened["status"], reopened["closed_at"]) == ("open", None)


def test_moving_to_another_pipeline_needs_one_of_its_stages(service, account):
    opportunity = service.create_opportunity(deal(account))
    renewals = service.create_pipeline({"name": "Renewals", "stages": STAGES})

    with pytest.raises(ValidationFailed) as without_stage:
        service.update_opportunity(opportunity["id"], {"pipeline_id": renewals["id"]})
    with pytest.raises(ValidationFailed) as foreign_stage:
        service.update_opportunity(
            opportunity["id"],
            {"pipeline_id": renewals["id"], "stage_id": stage_ids(service)["Proposal"]},
        )
    moved = service.update_opportunity(
        opportunity["id"], {"pipeline_id": renewals["id"], "stage_id": renewals["stages"][1]["id"]}
    )

    assert list(without_stage.value.errors) == list(foreign_stage.value.errors) == ["stage_id"]
    assert (moved["pipeline_id"], moved["stage_name"], moved["version"]) == (
        renewals["id"],
        "Trial",
        2,
    )


BAD_INPUTS = [
    ({"amount": "-1.00"}, "amount"),
    ({"amount": 12.5}, "amount"),
    ({"amount": "10000000000000000.00"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "XAU"}, "currency"),
    ({"probability": 101}, "probability"),
    ({"probability": -1}, "probability"),
    ({"probability": 50.5}, "probability"),
    ({"account_id": str(uuid.uuid4())}, "account_id"),
    ({"primary_contact_id": str(uuid.uuid4())}, "primary_contact_id"),
    ({"stage_id": str(uuid.uuid4())}, "stage_id"),
    ({"pipeline_id": str(uuid.uuid4())}, "pipeline_id"),
    ({"expected_close_date": "soon"}, "expected_close_date"),
    ({"forecast_category": "maybe"}, "forecast_category"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_INPUTS, ids=[f for _, f in BAD_INPUTS])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    service, session, account, fields, field
):
    with pytest.raises(ValidationFailed) as refused:
        service.create_opportunity(deal(account, **fields))

    assert list(refused.value.errors) == [field]
    assert opportunity_count(session) == 0
    assert not [e for e in events(session) if e["type"].startswith("opportunity")]


def test_a_stage_of_another_pipeline_is_422_naming_stage_id(service, session, account):
    renewals = service.create_pipeline({"name": "Renewals", "stages": STAGES})
    standard_stage = stage_ids(service)["Proposal"]
    opportunity = service.create_opportunity(deal(account))

    with pytest.raises(ValidationFailed) as on_create:
        service.create_opportunity(
            deal(account, pipeline_id=renewals["id"], stage_id=standard_stage)
        )
    with pytest.raises(ValidationFailed) as on_update:
        service.update_opportunity(opportunity["id"], {"stage_id": renewals["stages"][0]["id"]})

    assert list(on_create.value.errors) == list(on_update.value.errors) == ["stage_id"]
    assert opportunity_count(session) == 1
    assert service.get_opportunity(opportunity["id"])["version"] == 1


def test_a_changed_account_must_exist_too(service, session, account):
    opportunity = service.create_opportunity(deal(account))

    with pytest.raises(ValidationFailed) as refused:
        service.update_opportunity(opportunity["id"], {"account_id": str(uuid.uuid4())})

    assert list(refused.value.errors) == ["account_id"]
    assert service.get_opportunity(opportunity["id"])["account_id"] == account["id"]


def test_a_closed_opportunitys_probability_is_its_stages(service, account):
    won_stage = stage_ids(service)["Closed won"]

    with pytest.raises(ValidationFailed) as refused:
        service.create_opportunity(deal(account, stage_id=won_stage, probability=50))
    won = service.create_opportunity(deal(account, stage_id=won_stage))

    assert list(refused.value.errors) == ["probability"]
    assert (won["status"], won["probability"]) == ("won", 100) and won["closed_at"]


def test_filters_and_sorts(service, account, customers):
    other_account = customers.create_account({"name": "Globex"})
    stages = stage_ids(service)
    owner = str(uuid.uuid4())
    for name, amount, closes, extra in [
        ("Small", "500.00", "2026-10-15", {"owner_id": owner}),
        ("Large", "90000.00", "2026-11-20", {"owner_id": owner, "stage_id": stages["Proposal"]}),
        ("Medium", "7000.50", "2026-12-31", {"account_id": other_account["id"]}),
        ("Next year", "1000.00", "2027-01-01", {"currency": "CNY"}),
    ]:
        service.create_opportunity(
            deal(account, name=name, amount=amount, expected_close_date=closes, **extra)
        )

    def names(**params):
        return [o["name"] for o in service.list_opportunities(params)["items"]]

    assert names(owner_id=owner, status="open", sort="amount") == ["Small", "Large"]
    assert names(stage_id=stages["Proposal"]) == ["Large"]
    assert names(account_id=other_account["id"]) == ["Medium"]
    in_q4 = {"close_after": "2026-10-01", "close_before": "2027-01-01", "sort": "-amount"}
    assert names(**in_q4) == ["Large", "Medium", "Small"]
    assert names(amount_min="1000", amount_max="7000.50", sort="amount") == ["Next year", "Medium"]
    assert names(q="LAR") == ["Large"]
    assert names(forecast_category="best_case") == ["Large"]
    first = service.list_opportunities({**in_q4, "limit": 2})
    rest = service.list_opportunities({**in_q4, "limit": 2, "cursor": first["next_cursor"]})
    assert [o["name"] for o in rest["items"]] == ["Small"] and rest["next_cursor"] is None
    by_date = service.list_opportunities({"sort": "expected_close_date", "limit": 3})
    after = service.list_opportunities(
        {"sort": "expected_close_date", "cursor": by_date["next_cursor"]}
    )
    assert [o["name"] for o in after["items"]] == ["Next year"]


def test_the_domain_function_other_areas_call(session, customers, account):
    """What lead conversion calls: the loaded data, the actor, and the customers proxy."""
    lead_id = uuid.uuid4()
    data = opportunity_create.load(deal(account, lead_id=str(lead_id)))

    opportunity = opportunities.create(
        session=session, data=data, actor=SALES_REP, customers=customers
    )

    assert opportunity.lead_id == lead_id and opportunity.stage.name == "Qualification"
    assert session.scalar(select(func.count()).select_from(StageChange)) == 1


def test_deleting_an_opportunity_publishes_whose_it_was(service, session, account):
    opportunity = service.create_opportunity(deal(account))

    service.delete_opportunity(opportunity["id"], 1)

    assert opportunity_count(session) == 0
    deleted = events(session)[-1]
    assert deleted["type"] == "opportunity_deleted"
    assert deleted["data"]["account_id"] == account["id"]
