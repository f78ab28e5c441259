"""Accounts: the companies a CRM user sells to, in a hierarchy of parents and subsidiaries."""

from collections.abc import Iterable
from functools import partial
from operator import attrgetter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts.customers import account_read
from infra.context import Actor
from services.customers import contacts, custom_fields, records
from services.customers.models import Account, AccountTag, Contact

SORTABLE = {
    "created_at": Account.created_at,
    "updated_at": Account.updated_at,
    "name": func.lower(Account.name),
}
MAX_DEPTH = 20
IDENTIFYING = ("name",)  # what a retried create with the same id must repeat


def get(*, session: Session, record_id) -> Account:
    return records.get(session, Account, record_id)


def selected(session: Session, params: dict):
    query = records.filtered(select(Account), Account, params)
    query = custom_fields.filtered(session, query, "account", params.get("custom") or {})
    for tag in params.get("tag", ()):
        query = query.where(Account.tag_rows.any(tag=tag))
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(
            func.lower(Account.name).like(pattern, escape="\\")
            | func.lower(Account.website).like(pattern, escape="\\")
        )
    if "industry" in params:
        query = query.where(func.lower(Account.industry) == params["industry"].lower())
    for field in ("category", "parent_id"):
        if field in params:
            query = query.where(getattr(Account, field) == params[field])
    return query


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Account], str | None]:
    return records.list_page(session, selected(session, params), Account, params, SORTABLE)


def build(session: Session, data: dict) -> Account:
    """An unsaved account from loaded `account_create` data."""
    data = dict(data)
    tags = sorted(set(data.pop("tags", [])))
    values = custom_fields.checked(session, "account", data.pop("custom_fields", {}))
    check_parent(session, None, data.get("parent_id"))
    check_credit(data)
    account = Account(**data, custom_fields=values)
    set_tags(account, tags)
    return account


def create(*, session: Session, data: dict, actor: Actor, options: dict | None = None) -> Account:
    """A new account; with `options["id"]`, the caller's id for it (a retry gets the same one)."""
    record_id = (options or {}).get("id")
    earlier = records.made_before(session, Account, record_id, data, IDENTIFYING)
    if earlier is not None:
        return earlier
    account = build(session, data)
    if record_id is None:
        return records.add(session, account, account_read, actor)
    account.id = record_id
    return records.add_once(session, account, account_read, actor, data, IDENTIFYING)


def find_or_create_by_names(session: Session, names: Iterable[str], actor: Actor) -> dict:
    """The accounts called `names` (any case), by lower-cased name; one is made, as its first
    spelling in `names` says, where there is none. One query and one write for a whole batch
    of an import."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.strip().lower(), name.strip())
    if not wanted:
        return {}
    found = session.scalars(select(Account).where(func.lower(Account.name).in_(wanted)))
    accounts = {account.name.lower(): account for account in found}
    new = [build(session, {"name": wanted[key]}) for key in wanted if key not in accounts]
    records.add_many(session, new, account_read, actor)
    return accounts | {account.name.lower(): account for account in new}


def find_by_name(*, session: Session, name: str) -> Account | None:
    """The account called `name`, in any case (the oldest, if several are)."""
    return session.scalars(
        select(Account)
        .where(func.lower(Account.name) == name.strip().lower())
        .order_by(Account.created_at, Account.id)
        .limit(1)
    ).first()


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Account:
    account = get(session=session, record_id=record_id)
    changes = dict(changes)
    if "parent_id" in changes:
        check_parent(session, account, changes["parent_id"])
    check_credit({field: getattr(account, field) for field in CREDIT} | changes)
    if "custom_fields" in changes:
        changes["custom_fields"] = custom_fields.checked(
            session, "account", changes["custom_fields"], account.custom_fields
        )
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"]))
    renamed = "name" in changes and changes["name"] != account.name
    change(session, account, changes, actor)
    if renamed:  # contacts are found by their company's name
        for contact in session.scalars(select(Contact).where(Contact.account_id == account.id)):
            contacts.refresh(session, contact)
    return account


def change(session: Session, account: Account, changes: dict, actor: Actor) -> Account:
    return records.change(session, account, changes, account_read, actor, ACCESSORS)


def delete(*, session: Session, record_id, actor: Actor) -> None:
    """Delete an account; its contacts stay, no longer linked to it (as HubSpot does)."""
    account = get(session=session, record_id=record_id)
    for contact in session.scalars(select(Contact).where(Contact.account_id == account.id)):
        contacts.change(session, contact, {"account_id": None}, actor)
    for child in session.scalars(select(Account).where(Account.parent_id == account.id)):
        change(session, child, {"parent_id": None}, actor)
    records.remove(session, account, actor)


CREDIT = ("credit_limit", "credit_currency")


def check_credit(data: dict) -> None:
    """A credit limit is money: it comes with its currency."""
    if data.get("credit_limit") is not None:
        message = "A credit limit needs its currency."
        records.require(bool(data.get("credit_currency")), "credit_currency", message)


def check_parent(session: Session, account: Account | None, parent_id) -> None:
    """The parent exists, and is neither the account itself nor one of its subsidiaries."""
    seen, current = 0, parent_id
    while current is not None and seen < MAX_DEPTH:
        parent = session.get(Account, current)
        records.require(parent is not None, "parent_id", f"No account with id {current}.")
        records.require(
            account is None or parent.id != account.id,
            "parent_id",
            "An account cannot be its own parent, nor its subsidiary's subsidiary.",
        )
        current, seen = parent.parent_id, seen + 1


set_tags = partial(records.set_tags, AccountTag)
ACCESSORS = {"tags": (attrgetter("tags"), set_tags)}
