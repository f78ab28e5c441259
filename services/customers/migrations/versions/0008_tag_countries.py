"""contact_tags carry their contact's country too, indexed (tag, country, created_at), so a
tag's contacts in one country are listed newest first from one index range

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_tags") as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
    op.execute(
        "UPDATE contact_tags SET country = "
        "(SELECT country FROM contacts WHERE contacts.id = contact_tags.contact_id)"
    )
    with op.batch_alter_table("contact_tags") as batch_op:
        batch_op.create_index(
            "ix_contact_tags_tag_country", ["tag", "country", "created_at", "contact_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_tags") as batch_op:
        batch_op.drop_index("ix_contact_tags_tag_country")
        batch_op.drop_column("country")
