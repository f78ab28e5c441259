from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from infra.listing import page
from services.customers import search
from services.customers.models import Account, Contact, ContactEmail, ContactPhone, ContactTag

START = datetime(2020, 1, 1, tzinfo=UTC)


def add(session, first, last, *, emails=(), phones=(), company=None, tags=(), days=0) -> Contact:
    """A contact with its search text made the way the service makes it."""
    digits = ["".join(ch for ch in phone if ch.isdigit()) for phone in phones]
    words = [first, last, f"{first} {last}", *emails, *phones, *digits, company or ""]
    account = Account(name=company) if company else None
    if account:
        session.add(account)
        session.flush()
    created_at = START + timedelta(days=days)
    contact = Contact(
        first_name=first,
        last_name=last,
        email=emails[0] if emails else None,
        account_id=account.id if account else None,
        search_text=" ".join(words).lower(),
        created_at=created_at,
        emails=[
            ContactEmail(address=e, normalized=e.lower(), is_primary=not i)
            for i, e in enumerate(emails)
        ],
        phones=[
            ContactPhone(number=p, normalized=d, is_primary=not i)
            for i, (p, d) in enumerate(zip(phones, digits, strict=True))
        ],
        tag_rows=[ContactTag(tag=tag, created_at=created_at) for tag in tags],
    )
    session.add(contact)
    session.flush()
    return contact


@pytest.fixture
def people(session):
    add(
        session,
        "Ada",
        "Lovelace",
        emails=["ada@example.com"],
        phones=["+44 20 7946 0958"],
        company="Analytical Engines",
        tags=["vip", "newsletter"],
    )
    add(session, "Charles", "Babbage", emails=["charles_b@example.org"], tags=["newsletter"])
    add(
        session,
        "伟",
        "张",
        emails=["zhang.wei@example.cn"],
        phones=["13812345678"],
        company="黄石金承传媒有限公司",
        tags=["重点"],
    )
    add(session, "秀英", "王", company="100% Organic", tags=["重点", "vip"])
    add(session, "Grace", "Hopper", emails=["grace@navy.mil"], phones=["(202) 555-0143"])


def found(session, q=None, tags=()) -> list[str]:
    query = select(Contact)
    if q is not None:
        query = search.matches(query, q, session.get_bind().dialect.name)
    if tags:
        query = search.tagged(query, tags)
    return sorted(contact.last_name for contact in session.scalars(query))


@pytest.mark.parametrize(
    ("q", "last_names"),
    [
        ("lov", ["Lovelace"]),  # a name's start
        ("elac", ["Lovelace"]),  # any part of it
        ("LOVELACE", ["Lovelace"]),
        ("ada love", ["Lovelace"]),  # the full name
        ("GRACE@NAVY.MIL", ["Hopper"]),  # an email
        ("example.", ["Babbage", "Lovelace", "张"]),
        ("+44 20 7946", ["Lovelace"]),  # a phone as typed
        ("2025550143", ["Hopper"]),  # and its digits
        ("analytical", ["Lovelace"]),  # the company
        ("张", ["张"]),  # one Chinese character
        ("英", ["王"]),
        ("秀英", ["王"]),  # two
        ("传媒", ["张"]),
        ("金承传媒", ["张"]),  # more
        ("e", ["Babbage", "Hopper", "Lovelace", "张"]),  # one letter
        ("ho", ["Hopper"]),  # two letters
        ("e.", ["Babbage", "Lovelace", "张"]),  # two characters, one not a letter
        ("s_b", ["Babbage"]),  # three, but no three letters or digits in a row
        ("a.b", []),
        ("%", ["王"]),  # LIKE's wildcards are plain characters
        ("_", ["Babbage"]),
        ("s_b@", ["Babbage"]),
        ("0%", ["王"]),
        ("\\", []),
        ("nobody", []),
    ],
)
def test_q_finds_what_the_search_text_contains(session, people, q, last_names):
    assert found(session, q) == last_names


def test_tags_find_contacts_with_every_one_of_them(session, people):
    assert found(session, tags=["vip"]) == ["Lovelace", "王"]
    assert found(session, tags=["vip", "重点"]) == ["王"]
    assert found(session, tags=["vip", "unknown"]) == []
    assert found(session, q="lov", tags=["newsletter"]) == ["Lovelace"]


def list_page(session, query, **options) -> tuple[list[str], str | None]:
    items, cursor = page(
        session,
        query,
        sort="-created_at",
        allowed={"created_at": Contact.created_at},
        id_column=Contact.id,
        limit=2,
        **options,
    )
    return [contact.last_name for contact in items], cursor


@pytest.mark.parametrize("window", [None, 1, 3, 100])
def test_a_window_pages_like_the_plain_query(session, window):
    """However many of the newest contacts a window looks through first, the pages are those
    of the plain query, also when the matches are old and fewer than a page."""
    for day in range(10):
        add(
            session,
            "Old" if day < 3 else "New",
            f"C{day}",
            tags=["expo"] if day < 3 else [],
            days=day,
        )
    tagged = search.tagged(select(Contact), ["expo"])

    first, cursor = list_page(session, tagged, window=window)
    second, end = list_page(session, tagged, window=window, cursor=cursor)

    assert (first, second, end) == (["C2", "C1"], ["C0"], None)
    assert list_page(session, select(Contact), window=window)[0] == ["C9", "C8"]


@pytest.mark.parametrize("window", [None, 2, 3, 100])
def test_a_window_with_part_of_a_page_reaches_further_back_for_the_rest(session, window):
    for day in range(10):
        add(session, "X", f"C{day}", tags=["expo"] if day in (0, 5, 8, 9) else [], days=day)
    tagged = search.tagged(select(Contact), ["expo"])

    first, cursor = list_page(session, tagged, window=window)
    second, end = list_page(session, tagged, window=window, cursor=cursor)

    assert (first, second, end) == (["C9", "C8"], ["C5", "C0"], None)


def test_short_grams_are_the_one_and_two_character_substrings(session, backend):
    if backend != "postgresql":
        pytest.skip("a PostgreSQL function, from migration 0003")
    for text in ("", "a", "ab", "abc", "张伟 a.b", "x\ny%_"):
        grams = session.scalar(select(func.short_grams(text)))
        expected = {text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1)}
        assert set(grams) == expected
