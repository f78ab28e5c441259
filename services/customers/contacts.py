"""Contacts: the people a CRM user talks to, optionally belonging to an account."""

from datetime import timedelta
from functools import partial
from operator import attrgetter

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from contracts.customers import contact_read
from infra import listing
from infra.context import Actor
from infra.db import utcnow
from infra.errors import Conflict, Gone, Moved, NotFound
from services.customers import custom_fields, matching, records, search
from services.customers.models import (
    Account,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    Erasure,
    Redirect,
)

SORTABLE = {
    "created_at": Contact.created_at,
    "updated_at": Contact.updated_at,
    "last_name": func.coalesce(func.lower(Contact.last_name), ""),
    "first_name": func.coalesce(func.lower(Contact.first_name), ""),
    "email": func.coalesce(func.lower(Contact.email), ""),
}
INDEXED = ("created_at", "updated_at")  # sort keys with an index, which a window needs
IDENTIFYING = ("first_name", "last_name")  # what a retried create with the same id must repeat
# A contact with its emails, phones, tags and account in one statement rather than five: a read of
# one contact is the gateway's most frequent call (bench/rpc_vs_gateway.py).
WHOLE = (
    joinedload(Contact.emails),
    joinedload(Contact.phones),
    joinedload(Contact.tag_rows),
    joinedload(Contact.account).lazyload(Account.tag_rows),  # its tags are not in a contact
)


def get(*, session: Session, record_id) -> Contact:
    """The contact; a merged one answers with where it went, an erased one that it is gone."""
    record_id = records.parse_id(record_id)
    contact = session.get(Contact, record_id, options=WHOLE)
    if contact is not None:
        return contact
    redirect = session.get(Redirect, record_id)
    if redirect is not None:
        raise Moved(
            f"Contact {record_id} was merged into contact {redirect.survivor_id}.",
            extra={"merged_id": str(record_id), "location_id": str(redirect.survivor_id)},
        )
    erasure = session.get(Erasure, record_id)
    if erasure is not None:
        raise Gone(f"Contact {record_id} was erased on {erasure.erased_at:%Y-%m-%d}.")
    raise NotFound(f"No contact with id {record_id}.")


def selected(session: Session, params: dict, *, by_country: bool = True) -> Select:
    """The contacts a list's filters select (unsorted); `by_country=False` leaves the country
    to the caller, who filters on it elsewhere (a phone is still read in that country)."""
    shared = params if by_country else {k: v for k, v in params.items() if k != "country"}
    query = records.filtered(select(Contact), Contact, shared)
    query = custom_fields.filtered(session, query, "contact", params.get("custom") or {})
    if "q" in params:
        query = search.matches(query, params["q"], session.get_bind().dialect.name)
    query = search.tagged(query, params.get("tag", ()))
    for field in ("account_id", "lifecycle_stage"):
        if field in params:
            query = query.where(getattr(Contact, field) == params[field])
    if "email" in params:
        address = matching.normalize_email(params["email"])
        query = query.where(Contact.emails.any(ContactEmail.normalized == address))
    if "phone" in params:
        number = matching.normalize_phone(params["phone"], params.get("country"))
        query = query.where(Contact.phones.any(ContactPhone.normalized == number))
    if "birthday_within" in params:
        query = query.where(birthday_within(params["birthday_within"]))
    return query


def birthday_within(days: int):
    """Birthday (month and day) from today to `days` ahead, across the new year too."""
    today = utcnow().date()
    start, end = today, today + timedelta(days=days)
    first, last = start.month * 100 + start.day, end.month * 100 + end.day
    if first <= last and end.year == start.year:
        return Contact.birthday_md.between(first, last)
    return or_(Contact.birthday_md >= first, Contact.birthday_md <= last)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Contact], str | None]:
    if params.get("tag") and params["sort"].lstrip("-") == "created_at":
        return _tagged_page(session, params)
    query = selected(session, params)
    window = search.WINDOW if "q" in params and params["sort"].lstrip("-") in INDEXED else None
    return records.list_page(session, query, Contact, params, SORTABLE, window=window)


def _tagged_page(session: Session, params: dict):
    """Newest first among a tag's contacts: read from the tag's rows in (tag, created_at)
    index order, or (tag, country, created_at) given a country, so a tag of thousands is a
    short range scan, not thousands of lookups. The other filters are checked on the way."""
    tag, *others = params["tag"]
    first = aliased(ContactTag)
    on = (first.contact_id == Contact.id) & (first.tag == tag)
    if "country" in params:
        on &= first.country == params["country"]
    # The country on the tag rows only: asked of the contacts too, PostgreSQL counts it twice,
    # expects a handful of rows and reads every contact of the country (170 ms for FR).
    query = selected(session, {**params, "tag": others}, by_country=False).join(first, on)
    query = records.visible_only(records.in_period(query, Contact, params), Contact, params)
    return listing.page(
        session,
        query,
        sort=params["sort"],
        allowed={"created_at": first.created_at},
        id_column=first.contact_id,
        limit=params["limit"],
        cursor=params.get("cursor"),
    )


