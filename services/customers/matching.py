"""How the CRM decides two contacts are the same person: normalized emails and phones, and
similar names at the same company. The import, the duplicates list and lead conversion in sales
all ask this module, so they agree."""

import re
import uuid
from collections.abc import Iterable
from itertools import groupby

import phonenumbers
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from services.customers.models import Contact, ContactEmail, ContactPhone

NAME_SIMILARITY = 90  # rapidfuzz token_sort_ratio, 0-100


def normalize_email(address: str) -> str:
    return address.strip().lower()


def normalize_phone(number: str, country: str | None = None) -> str:
    """E.164 (+8615287492460) when the number parses, for the contact's country if it has no
    country code; otherwise its digits, so `(269)785-6039` and `269.785.6039` still match."""
    try:
        parsed = phonenumbers.parse(number, country or None)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    return re.sub(r"\D", "", number.split("x")[0])


def contacts_by_email(session: Session, normalized: Iterable[str]) -> dict[str, Contact]:
    wanted = set(normalized)
    if not wanted:
        return {}
    rows = session.execute(
        select(ContactEmail.normalized, Contact)
        .join(Contact, Contact.id == ContactEmail.contact_id)
        .where(ContactEmail.normalized.in_(wanted))
    )
    return {address: contact for address, contact in rows}


def contacts_by_phone(session: Session, normalized: Iterable[str]) -> dict[str, Contact]:
    wanted = set(normalized)
    if not wanted:
        return {}
    rows = session.execute(
        select(ContactPhone.normalized, Contact)
        .join(Contact, Contact.id == ContactPhone.contact_id)
        .where(ContactPhone.normalized.in_(wanted))
    )
    return {number: contact for number, contact in rows}


def existing_match(
    session: Session, emails: list[str], phones: list[str], exclude: uuid.UUID | None = None
) -> tuple[str, Contact] | None:
    """The first other contact sharing one of these normalized emails or phones, and on what."""
    for field, found in (
        ("email", contacts_by_email(session, emails)),
        ("phone", contacts_by_phone(session, phones)),
    ):
        for contact in found.values():
            if contact.id != exclude:
                return field, contact
    return None


def likely_pairs(session: Session, limit: int, account_id=None) -> list[dict]:
    """Pairs of contacts that are probably one person: the same normalized email or phone,
    or very similar names at the same company; strongest evidence first, at most `limit`."""
    pairs: dict[tuple, dict] = {}
    for reason, table in (("same_email", ContactEmail), ("same_phone", ContactPhone)):
        for a, b, value in _sharing(session, table, account_id, limit):
            pairs.setdefault((a, b), {"reason": reason, "value": value, "score": 100})
            if len(pairs) >= limit:
                return _shaped(pairs)
    for a, b, score in _similar_names(session, account_id):
        pairs.setdefault((a, b), {"reason": "similar_name", "value": None, "score": score})
        if len(pairs) >= limit:
            break
    return _shaped(pairs)


def _sharing(session: Session, table, account_id, limit: int):
    mine, theirs = aliased(table), aliased(table)
    query = (
        select(mine.contact_id, theirs.contact_id, mine.normalized)
        .join(
            theirs, (mine.normalized == theirs.normalized) & (mine.contact_id < theirs.contact_id)
        )
        .where(mine.normalized != "")
        .order_by(mine.normalized)
        .limit(limit)
    )
    if account_id is not None:
        query = query.join(Contact, Contact.id == mine.contact_id).where(
            Contact.account_id == account_id
        )
    return session.execute(query)


def _similar_names(session: Session, account_id):
    """Within each account, the name pairs rapidfuzz scores at NAME_SIMILARITY or more."""
    query = select(Contact.account_id, Contact.id, Contact.first_name, Contact.last_name).where(
        Contact.account_id.is_not(None)
    )
    if account_id is not None:
        query = query.where(Contact.account_id == account_id)
    rows = session.execute(query.order_by(Contact.account_id, Contact.id)).yield_per(1000)
    for _, people in groupby(rows, key=lambda row: row.account_id):
        people = list(people)
        names = [f"{row.first_name or ''} {row.last_name or ''}".strip().lower() for row in people]
        for i, name in enumerate(names):
            later = names[i + 1 :]
            for _, score, offset in process.extract(
                name, later, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_SIMILARITY, limit=None
            ):
                a, b = sorted((people[i].id, people[i + 1 + offset].id))
                yield a, b, score


def _shaped(pairs: dict) -> list[dict]:
    return [{"contact_ids": [str(a), str(b)], **evidence} for (a, b), evidence in pairs.items()]
