"""The forecast of a period (a month or a quarter) for one owner, a team, or everyone.

Amounts are never converted between currencies (the CRM keeps no exchange rates): the answer
has one block per currency, and a quota counts in the block of its own currency. Sums are exact
decimals; each figure is rounded once, at the end, half up to cents. A period's days are UTC
days: an opportunity counts as closed in it when `closed_at` falls on one of them.
"""

import uuid
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from infra import records
from services.sales import periods, teams
from services.sales.models import Opportunity, Quota, Stage

CENTS = Decimal("0.01")
ZERO = Decimal(0)
BEST_CASE = ("best_case", "commit")


def forecast(*, session: Session, params: dict, directory) -> dict:
    period = params["period"]
    first, last = periods.bounds(period)
    owner_ids = owners(session, params, directory)
    figures: dict[str, dict] = defaultdict(new_figures)
    for currency, category, probability, amount, count in open_sums(
        session, first, last, owner_ids
    ):
        add_open(figures[currency], category, probability, amount, count)
    for currency, amount, count in won_sums(session, first, last, owner_ids):
        figures[currency]["closed_won"] += amount
        figures[currency]["won_count"] += count
    for currency, amount in quotas(session, period, owner_ids).items():
        figures[currency]["quota"] = amount
    return {
        "period": period,
        "starts_on": first,
        "ends_on": last,
        "owner_id": params.get("owner_id"),
        "team_id": params.get("team_id"),
        "owner_ids": owner_ids,
        "currencies": [block(currency, figures[currency]) for currency in sorted(figures)],
    }


def owners(session: Session, params: dict, directory) -> list[uuid.UUID] | None:
    """Whose opportunities count: the owner's, the team's members', or (None) everyone's."""
    if "owner_id" in params:
        return [params["owner_id"]]
    if "team_id" not in params:
        return None
    team = teams.find(session, params["team_id"], directory)
    records.require(team is not None, "team_id", f"No team with id {params['team_id']}.")
    return [uuid.UUID(str(member)) for member in team.member_ids]


def new_figures() -> dict:
    return {
        "open_pipeline": ZERO,
        "weighted_sum": ZERO,  # amount x percent, divided by 100 once, at the end
        "best_case": ZERO,
        "commit": ZERO,
        "closed_won": ZERO,
        "quota": None,
        "open_count": 0,
        "won_count": 0,
    }


def add_open(figures: dict, category: str, probability: int, amount: Decimal, count: int):
    figures["open_pipeline"] += amount
    figures["weighted_sum"] += amount * probability
    figures["open_count"] += count
    if category in BEST_CASE:
        figures["best_case"] += amount
    if category == "commit":
        figures["commit"] += amount


def block(currency: str, figures: dict) -> dict:
    won, quota = figures["closed_won"], figures["quota"]
    return {
        "currency": currency,
        "open_pipeline": cents(figures["open_pipeline"]),
        "weighted_pipeline": cents(figures["weighted_sum"] / 100),
        "best_case": cents(figures["best_case"] + won),
        "commit": cents(figures["commit"] + won),
        "closed_won": cents(won),
        "quota": None if quota is None else cents(quota),
        "gap_to_quota": None if quota is None else cents(quota - won),
        "open_count": figures["open_count"],
        "won_count": figures["won_count"],
    }


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENTS, rounding=ROUND_HALF_UP)


def owned_by(query, owner_ids: list[uuid.UUID] | None):
    return query if owner_ids is None else query.where(Opportunity.owner_id.in_(owner_ids))


def open_sums(session: Session, first, last, owner_ids):
    """Open opportunities expected to close in the period, summed per currency, category and
    effective probability (a few dozen rows, whatever the number of opportunities)."""
    probability = func.coalesce(Opportunity.probability_override, Stage.probability)
    query = (
        select(
            Opportunity.currency,
            Opportunity.forecast_category,
            probability,
            func.sum(Opportunity.amount),
            func.count(),
        )
        .join(Stage, Stage.id == Opportunity.stage_id)
        .where(
            Opportunity.status == "open",
            Opportunity.expected_close_date.between(first, last),
        )
        .group_by(Opportunity.currency, Opportunity.forecast_category, probability)
    )
    return session.execute(owned_by(query, owner_ids)).all()


def won_sums(session: Session, first, last, owner_ids):
    """Opportunities won in the period, summed per currency."""
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    query = (
        select(Opportunity.currency, func.sum(Opportunity.amount), func.count())
        .where(
            Opportunity.status == "won",
            Opportunity.closed_at >= start,
            Opportunity.closed_at < end,
        )
        .group_by(Opportunity.currency)
    )
    return session.execute(owned_by(query, owner_ids)).all()


def quotas(session: Session, period: str, owner_ids) -> dict[str, Decimal]:
    """The owners' quotas for the period, per currency: a quarter's is each owner's quarter
    quota, or else the sum of their quotas for its months."""
    whole = aliased(Quota)
    has_whole = exists().where(whole.user_id == Quota.user_id, whole.period == period)
    query = (
        select(Quota.currency, func.sum(Quota.amount))
        .where(
            (Quota.period == period) | (Quota.period.in_(periods.months_of(period)) & ~has_whole)
        )
        .group_by(Quota.currency)
    )
    if owner_ids is not None:
        query = query.where(Quota.user_id.in_(owner_ids))
    return dict(session.execute(query).all())
