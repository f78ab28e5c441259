"""Importing contacts from a CSV file: the job's life (uploading, queued, running, then done
or failed) and the import itself, in batches.

The gateway uploads the file in chunks, then queues the job; queuing reads the file's head
(encoding, delimiter, header, mapping), so a file that cannot be imported is refused at once and
leaves nothing behind. The service's timer runs queued jobs. A first pass reads the whole file
to count its rows and to check that all of it decodes and parses, writing nothing; the second
imports it in batches, each one transaction that also holds the job's counters: the job shows
its progress, and a batch is never half imported.

A job runs under a lock its process holds while it lives (`infra.locks`). If the process ends
mid-way, the job stays `running`, and the next timer tick of any instance takes it over after
its last committed batch. A dry run starts over: what it remembers of earlier rows' emails lives
in the process only.
"""

import hashlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contracts.customers import contact_read
from infra import locks
from infra.context import Actor
from infra.db import utcnow
from infra.errors import NotFound, ValidationFailed
from services.customers import (
    accounts,
    contacts,
    csv_rows,
    custom_fields,
    matching,
    records,
)
from services.customers.models import Contact, ImportChunk, ImportJob

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_CHUNK_BYTES = 1024 * 1024
MAX_LISTED_REJECTIONS = 10_000  # more are counted (processed - created - duplicates), not listed
ABANDONED_AFTER = timedelta(hours=1)  # an upload that was never queued
WAITING = ("queued", "running")
SEE_EVERY_JOB = ("admin", "manager")


def create(*, session: Session, options: dict, actor: Actor) -> ImportJob:
    job = ImportJob(
        status="uploading",
        created_by=actor.user_uuid,
        total=0,
        processed=0,
        created=0,
        duplicates=0,
        merged=0,
        rejected=[],
        **options,
    )
    session.add(job)
    session.flush()
    return job


def get(*, session: Session, job_id, actor: Actor) -> ImportJob:
    """A job as its creator, admins and managers see it; to anyone else it does not exist."""
    job = session.get(ImportJob, records.parse_id(job_id))
    if job is None or not may_see(job, actor):
        raise NotFound(f"No import with id {job_id}.")
    return job


def may_see(job, actor: Actor) -> bool:
    """A job (an import, a tag job) is its creator's, and admins' and managers'."""
    return str(job.created_by) == actor.user_id or bool(set(actor.roles) & set(SEE_EVERY_JOB))


def append_chunk(*, session: Session, job_id, seq: int, data: bytes, actor: Actor) -> None:
    job = _uploading(session, job_id, actor)
    if len(data) > MAX_CHUNK_BYTES:
        discard(session, job)
        raise csv_rows.refused("file", f"A chunk is larger than {MAX_CHUNK_BYTES} bytes.")
    session.add(ImportChunk(job_id=job.id, seq=seq, data=data))
    session.flush()


def queue(*, session: Session, job_id, actor: Actor) -> ImportJob:
    """Queue the uploaded file once its head shows it can be imported; else refuse it (422)
    and delete the job: the caller commits either way."""
    job = _uploading(session, job_id, actor)
    try:
        csv_rows.layout(csv_rows.head_text(_head(session, job), job.encoding), job.mapping)
    except ValidationFailed:
        discard(session, job)
        raise
    job.status = "queued"
    return job


def discard(session: Session, job: ImportJob) -> None:
    session.execute(delete(ImportChunk).where(ImportChunk.job_id == job.id))
    session.delete(job)
    session.flush()


def discard_abandoned(session: Session) -> None:
    """Uploads that were never queued (the gateway stopped half-way) go after a while."""
    for job in session.scalars(
        select(ImportJob).where(
            ImportJob.status == "uploading", ImportJob.created_at < utcnow() - ABANDONED_AFTER
        )
    ).all():
        discard(session, job)


