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
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text


@contextlib.contextmanager
def held(engine: Engine, name: str) -> Iterator[bool]:
    """Try to take the lock `name` on `engine`'s database, without waiting; yields whether this
    process holds it. Two holders in one process exclude each other too."""
    lock = _advisory if engine.dialect.name == "postgresql" else _file
    with lock(engine, name) as got:
        yield got


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
