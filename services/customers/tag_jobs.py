"""Tags added to or removed from many accounts or contacts at once (`POST /contacts/tags`).

A selection of at most `AT_ONCE` records is tagged within the request. A larger one (an empty
filter tags every account) becomes a job, as an import does: the service's timer runs it in
batches of records taken in id order, each batch one transaction that also holds the job's
counters, so the job shows its progress and a batch is never half done. A job runs under a
lock its process holds (`infra.locks`); if the process ends, another instance resumes the job
after its last committed batch.
"""

import logging
import uuid
from collections.abc import Callable, Iterator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from contracts.customers import ACCOUNTS, CONTACTS, account_query, contact_query
from infra import crud, locks
from infra.context import Actor
from infra.db import utcnow
from infra.errors import NotFound, load
from services.customers import accounts, contacts, imports, records
from services.customers.models import Account, Contact, TagJob

log = logging.getLogger(__name__)

AT_ONCE = 500  # records tagged within the request; a larger selection becomes a job
BATCH_SIZE = 500
WAITING = ("queued", "running")
MODELS = {"account": Account, "contact": Contact}
RESOURCES = {"account": ACCOUNTS, "contact": CONTACTS}


def retag(*, session: Session, entity: str, data: dict, actor: Actor) -> dict:
    """Tag the selection now if it is small: `{"result": {"matched", "changed"}}`; else queue
    a job for it: `{"job": TagJob}`. A filter is checked either way (422 if bad)."""
    selection = {"ids": [str(i) for i in data["ids"]]} if "ids" in data else data
    selection = {**selection, records.VISIBLE: crud.scope(RESOURCES[entity], actor, writing=True)}
    query = selected(session, entity, selection)
    matched = session.scalar(select(func.count()).select_from(query.subquery()))
    if matched <= AT_ONCE:
        changed = change_tags(session, entity, session.scalars(query), data, actor)
        return {"result": {"matched": matched, "changed": changed}}
    job = TagJob(
        entity=entity,
        status="queued",
        operation=data["operation"],
        tags=sorted(set(data["tags"])),
        selection={
            **({"ids": selection["ids"]} if "ids" in selection else {"filter": data["filter"]}),
            records.VISIBLE: selection[records.VISIBLE],  # the creator's view, kept for the job
        },
        total=matched,
        processed=0,
        changed=0,
        created_by=actor.user_uuid,
    )
    session.add(job)
    session.flush()
    return {"job": job}


def get(*, session: Session, job_id, actor: Actor) -> TagJob:
    """A job as its creator, admins and managers see it; to anyone else it does not exist."""
    job = session.get(TagJob, records.parse_id(job_id))
    if job is None or not imports.may_see(job, actor):
        raise NotFound(f"No tag job with id {job_id}.")
    return job


def run_waiting(
    *, session: Session, stopping: Callable[[], bool], batch_size: int = BATCH_SIZE
) -> TagJob | None:
    """Run the oldest job nobody is running, if any. Commits as it goes."""
    return locks.run_oldest_waiting(
        session, TagJob, WAITING, "tag-job", lambda job: run(session, job, stopping, batch_size)
    )


def run(session: Session, job: TagJob, stopping: Callable[[], bool], batch_size: int) -> None:
    """Tag the job's records batch by batch from where it stopped; returns early, the job
    still running, when the service is stopping."""
    job.status = "running"
    session.commit()
    actor = Actor(user_id=str(job.created_by) if job.created_by else None, via="api")
    data = {"operation": job.operation, "tags": job.tags}
    try:
        for batch in _batches(session, job, batch_size):
            if stopping():
                return
            job.changed += change_tags(session, job.entity, batch, data, actor)
            job.processed += len(batch)
            job.last_id = batch[-1].id
            session.commit()
    except Exception:
        log.exception("tag job %s failed", job.id)
        session.rollback()
        _finish(session, job, "failed", f"Stopped by an unexpected error after {job.processed}.")
        return
    _finish(session, job, "done")


def selected(session: Session, entity: str, selection: dict) -> Select:
    """The records `selection` names, by `ids` or by a list `filter`, among those its creator
    may change."""
    model = MODELS[entity]
    if "ids" in selection:
        query = select(model).where(model.id.in_([uuid.UUID(i) for i in selection["ids"]]))
    else:
        filters = load(account_query if entity == "account" else contact_query, selection["filter"])
        domain = accounts if entity == "account" else contacts
        query = records.in_period(domain.selected(session, filters), model, filters)
    return records.visible_only(query, model, selection)


def change_tags(session: Session, entity: str, rows, data: dict, actor: Actor) -> int:
    """Add or remove `data["tags"]` on each record; each that changes publishes its update.
    Returns how many changed."""
    change = accounts.change if entity == "account" else contacts.change
    changed = 0
    for record in rows:
        current = set(record.tags)
        tags = set(data["tags"])
        wanted = current | tags if data["operation"] == "add" else current - tags
        if wanted != current:
            change(session, record, {"tags": sorted(wanted)}, actor)
            changed += 1
    return changed


def _batches(session: Session, job: TagJob, size: int) -> Iterator[list]:
    model = MODELS[job.entity]
    while True:
        query = selected(session, job.entity, job.selection).order_by(model.id).limit(size)
        if job.last_id is not None:
            query = query.where(model.id > job.last_id)
        batch = session.scalars(query).all()
        if not batch:
            return
        yield batch


def _finish(session: Session, job: TagJob, status: str, error: str | None = None) -> None:
    job.status, job.error, job.finished_at = status, error, utcnow()
    session.commit()
