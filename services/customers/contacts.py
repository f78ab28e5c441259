"""Contacts: the people a CRM user talks to, optionally belonging to an account."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.context import Actor
from services.customers import records
from services.customers.models import Account, Contact
from services.customers.schemas import contact_read

SORTABLE = {
    "created_at": Contact.created_at,
    "updated_at": Contact.updated_at,
    "last_name": func.coalesce(func.lower(Contact.last_name), ""),
    "first_name": func.coalesce(func.lower(Contact.first_name), ""),
    "email": func.coalesce(func.lower(Contact.email), ""),
}
FULL_NAME = func.coalesce(Contact.first_name, "") + " " + func.coalesce(Contact.last_name, "")
SEARCHED = [Contact.first_name, Contact.last_name, FULL_NAME, Contact.email, Account.name]


def get(*, session: Session, contact_id) -> Contact:
    return records.get(session, Contact, contact_id)


def get_all(*, session: Session, params: dict) -> tuple[list[Contact], str | None]:
    query = select(Contact).outerjoin(Account, Contact.account_id == Account.id)
    query = records.filtered(query, Contact, params, SEARCHED)
    if "account_id" in params:
        query = query.where(Contact.account_id == params["account_id"])
    if "email" in params:
        query = query.where(func.lower(Contact.email) == params["email"].lower())
    return records.list_page(session, query, Contact, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> Contact:
    _check_account(session, data.get("account_id"))
    return records.add(session, Contact(**data), contact_read, actor)


def update(
    *, session: Session, contact_id, changes: dict, expected_version: int | None, actor: Actor
) -> Contact:
    contact = get(session=session, contact_id=contact_id)
    records.check_version(contact, expected_version)
    if changes.get("account_id") is not None:
        _check_account(session, changes["account_id"])
    names = {"first_name": contact.first_name, "last_name": contact.last_name}
    names.update((field, changes[field]) for field in names if field in changes)
    message = "A contact needs a first name or a last name."
    records.require(any(names.values()), "last_name", message)
    return records.change(session, contact, changes, contact_read, actor)


def delete(*, session: Session, contact_id, expected_version: int | None, actor: Actor) -> None:
    contact = get(session=session, contact_id=contact_id)
    records.check_version(contact, expected_version)
    records.remove(session, contact, actor)


def _check_account(session: Session, account_id) -> None:
    if account_id is not None:
        exists = session.get(Account, account_id) is not None
        records.require(exists, "account_id", f"No account with id {account_id}.")
