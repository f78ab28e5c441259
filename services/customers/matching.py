"""How the CRM decides two contacts are the same person: normalized emails and phones, and
similar names at the same company. The import, the duplicates list and lead conversion in sales
all ask this module, so they agree."""

import re
import uuid
from collections.abc import Iterable

import phonenumbers
from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

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


def full_name(contact: Contact) -> str:
    return " ".join(part for part in (contact.first_name, contact.last_name) if part)


def similar_names(a: Contact, b: Contact) -> float:
    return fuzz.token_sort_ratio(full_name(a).lower(), full_name(b).lower())
