"""Leads: people who may buy, captured through the API or a CSV import, given to a sales user by
the assignment rules, scored by the scoring rules (again whenever their attributes, the rules or
their engagements change, and daily as engagements fade), and converted (conversions.py)."""

import operator
import uuid
from datetime import UTC, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from contracts.sales import ENGAGEMENT_TYPES, lead_read
from infra import outbox, records
from infra.context import Actor
from infra.db import utcnow
from infra.errors import NotFound, ValidationFailed
from services.sales import assignment, scoring
from services.sales.assignment import Routing
from services.sales.events import SOURCE, publish
from services.sales.models import Engagement, Lead, ScoringRule

SYSTEM = Actor()
MARKETING_ENGAGEMENTS = ("email_opened", "email_clicked", "form_submitted")
BATCH = 500
SORTABLE = {"created_at": Lead.created_at, "updated_at": Lead.updated_at, "score": Lead.score}
SEARCHED = (Lead.first_name, Lead.last_name, Lead.company, Lead.email)
FILTERS = (
    ("created_after", Lead.created_at, operator.ge),
    ("created_before", Lead.created_at, operator.lt),
    ("updated_after", Lead.updated_at, operator.ge),
    ("updated_before", Lead.updated_at, operator.lt),
    ("score_min", Lead.score, operator.ge),
    *(
        (name, getattr(Lead, name), operator.eq)
        for name in ("status", "owner_id", "source", "campaign", "country")
    ),
)


def normalized_email(address: str | None) -> str | None:
    """How leads and contacts are matched by email: trimmed, lower-cased (as customers does)."""
    return address.strip().lower() if address else None


def get(*, session: Session, record_id) -> Lead:
    return records.get(session, Lead, record_id)


def selected(params: dict) -> Select:
    query = select(Lead)
    for param, column, compare in FILTERS:
        if param in params:
            query = query.where(compare(column, params[param]))
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in SEARCHED)))
    return query


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Lead], str | None]:
    return records.list_page(session, selected(params), Lead, params, SORTABLE)


def build(data: dict) -> Lead:
    """An unsaved lead from loaded `lead_create` data."""
    lead = Lead(**data)
    lead.status = lead.status or "new"
    lead.email_normalized = normalized_email(lead.email)
    return lead


def create(*, session: Session, data: dict, actor: Actor) -> Lead:
    return add_all(session, [build(data)], actor)[0]


def add_all(session: Session, new: list[Lead], actor: Actor) -> list[Lead]:
    """Assign (unless an owner is given: by the assignment rules, else to the creator), score
    and write new leads with one flush, then publish `lead_created` and, for each with an
    owner, `lead_assigned`."""
    unowned = [lead for lead in new if lead.owner_id is None]
    routing_rules = assignment.rules_in_order(session, active=True)
    routings = dict(zip(unowned, assignment.route(session, unowned, routing_rules), strict=True))
    scoring_rules, now = scoring.active_rules(session), utcnow()
    for lead in new:
        if lead in routings:
            routing = routings[lead]
            lead.owner_id = routing.owner_id if routing else actor.user_uuid
        lead.score, lead.score_reasons = scoring.evaluate(lead, scoring_rules, [], now)
    session.add_all(new)
    session.flush()
    events = []
    for lead in new:
        events.append(("lead_created", lead_read.dump(lead)))
        if lead.owner_id is not None:
            events.append(("lead_assigned", assigned(lead, None, routings.get(lead))))
    outbox.record_many(session, SOURCE, events, actor.as_dict())
    return new


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Lead:
    lead = get(session=session, record_id=record_id)
    refuse_converted(lead)
    names = [changes.get(field, getattr(lead, field)) for field in ("first_name", "last_name")]
    records.require(any(names), "last_name", "A lead needs a first name or a last name.")
    return change(session, lead, changes, actor)


def change(
    session: Session, lead: Lead, changes: dict, actor: Actor, routing: Routing | None = None
) -> Lead:
    """Apply `changes`; if anything differs, rescore, write, and publish `lead_updated`, then
    `lead_assigned` if the owner changed and `lead_scored` if the score did."""
    previous_owner = lead.owner_id
    diff = records.apply_changes(lead, changes, {})
    if not diff:
        return lead
    lead.email_normalized = normalized_email(lead.email)
    rescored = score_anew(session, [lead], scoring.active_rules(session))
    records.flush(session, lead)
    publish(session, "lead_updated", {**lead_read.dump(lead), "changes": diff}, actor)
    if "owner_id" in diff:
        publish(session, "lead_assigned", assigned(lead, previous_owner, routing), actor)
    announce_scores(session, rescored, actor)
    return lead


def delete(*, session: Session, record_id, actor: Actor) -> None:
    lead = get(session=session, record_id=record_id)
    session.delete(lead)
    records.flush(session, lead)
    publish(session, "lead_deleted", {"id": str(lead.id)}, actor)


def refuse_converted(lead: Lead) -> None:
    if lead.status == "converted":
        message = f"The lead was converted on {lead.converted_at:%Y-%m-%d}; it no longer changes."
        raise ValidationFailed(message, {"status": [message]})


def assign(*, session: Session, lead_id, data: dict, actor: Actor, directory) -> Lead:
    """Give the lead to `owner_id`, or to the next member of team `team_id`."""
    lead = get(session=session, record_id=lead_id)
    refuse_converted(lead)
    if "team_id" in data:
        routing = assignment.to_team(session, data["team_id"], directory)
    else:
        routing = Routing(data["owner_id"])
    return change(session, lead, {"owner_id": routing.owner_id}, actor, routing)


