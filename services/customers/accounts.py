"""Accounts: the companies a CRM user sells to."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.context import Actor
from services.customers import records
from services.customers.models import Account, Contact
from services.customers.schemas import account_read, contact_read

SORTABLE = {
    "created_at": Account.created_at,
    "updated_at": Account.updated_at,
    "name": func.lower(Account.name),
}


def get(*, session: Session, account_id) -> Account:
    return records.get(session, Account, account_id)


def get_all(*, session: Session, params: dict) -> tuple[list[Account], str | None]:
    query = records.filtered(select(Account), Account, params, [Account.name, Account.website])
    if "industry" in params:
        query = query.where(func.lower(Account.industry) == params["industry"].lower())
    return records.list_page(session, query, Account, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> Account:
    return records.add(session, Account(**data), account_read, actor)


def update(
    *, session: Session, account_id, changes: dict, expected_version: int | None, actor: Actor
) -> Account:
    account = get(session=session, account_id=account_id)
    records.check_version(account, expected_version)
    return records.change(session, account, changes, account_read, actor)


def delete(*, session: Session, account_id, expected_version: int | None, actor: Actor) -> None:
    """Delete an account; its contacts stay, no longer linked to it (as HubSpot does)."""
    account = get(session=session, account_id=account_id)
    records.check_version(account, expected_version)
    for contact in session.scalars(select(Contact).where(Contact.account_id == account.id)):
        records.change(session, contact, {"account_id": None}, contact_read, actor)
    records.remove(session, account, actor)
