"""assignment and scoring rules are versioned records (ETag, If-Match); teams become sales' copy
of the gateway directory's teams (kept from `crm/gateway` events), dissolved when deleted there

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from infra.db import UTCDateTime
from infra.migrations import make_record, unmake_record

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    make_record("assignment_rules", has_created_at=False)
    make_record("scoring_rules", has_created_at=False)
    with op.batch_alter_table("teams") as batch_op:
        batch_op.add_column(sa.Column("dissolved_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch_op:
        batch_op.drop_column("dissolved_at")
    unmake_record("scoring_rules", had_created_at=False)
    unmake_record("assignment_rules", had_created_at=False)
