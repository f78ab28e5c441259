"""The forecast of a period for an owner, a team or everyone, and the quotas it compares with."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from infra.errors import Conflict, ValidationFailed
from services.sales import pipelines
from services.sales.models import Opportunity, Quota, Team
from services.sales.tests.test_pipelines import events

ADA, BOB, CAROL = (uuid.uuid4() for _ in range(3))


@pytest.fixture
def stages(session) -> dict:
    return {stage.name: stage for stage in pipelines.default(session).stages}


@pytest.fixture
def add(session, stages):
    """Put an opportunity straight into the table: these tests are about reading them."""

    def add(
        owner, amount, stage="Qualification", currency="EUR", closes=date(2026, 11, 15), **extra
    ):
        stage = stages[stage]
        opportunity = Opportunity(
            name="Deal",
            account_id=uuid.uuid4(),
            amount=Decimal(amount),
            currency=currency,
            expected_close_date=closes,
            pipeline_id=stage.pipeline_id,
            stage_id=stage.id,
            status=stage.outcome,
            owner_id=owner,
            **extra,
        )
        session.add(opportunity)
        session.flush()

    return add


def block(service, currency="EUR", **params) -> dict:
    found = service.get_forecast(params)["currencies"]
    return next(b for b in found if b["currency"] == currency)


def test_an_owners_quarter(service, add):
    won_in_q4 = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    add(ADA, "1000.00", forecast_category="pipeline")  # 10%
    add(ADA, "2000.00", "Proposal", forecast_category="best_case")  # 50%
    add(ADA, "4000.00", "Negotiation", forecast_category="commit")  # 75%
    add(ADA, "0.10", probability_override=25, forecast_category="pipeline")  # 0.025 -> 0.03
    add(ADA, "500.00", "Closed won", closed_at=won_in_q4, forecast_category="commit")
    add(ADA, "800.00", "Closed won", closed_at=datetime(2027, 1, 1, tzinfo=UTC))  # next quarter
    add(ADA, "300.00", "Closed lost", closed_at=won_in_q4, lost_reason="price")
    add(ADA, "9999.00", closes=date(2027, 1, 1))  # closes next quarter
    add(BOB, "7777.00")  # someone else's

    assert block(service, period="2026-Q4", owner_id=str(ADA)) == {
        "currency": "EUR",
        "open_pipeline": "7000.10",
        "weighted_pipeline": "4100.03",  # 100 + 1000 + 3000 + 0.025
        "best_case": "6500.00",
        "commit": "4500.00",
        "closed_won": "500.00",
        "quota": None,
        "gap_to_quota": None,
        "open_count": 4,
        "won_count": 1,
    }


def test_every_currency_is_its_own_block_with_its_own_quota(service, session, add):
    add(ADA, "1000.00")
    add(ADA, "700.00", currency="CNY")
    session.add_all(
        [
            Quota(user_id=ADA, period="2026-11", amount=Decimal("5000.00"), currency="EUR"),
            Quota(user_id=ADA, period="2026-Q1", amount=Decimal("1.00"), currency="USD"),
        ]
    )

    answer = service.get_forecast({"period": "2026-11", "owner_id": str(ADA)})

    assert (answer["starts_on"], answer["ends_on"]) == ("2026-11-01", "2026-11-30")
    assert [b["currency"] for b in answer["currencies"]] == ["CNY", "EUR"]
    eur = answer["currencies"][1]
    assert (eur["quota"], eur["gap_to_quota"]) == ("5000.00", "5000.00")
    assert answer["currencies"][0]["quota"] is None


def test_a_quarters_quota_is_its_own_or_the_sum_of_its_months(service, session):
    for user, period, amount in [
        (ADA, "2026-Q4", "30000.00"),
        (ADA, "2026-10", "99.00"),  # Ada's quarter quota wins over her months
        (BOB, "2026-10", "1000.00"),
        (BOB, "2026-12", "2000.50"),
        (CAROL, "2026-09", "5.00"),  # another quarter
    ]:
        session.add(Quota(user_id=user, period=period, amount=Decimal(amount), currency="EUR"))

    assert block(service, period="2026-Q4", owner_id=str(ADA))["quota"] == "30000.00"
    assert block(service, period="2026-Q4", owner_id=str(BOB))["quota"] == "3000.50"
    assert block(service, period="2026-Q4")["quota"] == "33000.50"
    assert block(service, period="2026-10")["quota"] == "1099.00"


def test_a_team_and_everyone(service, session, add):
    team = Team(id=uuid.uuid4(), name="North", member_ids=[str(ADA), str(BOB)])
    empty = Team(id=uuid.uuid4(), name="New")
    session.add_all([team, empty])
    for owner, amount in [(ADA, "100.00"), (BOB, "200.00"), (CAROL, "400.00"), (None, "800.00")]:
        add(owner, amount)

    assert block(service, period="2026-Q4", team_id=str(team.id))["open_pipeline"] == "300.00"
    answer = service.get_forecast({"period": "2026-Q4"})
    assert answer["owner_ids"] is None and answer["currencies"][0]["open_pipeline"] == "1500.00"
    assert service.get_forecast({"period": "2026-Q4", "team_id": str(empty.id)})["currencies"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "period"),
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-Q5"}, "period"),
        ({"period": "Q4 2026"}, "period"),
        ({"period": "2026-Q4", "owner_id": str(ADA), "team_id": str(BOB)}, "team_id"),
        ({"period": "2026-Q4", "team_id": str(BOB)}, "team_id"),
        ({"period": "2026-Q4", "owner_id": "ada"}, "owner_id"),
    ],
)
def test_bad_forecast_questions_are_422_naming_the_field(service, params, field):
    with pytest.raises(ValidationFailed) as refused:
        service.get_forecast(params)

    assert list(refused.value.errors) == [field]


def quota_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Quota))


def test_quotas_are_one_per_user_and_period(service, session):
    quota = service.create_quota(
        {"user_id": str(ADA), "period": "2026-q4", "amount": "30000.00", "currency": "eur"}
    )
    assert (quota["period"], quota["currency"], quota["amount"]) == ("2026-Q4", "EUR", "30000.00")

    with pytest.raises(Conflict):
        service.create_quota(
            {"user_id": str(ADA), "period": "2026-Q4", "amount": "1.00", "currency": "USD"}
        )
    updated = service.update_quota(quota["id"], {"amount": "35000.00"}, 1)
    other = service.create_quota(
        {"user_id": str(ADA), "period": "2026-11", "amount": "1.00", "currency": "EUR"}
    )
    with pytest.raises(Conflict):
        service.update_quota(other["id"], {"period": "2026-Q4"})

    assert updated["amount"] == "35000.00" and updated["version"] == 2
    assert [
        q["period"] for q in service.list_quotas({"user_id": str(ADA), "sort": "period"})["items"]
    ] == [
        "2026-11",
        "2026-Q4",
    ]
    service.delete_quota(other["id"])
    assert [e["type"] for e in events(session)] == [
        "quota_created",
        "quota_updated",
        "quota_created",
        "quota_deleted",
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"period": "2026-Q0"}, "period"),
        ({"amount": "-5.00"}, "amount"),
        ({"currency": "EUROS"}, "currency"),
        ({"user_id": "nobody"}, "user_id"),
    ],
)
def test_bad_quotas_are_422_naming_the_field_and_write_nothing(service, session, fields, field):
    quota = {"user_id": str(ADA), "period": "2026-Q4", "amount": "100.00", "currency": "EUR"}

    with pytest.raises(ValidationFailed) as refused:
        service.create_quota({**quota, **fields})

    assert list(refused.value.errors) == [field]
    assert quota_count(session) == 0 and events(session) == []