def build(session: Session, data: dict) -> Contact:
    """An unsaved contact, with its emails, phones and tags, from loaded `contact_create` data."""
    data = dict(data)
    tags, values = data.pop("tags", []), data.pop("custom_fields", {})
    emails = data.pop("emails", None) or _as_list(data.pop("email", None), "address")
    phones = data.pop("phones", None) or _as_list(data.pop("phone", None), "number")
    check_account(session, data.get("account_id"))
    contact = Contact(**data, custom_fields=custom_fields.checked(session, "contact", values))
    set_tags(contact, sorted(set(tags)))
    set_emails(contact, emails)
    set_phones(contact, phones)
    refresh(session, contact)
    return contact


def create(
    *,
    session: Session,
    data: dict,
    actor: Actor,
    options: dict | None = None,
):
    """A new contact. `options` (`CreateOptions`): `id`, the caller's id for it (a retry gets
    the same one); `allow_duplicate`, create it even if its email or phone is another's."""
    options = options or {}
    record_id, allow_duplicate = options.get("id"), options.get("allow_duplicate", False)
    earlier = records.made_before(session, Contact, record_id, data, IDENTIFYING)
    if earlier is not None:
        return earlier
    contact = build(session, data)
    if not allow_duplicate:
        refuse_duplicate(session, contact)
    if record_id is None:
        return records.add(session, contact, contact_read, actor)
    refuse_used_id(session, record_id)
    contact.id = record_id
    return records.add_once(session, contact, contact_read, actor, data, IDENTIFYING)


def refuse_used_id(session: Session, record_id) -> None:
    """An id that named a contact since merged or erased is not given out again."""
    if session.get(Redirect, record_id) or session.get(Erasure, record_id):
        message = f"Id {record_id} named a contact that was merged or erased."
        raise Conflict(message, {"id": [message]})


def refuse_duplicate(session: Session, contact: Contact) -> None:
    """409 with the existing contact when the new one shares a normalized email or phone."""
    match = matching.existing_match(
        session,
        [row.normalized for row in contact.emails],
        [row.normalized for row in contact.phones],
    )
    if match is not None:
        field, existing = match
        message = f"Contact {existing.id} already has this {field}."
        raise Conflict(
            f"{message} Send `allow_duplicate=true` to create the contact anyway.",
            {field: [message]},
            {"existing": contact_read.dump(existing)},
        )


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Contact:
    contact = get(session=session, record_id=record_id)
    if changes.get("account_id") is not None:
        check_account(session, changes["account_id"])
    names = {"first_name": contact.first_name, "last_name": contact.last_name}
    names.update((field, changes[field]) for field in names if field in changes)
    message = "A contact needs a first name or a last name."
    records.require(any(names.values()), "last_name", message)
    return change(session, contact, prepared(session, contact, changes), actor)


def prepared(session: Session, contact: Contact, changes: dict) -> dict:
    """`changes` in the shape the record's accessors compare and write."""
    changes = dict(changes)
    if "custom_fields" in changes:
        changes["custom_fields"] = custom_fields.checked(
            session, "contact", changes["custom_fields"], contact.custom_fields
        )
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"]))
    for field, key in (("emails", "address"), ("phones", "number")):
        if field in changes:
            changes[field] = _with_primary(changes[field], key)
    return changes


def change(session: Session, contact: Contact, changes: dict, actor: Actor) -> Contact:
    return records.change(
        session, contact, changes, contact_read, actor, ACCESSORS, partial(refresh, session)
    )


def fill_in(session: Session, contact: Contact, data: dict, actor: Actor) -> Contact:
    """Merge what `data` (loaded `contact_create` data) knows into `contact`: empty fields are
    filled, tags, emails and phones added; what the contact already says is kept."""
    changes = {
        field: value
        for field, value in data.items()
        if field not in MERGED_SEPARATELY
        and value not in (None, "")
        and not getattr(contact, field)
    }
    if data.get("tags"):
        changes["tags"] = sorted(set(contact.tags) | set(data["tags"]))
    if data.get("custom_fields"):
        changes["custom_fields"] = {**data["custom_fields"], **contact.custom_fields}
    for field, key, single in (("emails", "address", "email"), ("phones", "number", "phone")):
        extra = data.get(field) or _as_list(data.get(single), key)
        if extra:
            changes[field] = _merged_list(ACCESSORS[field][0](contact), extra, key)
    return change(session, contact, prepared(session, contact, changes), actor)


def delete(*, session: Session, record_id, actor: Actor) -> None:
    contact = get(session=session, record_id=record_id)
    records.remove(session, contact, actor)


