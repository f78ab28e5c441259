"""Engines and the nameko dependency that gives each worker its own SQLAlchemy session.

Commit is explicit: nameko sends an RPC reply before dependencies see the result, so a commit
in a `worker_result` hook could fail after the caller was told it succeeded. Service methods
call `self.db.commit()`; whatever a worker leaves uncommitted is rolled back at teardown.
"""

import functools
import uuid
from datetime import UTC, datetime
from pathlib import Path

from nameko.extensions import DependencyProvider
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Insert,
    Integer,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)

from infra import config


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on every backend (SQLite
    stores no zone and would hand back naive datetimes)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect):
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the platform's own tables (outbox, consumer positions)."""


# SQLite has no BIGSERIAL; INTEGER PRIMARY KEY is its rowid alias, so both autoincrement.
Serial = BigInteger().with_variant(Integer(), "sqlite")


class Record:
    """Columns of every record a user edits through the API: a UUID, when it was created and
    last changed, and `version`, which backs ETags and optimistic locking."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    version: Mapped[int] = mapped_column(nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


def insert_or_ignore(session: Session, model: type) -> Insert:
    """An INSERT that skips rows clashing with a unique key (`ON CONFLICT DO NOTHING`, on both
    backends): seed rows that several instances may write at once, with fixed ids, and the
    second writer waits for the first to commit, then writes nothing."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@functools.cache
def engine_for(url: str) -> Engine:
    """One engine per database URL and process, shared by every dependency that needs it."""
    # A connection for each of nameko's concurrent workers (or gunicorn's threads), so none
    # waits for one and none is opened and closed again under load.
    pool_size = int(config.env("CRM_MAX_WORKERS", "10")) + 2
    if is_sqlite(url):
        return _sqlite_engine(url, pool_size)
    # psycopg2 waits cooperatively under eventlet: `eventlet.monkey_patch()`, which `nameko run`
    # calls first thing, installs a green wait callback (what psycogreen would do).
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # `timeout` is SQLite's busy wait for a lock held by another process. It blocks the whole
    # process (green threads too), so it stays short.
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"timeout": 5, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let the "begin" listener below start it
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    # A deferred BEGIN: with WAL, a reading transaction takes no lock a writer waits for. That
    # matters under eventlet: nameko replies before a worker's session is closed, so a reader's
    # transaction stays open while its green thread yields. A writer never yields between its
    # first write and its commit, so in one process writers never wait on each other either.
    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    return engine


def session_factory(url: str) -> sessionmaker:
    return sessionmaker(engine_for(url), expire_on_commit=False)


class Database(DependencyProvider):
    """`self.db` in a worker: a session of the service's own database."""

    def setup(self):
        url = self.container.config.get("DATABASE_URL") or config.database_url(
            self.container.service_name
        )
        self.Session = session_factory(url)
        self.sessions: dict = {}

    def get_dependency(self, worker_ctx) -> Session:
        session = self.Session()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
