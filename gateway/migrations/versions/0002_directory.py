"""the user directory's teams (with a manager and ordered members), open resources, and the
gateway's event log (outbox) for directory events

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from infra.db import UTCDateTime
from infra.migrations import create_platform_tables, drop_platform_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_teams_manager_id", "teams", ["manager_id"])
    op.create_index("ix_teams_created_at", "teams", ["created_at"])
    op.create_index("ix_teams_updated_at", "teams", ["updated_at"])
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])
    op.create_table(
        "open_resources",
        sa.Column("resource", sa.String(length=63), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("resource"),
    )
    create_platform_tables()


def downgrade() -> None:
    drop_platform_tables()
    op.drop_table("open_resources")
    op.drop_index("ix_team_members_user_id", table_name="team_members")
    op.drop_table("team_members")
    for index in ("ix_teams_updated_at", "ix_teams_created_at", "ix_teams_manager_id"):
        op.drop_index(index, table_name="teams")
    op.drop_table("teams")
