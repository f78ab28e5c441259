"""The customers service's RPC entrypoints: validate, call the domain, commit, dump."""

from infra.errors import load
from infra.service import CrmService, rpc
from services.customers import accounts, contacts
from services.customers.schemas import (
    AccountCreate,
    AccountQuery,
    AccountRead,
    AccountUpdate,
    ContactCreate,
    ContactQuery,
    ContactRead,
    ContactUpdate,
)


def page_of(schema, page) -> dict:
    items, next_cursor = page
    return {"items": schema.dump(items, many=True), "next_cursor": next_cursor}


class CustomersService(CrmService):
    name = "customers"

    @rpc
    def create_account(self, data: dict) -> dict:
        account = accounts.create(
            session=self.db, data=load(AccountCreate(), data), actor=self.caller
        )
        self.db.commit()
        return AccountRead().dump(account)

    @rpc
    def get_account(self, account_id: str) -> dict:
        return AccountRead().dump(accounts.get(session=self.db, account_id=account_id))

    @rpc
    def list_accounts(self, params: dict) -> dict:
        query = load(AccountQuery(), params)
        return page_of(AccountRead(), accounts.get_all(session=self.db, params=query))

    @rpc
    def update_account(self, account_id: str, changes: dict, expected_version=None) -> dict:
        account = accounts.update(
            session=self.db,
            account_id=account_id,
            changes=load(AccountUpdate(), changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return AccountRead().dump(account)

    @rpc
    def delete_account(self, account_id: str, expected_version=None) -> None:
        accounts.delete(
            session=self.db,
            account_id=account_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def create_contact(self, data: dict) -> dict:
        contact = contacts.create(
            session=self.db, data=load(ContactCreate(), data), actor=self.caller
        )
        self.db.commit()
        return ContactRead().dump(contact)

    @rpc
    def get_contact(self, contact_id: str) -> dict:
        return ContactRead().dump(contacts.get(session=self.db, contact_id=contact_id))

    @rpc
    def list_contacts(self, params: dict) -> dict:
        query = load(ContactQuery(), params)
        return page_of(ContactRead(), contacts.get_all(session=self.db, params=query))

    @rpc
    def update_contact(self, contact_id: str, changes: dict, expected_version=None) -> dict:
        contact = contacts.update(
            session=self.db,
            contact_id=contact_id,
            changes=load(ContactUpdate(), changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return ContactRead().dump(contact)

    @rpc
    def delete_contact(self, contact_id: str, expected_version=None) -> None:
        contacts.delete(
            session=self.db,
            contact_id=contact_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
