"""The customers service's RPC entrypoints: validate, call the domain, commit, dump."""

import base64

from nameko.timer import timer

from infra.errors import ValidationFailed, load
from infra.service import CrmService, Stopping, rpc
from services.customers import accounts, contacts, custom_fields, imports
from services.customers.schemas import (
    account_create,
    account_query,
    account_read,
    account_update,
    contact_create,
    contact_query,
    contact_read,
    contact_update,
    create_options,
    custom_field_create,
    custom_field_query,
    custom_field_read,
    custom_field_update,
    import_options,
    import_read,
    tag_operation,
)

IMPORT_INTERVAL = 1.0  # seconds between looks for an import to run


def page_of(schema, page) -> dict:
    items, next_cursor = page
    return {"items": schema.dump(items, many=True), "next_cursor": next_cursor}


class CustomersService(CrmService):
    name = "customers"

    stopping = Stopping()

    @rpc
    def create_account(self, data: dict) -> dict:
        account = accounts.create(
            session=self.db, data=load(account_create, data), actor=self.caller
        )
        self.db.commit()
        return account_read.dump(account)

    @rpc
    def get_account(self, account_id: str) -> dict:
        return account_read.dump(accounts.get(session=self.db, account_id=account_id))

    @rpc
    def list_accounts(self, params: dict) -> dict:
        query = load(account_query, params)
        return page_of(account_read, accounts.get_all(session=self.db, params=query))

    @rpc
    def update_account(self, account_id: str, changes: dict, expected_version=None) -> dict:
        account = accounts.update(
            session=self.db,
            account_id=account_id,
            changes=load(account_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return account_read.dump(account)

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
    def create_contact(self, data: dict, options: dict | None = None) -> dict:
        contact = contacts.create(
            session=self.db,
            data=load(contact_create, data),
            actor=self.caller,
            **load(create_options, options or {}),
        )
        self.db.commit()
        return contact_read.dump(contact)

    @rpc
    def get_contact(self, contact_id: str) -> dict:
        return contact_read.dump(contacts.get(session=self.db, contact_id=contact_id))

    @rpc
    def list_contacts(self, params: dict) -> dict:
        query = load(contact_query, params)
        return page_of(contact_read, contacts.get_all(session=self.db, params=query))

    @rpc
    def update_contact(self, contact_id: str, changes: dict, expected_version=None) -> dict:
        contact = contacts.update(
            session=self.db,
            contact_id=contact_id,
            changes=load(contact_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return contact_read.dump(contact)

    @rpc
    def delete_contact(self, contact_id: str, expected_version=None) -> None:
        contacts.delete(
            session=self.db,
            contact_id=contact_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def tag_accounts(self, data: dict) -> dict:
        result = accounts.retag(session=self.db, data=load(tag_operation, data), actor=self.caller)
        self.db.commit()
        return result

    @rpc
    def tag_contacts(self, data: dict) -> dict:
        result = contacts.retag(session=self.db, data=load(tag_operation, data), actor=self.caller)
        self.db.commit()
        return result

    @rpc
    def create_custom_field(self, data: dict) -> dict:
        field = custom_fields.create(
            session=self.db, data=load(custom_field_create, data), actor=self.caller
        )
        self.db.commit()
        return custom_field_read.dump(field)

    @rpc
    def get_custom_field(self, field_id: str) -> dict:
        return custom_field_read.dump(custom_fields.get(session=self.db, field_id=field_id))

    @rpc
    def list_custom_fields(self, params: dict) -> dict:
        query = load(custom_field_query, params)
        found = custom_fields.get_all(session=self.db, entity=query.get("entity"))
        return {"items": custom_field_read.dump(found, many=True), "next_cursor": None}

    @rpc
    def update_custom_field(self, field_id: str, changes: dict, expected_version=None) -> dict:
        field = custom_fields.update(
            session=self.db,
            field_id=field_id,
            changes=load(custom_field_update, changes),
            actor=self.caller,
        )
        self.db.commit()
        return custom_field_read.dump(field)

    @rpc
    def delete_custom_field(self, field_id: str, expected_version=None) -> None:
        custom_fields.delete(session=self.db, field_id=field_id, actor=self.caller)
        self.db.commit()

    @rpc
    def create_import(self, options: dict) -> dict:
        job = imports.create(
            session=self.db, options=load(import_options, options), actor=self.caller
        )
        self.db.commit()
        return import_read.dump(job)

    @rpc
    def append_import_chunk(self, job_id: str, seq: int, data: str) -> None:
        """The next piece of an upload, base64 (RPC messages are JSON)."""
        try:
            imports.append_chunk(
                session=self.db,
                job_id=job_id,
                seq=int(seq),
                data=base64.b64decode(data),
                actor=self.caller,
            )
        except ValidationFailed:
            self.db.commit()  # the refused upload was deleted: nothing stays behind
            raise
        self.db.commit()

    @rpc
    def queue_import(self, job_id: str) -> dict:
        try:
            job = imports.queue(session=self.db, job_id=job_id, actor=self.caller)
        except ValidationFailed:
            self.db.commit()  # the refused upload was deleted: nothing stays behind
            raise
        self.db.commit()
        return import_read.dump(job)

    @rpc
    def get_import(self, job_id: str) -> dict:
        return import_read.dump(imports.get(session=self.db, job_id=job_id, actor=self.caller))

    @timer(interval=IMPORT_INTERVAL)
    def run_imports(self) -> None:
        imports.run_waiting(session=self.db, stopping=self.stopping)
