"""custom field definitions are versioned records (ETag, If-Match), like every other

Revision ID: 0005
Revises: 0004
"""

from infra.migrations import make_record, unmake_record

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    make_record("custom_fields")


def downgrade() -> None:
    unmake_record("custom_fields")
