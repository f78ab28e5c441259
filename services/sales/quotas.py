"""Quotas: what a user is to sell in a month or a quarter, in one currency; one per user and
period."""

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.sales import quota_read
from infra import records
from infra.context import Actor
from infra.errors import Conflict
from services.sales.events import publish
from services.sales.models import Quota

SORTABLE = {"created_at": Quota.created_at, "period": Quota.period, "amount": Quota.amount}


def get(*, session: Session, record_id) -> Quota:
    return records.get(session, Quota, record_id)


def selected(params: dict) -> Select:
    query = select(Quota)
    for field in ("user_id", "period"):
        if field in params:
            query = query.where(getattr(Quota, field) == params[field])
    return query


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Quota], str | None]:
    return records.list_page(session, selected(params), Quota, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> Quota:
    check_free(session, data["user_id"], data["period"])
    quota = Quota(**data)
    session.add(quota)
    flush(session, quota)
    publish(session, "quota_created", quota_read.dump(quota), actor)
    return quota


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Quota:
    quota = get(session=session, record_id=record_id)
    if changes.get("period", quota.period) != quota.period:
        check_free(session, quota.user_id, changes["period"])
    diff = records.apply_changes(quota, changes, {})
    if diff:
        flush(session, quota)
        publish(session, "quota_updated", {**quota_read.dump(quota), "changes": diff}, actor)
    return quota


def delete(*, session: Session, record_id, actor: Actor) -> None:
    quota = get(session=session, record_id=record_id)
    data = {"id": str(quota.id), "user_id": str(quota.user_id), "period": quota.period}
    session.delete(quota)
    records.flush(session, quota)
    publish(session, "quota_deleted", data, actor)


def check_free(session: Session, user_id, period: str) -> None:
    taken = exists().where(Quota.user_id == user_id, Quota.period == period)
    if session.scalar(select(taken)):
        raise Conflict(f"The user has a quota for {period} already: change that one.")


def flush(session: Session, quota: Quota) -> None:
    """Write; another quota for the same user and period saved meanwhile is a 409."""
    try:
        records.flush(session, quota)
    except IntegrityError:
        raise Conflict(f"The user has a quota for {quota.period} already.") from None