def run_waiting(
    *, session: Session, stopping: Callable[[], bool], batch_size: int = BATCH_SIZE
) -> ImportJob | None:
    """Run the oldest job nobody is running, if any: a queued one, or a running one whose
    process ended. Commits as it goes; returns the job it ran."""
    discard_abandoned(session)
    return locks.run_oldest_waiting(
        session, ImportJob, WAITING, "import", lambda job: run(session, job, stopping, batch_size)
    )


def run(
    session: Session, job: ImportJob, stopping: Callable[[], bool], batch_size: int = BATCH_SIZE
) -> None:
    """Check and count the whole file, then import it batch by batch from where it stopped.
    Returns early, leaving the job running, when `stopping()` says the service is stopping."""
    if job.dry_run:
        _restart(job)
    job.status = "running"
    session.commit()
    try:
        layout = _first_pass(session, job)
    except csv_rows.Unreadable as exc:
        _finish(session, job, "failed", str(exc))
        return
    session.commit()
    importer = Importer(session, job)
    try:
        for batch in _batches(_rows(session, job, layout, skip=job.processed), batch_size):
            if stopping():
                return
            importer.add(batch)
            session.commit()
    except Exception:
        log.exception("import %s failed", job.id)
        session.rollback()
        message = f"Stopped by an unexpected error after {job.processed} rows (logged)."
        _finish(session, job, "failed", message)
        return
    _finish(session, job, "done")


class Importer:
    """Imports batches of rows into the contacts of one job, updating the job's counters."""

    def __init__(self, session: Session, job: ImportJob):
        self.session, self.job = session, job
        self.actor = Actor(user_id=str(job.created_by) if job.created_by else None, via="import")
        # Emails of earlier rows, 8 bytes each: a real run forgets them after each batch (the
        # database has that batch's contacts), a dry run keeps them to the end.
        self.seen: set[bytes] = set()

    def add(self, rows: list[csv_rows.Row]) -> None:
        """Import a batch: its duplicates found with one query, its accounts with another, its
        contacts written with one flush and their events numbered with one counter update."""
        rows = [self._with_custom_values(row) for row in rows]
        accepted = [row for row in rows if row.reason is None]
        keys = {row.email_key for row in accepted if row.email_key}
        known = matching.contacts_by_email(self.session, keys)
        if not self.job.dry_run:
            self.seen.clear()
        duplicates = [self._seen_before(row, known) for row in accepted]
        if not self.job.dry_run:
            self._write(accepted, duplicates, known)
        self._count(rows, duplicates.count(False), duplicates.count(True))

    def _with_custom_values(self, row: csv_rows.Row) -> csv_rows.Row:
        """The row with its `cf.` columns read by their definitions, or rejected saying why."""
        texts = row.data and row.data.get("custom_fields")
        if not texts:
            return row
        try:
            values = custom_fields.from_text(self.session, "contact", texts)
        except ValidationFailed as bad:
            problems = bad.errors["custom_fields"]
            message = " ".join(f"cf.{name}: {' '.join(m)}" for name, m in problems.items())
            return replace(row, data=None, reason="invalid_custom_fields", message=message)
        return replace(row, data={**row.data, "custom_fields": values})

    def _seen_before(self, row: csv_rows.Row, known: dict[str, Contact]) -> bool:
        """Whether a contact or an earlier row of the file has the row's email."""
        if row.email_key is None:
            return False
        digest = hashlib.blake2b(row.email_key.encode(), digest_size=8).digest()
        before = row.email_key in known or digest in self.seen
        self.seen.add(digest)
        return before

    def _write(self, rows: list[csv_rows.Row], duplicates: list[bool], known: dict) -> None:
        merging = self.job.on_duplicate == "merge"
        companies = [
            row.company
            for row, dup in zip(rows, duplicates, strict=True)
            if row.company and (not dup or merging)
        ]
        found = accounts.find_or_create_by_names(self.session, companies, self.actor)
        unsaved: list[Contact] = []
        for row, duplicate in zip(rows, duplicates, strict=True):
            if not duplicate:
                unsaved.append(contacts.build(self.session, with_account(row, found)))
                known.setdefault(row.email_key, unsaved[-1])
            elif merging:
                if known[row.email_key] in unsaved:  # made by an earlier row: created first
                    unsaved = self._save(unsaved)
                data = with_account(row, found)
                contacts.fill_in(self.session, known[row.email_key], data, self.actor)
        self._save(unsaved)

    def _save(self, new: list[Contact]) -> list[Contact]:
        records.add_many(self.session, new, contact_read, self.actor)
        return []

    def _count(self, rows: list[csv_rows.Row], created: int, duplicates: int) -> None:
        job = self.job
        job.processed += len(rows)
        job.created += created
        job.duplicates += duplicates
        if job.on_duplicate == "merge":
            job.merged += duplicates
        rejected = [row.rejection() for row in rows if row.reason is not None]
        if rejected and len(job.rejected) < MAX_LISTED_REJECTIONS:
            job.rejected = [*job.rejected, *rejected][:MAX_LISTED_REJECTIONS]


