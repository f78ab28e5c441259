"""Quotas: what a user is to sell in a month or a quarter, in one currency; one per user and
period."""

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from infra import records
from infra.context import Actor
from infra.errors import Conflict
from services.sales.events import publish
from services.sales.models import Quota
from services.sales.schemas import quota_read

SORTABLE = {"created_at": Quota.created_at, "period": Quota.period, "amount": Quota.amount}


def get(*, session: Session, quota_id) -> Quota:
    return records.get(session, Quota, quota_id)


def selected(params: dict) -> Select:
    query = select(Quota)
    for field in ("user_id", "period"):
        if field in params:
            query = query.where(getattr(Quota, field) == params[field])
    return query


def get_all(*, session: Session, params: dict) -> tuple[list[Quota], str | None]:
    return records.list_page(session, selected(params), Quota, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> Quota:
    check_free(session, data["user_id"], data["period"])
    quota = Quota(**data)
    session.add(quota)
    flush(session, quota)
    publish(session, "quota_created", quota_read.dump(quota), actor)
    return quota


def update(
    *, session: Session, quota_id, changes: dict, expected_version: int | None, actor: Actor
) -> Quota:
    quota = get(session=session, quota_id=quota_id)
    records.check_version(quota, expected_version)
    if changes.get("period", quota.period) != quota.period:
        check_free(session, quota.user_id, changes["period"])
    diff = records.apply_changes(quota, changes, {})
    if diff:
        flush(session, quota)
        publish(session, "quota_updated", {**quota_read.dump(quota), "changes": diff}, actor)
    return quota


def delete(*, session: Session, quota_id, expected_version: int | None, actor: Actor) -> None:
    quota = get(session=session, quota_id=quota_id)
    records.check_version(quota, expected_version)
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
