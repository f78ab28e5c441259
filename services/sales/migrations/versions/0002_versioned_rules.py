"""teams, assignment rules and scoring rules are versioned records (ETag, If-Match)

Revision ID: 0002
Revises: 0001
"""

from infra.migrations import make_record, unmake_record

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    make_record("teams")
    make_record("assignment_rules", has_created_at=False)
    make_record("scoring_rules", has_created_at=False)


def downgrade() -> None:
    unmake_record("scoring_rules", had_created_at=False)
    unmake_record("assignment_rules", had_created_at=False)
    unmake_record("teams")
