"""Activities: calls, emails, meetings and tasks about a lead, contact, account or opportunity
(at least one), assigned to a user, due at a time, completed once.

Each open activity is announced once when it falls due (`activity_due`, from a timer) as a
reminder; rescheduling it announces it again at its new time. A meeting held with a lead is
one of the lead's engagements, which its score counts.
"""

from datetime import UTC, datetime

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from contracts.sales import ACTIVITY_LINKS, activity_read
from infra import records
from infra.context import Actor
from infra.db import utcnow
from infra.errors import ValidationFailed
from services.sales import events, leads, links
from services.sales.models import Activity

NEVER = datetime(9999, 12, 31, tzinfo=UTC)  # where activities without a due time sort
SORTABLE = {
    "due_at": func.coalesce(Activity.due_at, NEVER),
    "created_at": Activity.created_at,
    "updated_at": Activity.updated_at,
}
FILTERS = ("type", "assignee_id", *ACTIVITY_LINKS)
REMINDER_BATCH = 500


def get(*, session: Session, record_id) -> Activity:
    return records.get(session, Activity, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Activity], str | None]:
    query = select(Activity)
    for field in FILTERS:
        if field in params:
            query = query.where(getattr(Activity, field) == params[field])
    if "mine" in params:
        mine = Activity.assignee_id == actor.user_uuid if actor.user_uuid else false()
        others = Activity.assignee_id.is_distinct_from(actor.user_uuid)
        query = query.where(mine if params["mine"] else others)
    if "open" in params:
        is_open = Activity.completed_at.is_(None)
        query = query.where(is_open if params["open"] else ~is_open)
    if "overdue" in params:
        now = utcnow()
        overdue = and_(Activity.completed_at.is_(None), Activity.due_at < now)
        on_time = or_(
            Activity.completed_at.is_not(None), Activity.due_at.is_(None), Activity.due_at >= now
        )
        query = query.where(overdue if params["overdue"] else on_time)
    if "due_after" in params:
        query = query.where(Activity.due_at >= params["due_after"])
    if "due_before" in params:
        query = query.where(Activity.due_at < params["due_before"])
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(func.lower(Activity.subject).like(pattern, escape="\\"))
    return records.list_page(session, query, Activity, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor, customers) -> Activity:
    data = dict(data)
    check_links(session, customers, data)
    data.setdefault("assignee_id", actor.user_uuid)
    activity = events.created(session, Activity(**data), activity_read, actor)
    count_meeting(session, activity, actor)
    return activity


def update(
    *,
    session: Session,
    record_id,
    changes: dict,
    actor: Actor,
    customers,
) -> Activity:
    activity = get(session=session, record_id=record_id)
    changes = dict(changes)
    check_links(session, customers, changes)
    if not any(changes.get(link, getattr(activity, link)) for link in ACTIVITY_LINKS):
        message = "An activity stays linked to a lead, contact, account or opportunity."
        raise ValidationFailed(message, {link: [message] for link in ACTIVITY_LINKS})
    if changes.get("due_at", activity.due_at) != activity.due_at:
        changes["reminded_at"] = None  # remind again at the new time
    completes = activity.completed_at is None and changes.get("completed_at") is not None
    kind = "activity_completed" if completes else None
    events.updated(session, activity, changes, activity_read, actor, type=kind)
    if completes:
        count_meeting(session, activity, actor)
    return activity


def complete(
    *, session: Session, activity_id, data: dict, expected_version: int | None, actor: Actor
) -> Activity:
    """Mark it done (now, unless `completed_at` says when); done already, it stays as it was."""
    activity = get(session=session, record_id=activity_id)
    records.check_version(activity, expected_version)
    if activity.completed_at is None:
        changes = {"completed_at": data.get("completed_at") or utcnow()}
        events.updated(session, activity, changes, activity_read, actor, type="activity_completed")
        count_meeting(session, activity, actor)
    return activity


def count_meeting(session: Session, activity: Activity, actor: Actor) -> None:
    """A completed meeting about a lead is its `meeting_held` engagement (once per meeting,
    however often it is reopened and completed)."""
    if activity.type == "meeting" and activity.lead_id and activity.completed_at:
        leads.record_engagement(
            session,
            activity.lead_id,
            "meeting_held",
            str(activity.id),
            activity.completed_at,
            actor,
        )


def delete(*, session: Session, record_id, actor: Actor) -> None:
    activity = get(session=session, record_id=record_id)
    linked = {link: str(value) for link in ACTIVITY_LINKS if (value := getattr(activity, link))}
    events.deleted(session, activity, actor, subject=activity.subject, **linked)


def check_links(session: Session, customers, data: dict) -> None:
    """The records the activity is linked to exist: leads and opportunities here, contacts and
    accounts in the customers service."""
    if data.get("lead_id") is not None:
        links.require_lead(session, data["lead_id"])
    if data.get("opportunity_id") is not None:
        links.require_opportunity(session, data["opportunity_id"])
    if data.get("account_id") is not None:
        links.require_account(customers, data["account_id"])
    if data.get("contact_id") is not None:
        links.require_contact(customers, data["contact_id"])


def remind_due(session: Session) -> int:
    """Publish `activity_due` for each open activity that has fallen due and was not announced
    yet; several instances may run this at once (rows another is announcing are skipped)."""
    now = utcnow()
    due = session.scalars(
        select(Activity)
        .where(
            Activity.completed_at.is_(None),
            Activity.reminded_at.is_(None),
            Activity.due_at <= now,
        )
        .order_by(Activity.due_at, Activity.id)
        .limit(REMINDER_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for activity in due:
        events.updated(
            session,
            activity,
            {"reminded_at": now},
            activity_read,
            events.SYSTEM,
            type="activity_due",
        )
    return len(due)
