"""Contact search (`?q=`) and tag filters, as steps that narrow the contact list's query.

`q` matches contacts whose `search_text` (lower-cased names, emails, phones and company)
contains it, case-insensitively. On PostgreSQL two GIN indexes serve that (migration 0003):
trigrams for terms with three letters or digits in a row, and the one- and two-character
substrings (`short_grams`) for shorter terms, such as most Chinese given names, which have no
trigrams. docs/decisions.md says why and what it measured.
"""

import re

from sqlalchemy import Select, exists, func, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from services.customers.models import Contact, ContactTag

# How many of the newest contacts a searched or tagged list looks through before it collects
# every match and sorts those: `infra.listing.page(..., window=WINDOW)`. 10,000 rows cost a few
# milliseconds to look through; a term in fewer than one in 200 contacts is collected.
WINDOW = 10_000

# The shortest local part of an address (`name@`) looked up alone: a shorter one can be in
# thousands of contacts, which the domain's trigrams then narrow better than a recheck does.
LOCAL_PART = 6

# pg_trgm takes trigrams from runs of letters and digits; a term without a run of three has
# none, and a trigram index would have to read all of itself for it.
_TRIGRAMS = re.compile(r"[^\W_]{3}")


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches(query: Select, q: str, dialect: str) -> Select:
    """Contacts whose search text contains `q`; `dialect` is the session's
    (`session.get_bind().dialect.name`)."""
    term = q.lower()
    contains = Contact.search_text.like(like_pattern(term), escape="\\")
    if dialect != "postgresql":
        return query.where(contains)
    local, at, _ = term.partition("@")
    if at and len(local) >= LOCAL_PART and _TRIGRAMS.search(local):
        # An address: its domain's trigrams (gmail, example, .com) are in a good share of all
        # contacts, and reading their long lists from the index cost more than they narrow.
        # The local part's trigrams find the few candidates; strpos checks the whole term.
        found = Contact.search_text.like(like_pattern(local), escape="\\")
        return query.where(found, func.strpos(Contact.search_text, term) != 0)
    if _TRIGRAMS.search(term):
        return query.where(contains)
    if len(term) <= 2:
        # Holding the term among its short grams is the same test as containing it. strpos
        # checks it cheaply first, on rows the planner reads in created_at order; unlike LIKE,
        # it leaves the row estimate to the short grams' statistics.
        return query.where(
            func.strpos(Contact.search_text, term) != 0,
            _short_grams(Contact.search_text).contains(_array([term])),
        )
    return query.where(_short_grams(Contact.search_text).contains(_array(bigrams(term))), contains)


def bigrams(term: str) -> list[str]:
    return sorted({term[i : i + 2] for i in range(len(term) - 1)})


def _short_grams(column):
    return func.short_grams(column, type_=ARRAY(Text))


def _array(values: list[str]):
    return literal(values, ARRAY(Text))


def tagged(query: Select, tags: list[str]) -> Select:
    """Contacts that carry every one of `tags`."""
    for tag in tags:
        query = query.where(
            exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == tag)
        )
    return query
