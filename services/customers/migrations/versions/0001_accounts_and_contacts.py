"""accounts and contacts, and the platform's outbox tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from infra.db import UTCDateTime
from infra.migrations import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def record_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "accounts",
        *record_columns(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("industry", sa.String(100), nullable=True, index=True),
        sa.Column("website", sa.String(500), nullable=True),
        sa.Column("phone", sa.String(50), nullable=True),
    )
    op.create_index("ix_accounts_name_lower", "accounts", [sa.text("lower(name)")])
    op.create_table(
        "contacts",
        *record_columns(),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column(
            "account_id",
            sa.Uuid(),
            sa.ForeignKey("accounts.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    op.create_index("ix_contacts_last_name_lower", "contacts", [sa.text("lower(last_name)")])
    op.create_index("ix_contacts_email_lower", "contacts", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("accounts")
    drop_platform_tables()
