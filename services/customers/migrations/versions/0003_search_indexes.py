"""search indexes on PostgreSQL: trigrams and short grams of contacts.search_text, trigrams
of account names and websites

Revision ID: 0003
Revises: 0002

SQLite, the small single-instance default, searches without them.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The distinct one- and two-character substrings of a text (with some repeated, which GIN
# ignores): the characters, then the pairs starting at odd and at even positions. Plain SQL,
# so the planner inlines it. \x01 only marks the pairs' ends; no search text contains it.
SHORT_GRAMS = r"""
CREATE FUNCTION short_grams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT array_remove(
        string_to_array($1, NULL)
        || string_to_array(regexp_replace($1, '(..)', E'\\1\x01', 'g'), E'\x01')
        || string_to_array(regexp_replace(substr($1, 2), '(..)', E'\\1\x01', 'g'), E'\x01'),
        ''
    )
$$
"""

# Row estimates for a search term come from these statistics; the default sample (30,000
# rows) is too coarse to tell a term in 50 contacts from one in 5,000, and the planner then
# walks the whole created_at index looking for the newest matches of a rare term.
STATISTICS = 1000


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(SHORT_GRAMS)
    op.execute(
        "CREATE INDEX ix_contacts_search_trigrams ON contacts USING gin (search_text gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_contacts_search_short_grams ON contacts "
        "USING gin (short_grams(search_text))"
    )
    op.execute(f"ALTER TABLE contacts ALTER COLUMN search_text SET STATISTICS {STATISTICS}")
    op.execute(
        f"ALTER INDEX ix_contacts_search_short_grams ALTER COLUMN 1 SET STATISTICS {STATISTICS}"
    )
    op.execute("CREATE INDEX ix_accounts_name_trigrams ON accounts USING gin (name gin_trgm_ops)")
    op.execute(
        "CREATE INDEX ix_accounts_website_trigrams ON accounts USING gin (website gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in (
        "ix_accounts_website_trigrams",
        "ix_accounts_name_trigrams",
        "ix_contacts_search_short_grams",
        "ix_contacts_search_trigrams",
    ):
        op.execute(f"DROP INDEX {index}")
    op.execute("ALTER TABLE contacts ALTER COLUMN search_text SET STATISTICS -1")
    op.execute("DROP FUNCTION short_grams(text)")
    # pg_trgm stays: it may have been there before, and other schemas may use it.
