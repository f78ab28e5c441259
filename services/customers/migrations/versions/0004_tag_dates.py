"""contact_tags carry their contact's created_at, indexed after the tag, so a tag's contacts
are listed newest first from one index range

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import infra.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_tags") as batch_op:
        batch_op.add_column(sa.Column("created_at", infra.db.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE contact_tags SET created_at = "
        "(SELECT created_at FROM contacts WHERE contacts.id = contact_tags.contact_id)"
    )
    with op.batch_alter_table("contact_tags") as batch_op:
        batch_op.alter_column("created_at", existing_type=infra.db.UTCDateTime(), nullable=False)
        batch_op.drop_index("ix_contact_tags_tag")
        batch_op.create_index("ix_contact_tags_tag", ["tag", "created_at", "contact_id"])


def downgrade() -> None:
    with op.batch_alter_table("contact_tags") as batch_op:
        batch_op.drop_index("ix_contact_tags_tag")
        batch_op.create_index("ix_contact_tags_tag", ["tag", "contact_id"])
        batch_op.drop_column("created_at")
