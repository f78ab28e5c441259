"""Alembic, one migration history per component (each service, and the gateway).

`python -m infra.migrations` brings every component's database to the newest revision.
"""

import sys

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config

from infra import config
from infra.db import engine_for, is_sqlite

COMPONENTS = (*config.SERVICES, "gateway")


def script_location(component: str) -> str:
    folder = config.ROOT / ("gateway" if component == "gateway" else f"services/{component}")
    return str(folder / "migrations")


def alembic_config(component: str, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location(component))
    # Alembic's option parser reads `%` as interpolation; escaped passwords contain it.
    cfg.set_main_option(
        "sqlalchemy.url", (url or config.database_url(component)).replace("%", "%%")
    )
    return cfg


def upgrade(component: str, url: str | None = None) -> None:
    command.upgrade(alembic_config(component, url), "head")


def run_env(metadata) -> None:
    """The body of every component's `migrations/env.py`."""
    from infra import consumer, outbox  # noqa: F401  (their tables join the platform metadata)
    from infra.db import Base

    target_metadata = [metadata, Base.metadata]
    url = context.config.get_main_option("sqlalchemy.url")
    with engine_for(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite(url),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def create_platform_tables() -> None:
    """The outbox, its counter and consumer positions: every service's first migration."""
    op.create_table(
        "outbox_events",
        sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), index=True),
    )
    counter = op.create_table(
        "event_counter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_sequence", sa.Integer, nullable=False),
    )
    op.bulk_insert(counter, [{"id": 1, "last_sequence": 0}])
    op.create_table(
        "consumer_positions",
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("last_sequence", sa.Integer, nullable=False),
    )


def drop_platform_tables() -> None:
    for table in ("consumer_positions", "event_counter", "outbox_events"):
        op.drop_table(table)


def make_record(table: str, has_created_at: bool = True) -> None:
    """Give an existing table the columns of `infra.db.Record` (created and updated times,
    `version` for ETags and If-Match); its rows start at version 1, updated when created."""
    from infra.db import UTCDateTime, utcnow

    stamp = UTCDateTime(timezone=True)
    with op.batch_alter_table(table) as batch_op:
        if not has_created_at:
            batch_op.add_column(sa.Column("created_at", stamp, nullable=True))
        batch_op.add_column(sa.Column("updated_at", stamp, nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
    now = sa.bindparam("now", utcnow(), type_=stamp)
    created = sa.column("created_at", stamp) if has_created_at else now
    op.execute(
        sa.table(table, sa.column("created_at"), sa.column("updated_at"), sa.column("version"))
        .update()
        .values(created_at=created, updated_at=created, version=1)
    )
    with op.batch_alter_table(table) as batch_op:
        for column in ("created_at", "updated_at"):
            batch_op.alter_column(column, existing_type=stamp, nullable=False)
            batch_op.create_index(f"ix_{table}_{column}", [column])
        batch_op.alter_column("version", existing_type=sa.Integer(), nullable=False)


def unmake_record(table: str, had_created_at: bool = True) -> None:
    with op.batch_alter_table(table) as batch_op:
        for column in ("created_at", "updated_at"):
            batch_op.drop_index(f"ix_{table}_{column}")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("version")
        if not had_created_at:
            batch_op.drop_column("created_at")


def main(components: list[str]) -> None:
    for component in components or COMPONENTS:
        upgrade(component)
        print(f"migrated {component}: {config.database_url(component)}")


if __name__ == "__main__":
    main(sys.argv[1:])