def assigned(lead: Lead, previous_owner: uuid.UUID | None, routing: Routing | None) -> dict:
    """`lead_assigned` data: who has the lead now, who had it, and the rule or team that
    chose the owner (none for a user named by hand)."""
    return {
        "lead_id": str(lead.id),
        "owner_id": records.plain(lead.owner_id),
        "previous_owner_id": records.plain(previous_owner),
        "rule_id": records.plain(routing and routing.rule_id),
        "team_id": records.plain(routing and routing.team_id),
    }


def score_anew(
    session: Session, leads: list[Lead], rules: list[ScoringRule]
) -> list[tuple[Lead, int]]:
    """Score `leads` again, in memory; (lead, previous score) for each whose score changed."""
    engagements = scoring.engagements_of(session, [lead.id for lead in leads])
    now = utcnow()
    changed = []
    for lead in leads:
        score, reasons = scoring.evaluate(lead, rules, engagements[lead.id], now)
        if (score, reasons) != (lead.score, lead.score_reasons):
            changed.append((lead, lead.score))
            lead.score, lead.score_reasons = score, reasons
    return [(lead, previous) for lead, previous in changed if lead.score != previous]


def announce_scores(session: Session, rescored: list[tuple[Lead, int]], actor: Actor) -> None:
    scored = [
        {
            "lead_id": str(lead.id),
            "score": lead.score,
            "previous_score": previous,
            "score_reasons": lead.score_reasons,
            "owner_id": records.plain(lead.owner_id),
        }
        for lead, previous in rescored
    ]
    outbox.record_many(session, SOURCE, [("lead_scored", data) for data in scored], actor.as_dict())


def rescore(
    session: Session, leads: list[Lead], actor: Actor, rules: list[ScoringRule] | None = None
) -> int:
    """Score `leads` again and write what changed; `lead_scored` for each changed score."""
    rescored = score_anew(session, leads, scoring.active_rules(session) if rules is None else rules)
    if leads:
        records.flush(session, leads[0])
    announce_scores(session, rescored, actor)
    return len(rescored)


def open_leads(session: Session, after: uuid.UUID | None, event_types=None) -> list[Lead]:
    """The next batch of leads not yet converted, by id after `after`; only those with
    engagements of `event_types` when given."""
    query = select(Lead).where(Lead.status != "converted").order_by(Lead.id).limit(BATCH)
    if after is not None:
        query = query.where(Lead.id > after)
    if event_types is not None:
        engaged = select(Engagement.lead_id).where(Engagement.event_type.in_(event_types))
        query = query.where(Lead.id.in_(engaged))
    return list(session.scalars(query))


def rescore_open(session: Session, actor: Actor) -> int:
    """Score every lead not yet converted again (the scoring rules changed)."""
    rules, after, count = scoring.active_rules(session), None, 0
    while batch := open_leads(session, after):
        count += rescore(session, batch, actor, rules)
        after = batch[-1].id
    return count


def rescore_fading(session: Session, after: uuid.UUID | None) -> uuid.UUID | None:
    """One batch of the daily rescoring: open leads whose engagements fade (their rule has a
    half-life), after the lead id `after`. Returns the batch's last id, None when done."""
    rules = scoring.active_rules(session)
    batch = open_leads(session, after, scoring.decaying_types(rules))
    if not batch:
        return None
    rescore(session, batch, SYSTEM, rules)
    return batch[-1].id


def record_engagement(
    session: Session,
    lead_id,
    event_type: str,
    event_id: str,
    occurred_at: datetime,
    actor: Actor = SYSTEM,
) -> bool:
    """Record something the lead did (`event_type`: one of ENGAGEMENT_TYPES; `event_id`: what
    it is known by, recorded once) and rescore the lead. False if it was recorded before.

    For other areas of sales too: a completed meeting about a lead is
    `record_engagement(session, lead_id, "meeting_held", str(activity.id), completed_at)`."""
    records.require(
        event_type in ENGAGEMENT_TYPES,
        "event_type",
        f"Must be one of: {', '.join(ENGAGEMENT_TYPES)}.",
    )
    lead = get(session=session, record_id=lead_id)
    seen = session.scalar(
        select(Engagement.id).where(Engagement.lead_id == lead.id, Engagement.event_id == event_id)
    )
    if seen is not None:
        return False
    engagement = Engagement(
        lead_id=lead.id, event_type=event_type, event_id=event_id, occurred_at=occurred_at
    )
    session.add(engagement)
    session.flush()
    if lead.status != "converted":
        rescore(session, [lead], actor)
    return True


def on_engagement(session: Session, envelope: dict) -> None:
    """A marketing event (`email_opened`, `email_clicked`, `form_submitted`): an engagement
    of the lead it names by `lead_id`, else of the open leads with its `email`."""
    data = envelope["data"]
    for lead in engaged_leads(session, data):
        record_engagement(session, lead.id, envelope["type"], envelope["id"], occurred(envelope))


def engaged_leads(session: Session, data: dict) -> list[Lead]:
    if data.get("lead_id"):
        try:
            return [get(session=session, record_id=data["lead_id"])]
        except NotFound:
            pass
    address = data.get("email")
    if not isinstance(address, str) or not address.strip():
        return []
    query = select(Lead).where(
        Lead.email_normalized == normalized_email(address), Lead.status != "converted"
    )
    return list(session.scalars(query))


def occurred(envelope: dict) -> datetime:
    """When the engagement happened: the event's `occurred_at` if it says so readably, else
    the event's time (a bad value must not stop every later event of the source)."""
    try:
        moment = datetime.fromisoformat(envelope["data"]["occurred_at"])
    except (KeyError, TypeError, ValueError):
        moment = datetime.fromisoformat(envelope["time"])
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