def with_account(row: csv_rows.Row, accounts_by_name: dict) -> dict:
    if not row.company:
        return row.data
    return {**row.data, "account_id": accounts_by_name[row.company.strip().lower()].id}


def _restart(job: ImportJob) -> None:
    job.processed = job.created = job.duplicates = job.merged = 0
    job.rejected = []


def _first_pass(session: Session, job: ImportJob) -> csv_rows.Layout:
    """Read the whole file once: settle its encoding (the first that decodes all of it, unless
    given), check it parses, and count its rows. Raises `Unreadable`, having written nothing."""
    head = _head(session, job)
    encodings = [job.encoding] if job.encoding else csv_rows.encodings_of(head)
    for encoding in encodings:
        try:
            layout = csv_rows.layout(csv_rows.head_text(head, encoding), job.mapping)
            total = sum(1 for _ in _records(session, job, encoding, layout)) - 1
        except (csv_rows.Unreadable, ValidationFailed) as exc:
            if encoding == encodings[-1]:
                raise csv_rows.Unreadable(getattr(exc, "detail", str(exc))) from None
            continue
        job.encoding, job.total = encoding, max(total, 0)
        return layout
    raise csv_rows.Unreadable("The file is neither UTF-8 nor GB18030 text.")


def _rows(session: Session, job: ImportJob, layout: csv_rows.Layout, skip: int):
    rows = itertools.islice(_records(session, job, job.encoding, layout), 1 + skip, None)
    return (csv_rows.read_row(line, values, layout) for line, values in rows)


def _records(session: Session, job: ImportJob, encoding: str, layout: csv_rows.Layout):
    text = csv_rows.text_stream(_chunks(session, job), encoding)
    return csv_rows.records(text, layout.delimiter)


def _chunks(session: Session, job: ImportJob) -> Iterator[bytes]:
    """The file's chunks in order, one query each, so none is held longer than it is read."""
    for seq in itertools.count():
        data = session.scalar(
            select(ImportChunk.data).where(ImportChunk.job_id == job.id, ImportChunk.seq == seq)
        )
        if data is None:
            return
        yield data


def _head(session: Session, job: ImportJob) -> bytes:
    head = b""
    for chunk in _chunks(session, job):
        head += chunk
        if len(head) >= csv_rows.HEAD_BYTES:
            break
    return head[: csv_rows.HEAD_BYTES]


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _finish(session: Session, job: ImportJob, status: str, error: str | None = None) -> None:
    job.status, job.error, job.finished_at = status, error, utcnow()
    session.execute(delete(ImportChunk).where(ImportChunk.job_id == job.id))
    session.commit()


def _uploading(session: Session, job_id, actor: Actor) -> ImportJob:
    job = get(session=session, job_id=job_id, actor=actor)
    if job.status != "uploading" or str(job.created_by) != actor.user_id:
        raise NotFound(f"No import with id {job_id} is being uploaded by you.")
    return job
