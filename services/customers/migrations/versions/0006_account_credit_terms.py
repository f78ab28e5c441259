"""accounts' credit terms: a credit limit in a currency, and payment terms in days

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: a batch copy of accounts on SQLite would drop its
# expression index (see 0002).
def upgrade() -> None:
    op.add_column("accounts", sa.Column("credit_limit", sa.Numeric(14, 2), nullable=True))
    op.add_column("accounts", sa.Column("credit_currency", sa.String(3), nullable=True))
    op.add_column("accounts", sa.Column("payment_terms_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in ("payment_terms_days", "credit_currency", "credit_limit"):
        op.drop_column("accounts", column)