def check_account(session: Session, account_id) -> None:
    if account_id is not None:
        exists = session.get(Account, account_id) is not None
        records.require(exists, "account_id", f"No account with id {account_id}.")


def refresh(session: Session, contact: Contact) -> None:
    """Recompute what is derived from the contact's fields: primary email and phone, phones'
    normalized forms (they depend on the country), birthday key, search text, the country its
    tag rows carry."""
    contact.email = next((row.address for row in contact.emails if row.is_primary), None)
    contact.phone = next((row.number for row in contact.phones if row.is_primary), None)
    for row in contact.phones:
        row.normalized = matching.normalize_phone(row.number, contact.country)
    birthday = contact.birthday
    contact.birthday_md = birthday.month * 100 + birthday.day if birthday else None
    account = session.get(Account, contact.account_id) if contact.account_id else None
    contact.search_text = search_text(contact, account.name if account else "")
    for row in contact.tag_rows:
        row.country = contact.country


def search_text(contact: Contact, company: str) -> str:
    first, last = contact.first_name or "", contact.last_name or ""
    parts = [f"{first} {last}", last + first]  # "Ada Lovelace" and, for Chinese, "朱飞"
    parts += [row.address for row in contact.emails]
    parts += [value for row in contact.phones for value in (row.number, row.normalized)]
    parts.append(company)
    return " | ".join(part.strip() for part in parts if part.strip()).lower()


def set_tags(contact: Contact, tags: list[str]) -> None:
    if contact.created_at is None:
        contact.created_at = utcnow()  # now, not at flush: its tag rows carry it too
    records.set_tags(partial(ContactTag, created_at=contact.created_at), contact, tags)


def set_emails(contact: Contact, items: list[dict]) -> None:
    unique = _unique(_with_primary(items, "address"), matching.normalize_email, "address")
    contact.emails = [
        ContactEmail(
            address=item["address"].strip(),
            normalized=matching.normalize_email(item["address"]),
            label=item.get("label"),
            is_primary=item["primary"],
        )
        for item in unique
    ]


def set_phones(contact: Contact, items: list[dict]) -> None:
    unique = _unique(_with_primary(items, "number"), str.strip, "number")
    contact.phones = [
        ContactPhone(
            number=item["number"].strip(),
            normalized="",  # set by refresh(), which knows the country
            label=item.get("label"),
            is_primary=item["primary"],
        )
        for item in unique
    ]


def email_list(contact: Contact) -> list[dict]:
    return [
        {"address": row.address, "label": row.label, "primary": row.is_primary}
        for row in contact.emails
    ]


def phone_list(contact: Contact) -> list[dict]:
    return [
        {"number": row.number, "label": row.label, "primary": row.is_primary}
        for row in contact.phones
    ]


def set_primary_email(contact: Contact, address: str | None) -> None:
    set_emails(contact, _replace_primary(email_list(contact), address, "address"))


def set_primary_phone(contact: Contact, number: str | None) -> None:
    set_phones(contact, _replace_primary(phone_list(contact), number, "number"))


ACCESSORS = {
    "tags": (attrgetter("tags"), set_tags),
    "emails": (email_list, set_emails),
    "phones": (phone_list, set_phones),
    "email": (attrgetter("email"), set_primary_email),
    "phone": (attrgetter("phone"), set_primary_phone),
}
MERGED_SEPARATELY = ("tags", "emails", "phones", "custom_fields", "email", "phone")


def _as_list(value: str | None, key: str) -> list[dict]:
    return [{key: value, "primary": True}] if value else []


def _with_primary(items: list[dict], key: str) -> list[dict]:
    """Items in a canonical shape, exactly one primary (the first, unless one is marked)."""
    items = [
        {key: item[key].strip(), "label": item.get("label"), "primary": bool(item.get("primary"))}
        for item in items
    ]
    if items and not any(item["primary"] for item in items):
        items[0]["primary"] = True
    return sorted(items, key=lambda item: not item["primary"])


def _unique(items: list[dict], normalize, key: str) -> list[dict]:
    seen, unique = set(), []
    for item in items:
        if normalize(item[key]) not in seen:
            seen.add(normalize(item[key]))
            unique.append(item)
    return unique


def _replace_primary(items: list[dict], value: str | None, key: str) -> list[dict]:
    rest = [{**item, "primary": False} for item in items if not item["primary"]]
    rest = [item for item in rest if value is None or item[key] != value]
    return [{key: value, "label": None, "primary": True}, *rest] if value else rest


def _merged_list(current: list[dict], extra: list[dict], key: str) -> list[dict]:
    known = {item[key].strip().lower() for item in current}
    added = [{**item, "primary": False} for item in extra if item[key].strip().lower() not in known]
    return current + added
