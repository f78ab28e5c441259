"""Locks held for as long as the holding process lives, for work one instance of a service must
do alone (an import, say). Nothing expires and nothing needs a heartbeat: the lock is released
when the process ends, however it ends, so another instance can take the work over.

PostgreSQL: a session advisory lock, on a connection of the holder's own. SQLite, which lives
on one machine: `flock` on a file beside the database, removed on release.
"""

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session


@contextlib.contextmanager
def held(engine: Engine, name: str) -> Iterator[bool]:
    """Try to take the lock `name` on `engine`'s database, without waiting; yields whether this
    process holds it. Two holders in one process exclude each other too."""
    lock = _advisory if engine.dialect.name == "postgresql" else _file
    with lock(engine, name) as got:
        yield got


def run_oldest_waiting(
    session: Session, job_model, waiting: tuple[str, ...], kind: str, run: Callable
):
    """Run the oldest job of `job_model` (a model with `id`, `status` and `created_at`) that
    is `waiting` and that no process runs: a queued one, or a running one whose process ended.
    `run(job)` runs it under the lock `<kind>-<job id>`; returns the job it ran, or None."""
    ids = session.scalars(
        select(job_model.id).where(job_model.status.in_(waiting)).order_by(job_model.created_at)
    ).all()
    session.commit()
    for job_id in ids:
        with held(session.get_bind().engine, f"{kind}-{job_id}") as mine:
            job = session.get(job_model, job_id, populate_existing=True) if mine else None
            if job is not None and job.status in waiting:
                run(job)
                return job
    return None


@contextlib.contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[bool]:
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)
    # Autocommit: the lock belongs to the connection, and no transaction stays open meanwhile.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        got = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextlib.contextmanager
def _file(engine: Engine, name: str) -> Iterator[bool]:
    path = Path(f"{engine.url.database}.{name}.lock")
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        # The previous holder may have removed the file between our open and our flock: then
        # this lock is on a file nobody else will find, and does not count.
        try:
            got = os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
        except FileNotFoundError:
            got = False
        try:
            yield got
        finally:
            if got:
                path.unlink()
