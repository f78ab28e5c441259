"""The customers service's RPC entrypoints: validate, call the domain, commit, dump."""

import base64

from nameko.timer import timer

from infra import config
from infra.consumer import ANY_TYPE, EventConsumer, subscribe
from infra.errors import ValidationFailed, load
from infra.records import page_of
from infra.service import CrmService, Stopping, rpc
from services.customers import (
    accounts,
    birthdays,
    consents,
    contacts,
    custom_fields,
    imports,
    interactions,
    matching,
    merges,
    privacy,
    tag_jobs,
    timeline,
)
from services.customers.schemas import (
    account_create,
    account_create_options,
    account_query,
    account_read,
    account_update,
    change_read,
    consent_create,
    consent_query,
    consent_read,
    consent_state,
    contact_create,
    contact_query,
    contact_read,
    contact_update,
    create_options,
    custom_field_create,
    custom_field_query,
    custom_field_read,
    custom_field_update,
    duplicates_query,
    import_options,
    import_read,
    interaction_create,
    interaction_query,
    interaction_read,
    interaction_update,
    merge_request,
    newest_first_query,
    tag_job_read,
    tag_operation,
    timeline_entry_read,
    timeline_query,
)

# The services whose events about a contact or an account go on its timeline.
PROJECTED_SOURCES = ("sales", "support", "marketing")
IMPORT_INTERVAL = 1.0  # seconds between looks for an import to run


BIRTHDAY_NOTICE_DAYS = int(config.env("CRM_BIRTHDAY_NOTICE_DAYS", "7"))
BIRTHDAY_CHECK_SECONDS = float(config.env("CRM_BIRTHDAY_CHECK_SECONDS", "3600"))


class CustomersService(CrmService):
    name = "customers"
    projection = EventConsumer({ANY_TYPE: timeline.project})

    stopping = Stopping()

    @rpc
    def create_account(self, data: dict, options: dict | None = None) -> dict:
        account = accounts.create(
            session=self.db,
            data=load(account_create, data),
            actor=self.caller,
            record_id=load(account_create_options, options or {}).get("id"),
        )
        self.db.commit()
        return account_read.dump(account)

    @rpc
    def find_account_by_name(self, name: str) -> dict | None:
        """The account called `name`, in any case; None if there is none."""
        account = accounts.find_by_name(session=self.db, name=str(name))
        return account_read.dump(account) if account is not None else None

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
        options = load(create_options, options or {})
        contact = contacts.create(
            session=self.db,
            data=load(contact_create, data),
            actor=self.caller,
            allow_duplicate=options["allow_duplicate"],
            record_id=options.get("id"),
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
        """`{"result": {"matched", "changed"}}` when done at once, else `{"job": ...}`."""
        return self._retag("account", data)

    @rpc
    def tag_contacts(self, data: dict) -> dict:
        return self._retag("contact", data)

    def _retag(self, entity: str, data: dict) -> dict:
        answer = tag_jobs.retag(
            session=self.db, entity=entity, data=load(tag_operation, data), actor=self.caller
        )
        self.db.commit()
        return {"job": tag_job_read.dump(answer["job"])} if "job" in answer else answer

    @rpc
    def get_tag_job(self, job_id: str) -> dict:
        return tag_job_read.dump(tag_jobs.get(session=self.db, job_id=job_id, actor=self.caller))

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
    def merge_contacts(self, contact_id: str, data: dict, expected_version=None) -> dict:
        survivor = merges.merge(
            session=self.db,
            contact_id=contact_id,
            duplicate_id=load(merge_request, data)["duplicate_id"],
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return contact_read.dump(survivor)

    @rpc
    def list_duplicates(self, params: dict) -> dict:
        query = load(duplicates_query, params)
        return {"items": matching.likely_pairs(self.db, query["limit"], query.get("account_id"))}

    @rpc
    def record_consent(self, contact_id: str, data: dict) -> dict:
        consent = consents.record(
            session=self.db,
            contact_id=contact_id,
            data=load(consent_create, data),
            actor=self.caller,
        )
        self.db.commit()
        return consent_read.dump(consent)

    @rpc
    def get_consents(self, contact_id: str, params: dict) -> dict:
        as_of = load(consent_query, params).get("as_of")
        return consent_state.dump(
            consents.state(session=self.db, contact_id=contact_id, as_of=as_of)
        )

    @rpc
    def get_personal_data(self, contact_id: str) -> dict:
        return privacy.personal_data(session=self.db, contact_id=contact_id)

    @rpc
    def erase_contact(self, contact_id: str) -> None:
        privacy.erase(session=self.db, contact_id=contact_id, actor=self.caller)
        self.db.commit()

    @timer(interval=BIRTHDAY_CHECK_SECONDS)
    def announce_birthdays(self) -> int:
        announced = birthdays.announce(self.db, BIRTHDAY_NOTICE_DAYS)
        self.db.commit()
        return announced

    @rpc
    def create_interaction(self, data: dict) -> dict:
        interaction = interactions.create(
            session=self.db, data=load(interaction_create, data), actor=self.caller
        )
        self.db.commit()
        return interaction_read.dump(interaction)

    @rpc
    def get_interaction(self, interaction_id: str) -> dict:
        return interaction_read.dump(
            interactions.get(session=self.db, interaction_id=interaction_id)
        )

    @rpc
    def list_interactions(self, params: dict) -> dict:
        query = load(interaction_query, params)
        return page_of(interaction_read, interactions.get_all(session=self.db, params=query))

    @rpc
    def update_interaction(self, interaction_id: str, changes: dict, expected_version=None) -> dict:
        interaction = interactions.update(
            session=self.db,
            interaction_id=interaction_id,
            changes=load(interaction_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return interaction_read.dump(interaction)

    @rpc
    def delete_interaction(self, interaction_id: str, expected_version=None) -> None:
        interactions.delete(
            session=self.db,
            interaction_id=interaction_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def list_timeline(self, entity: str, record_id: str, params: dict) -> dict:
        """The timeline of the contact or account (`entity`) with this id, newest first."""
        query = load(timeline_query, params)
        found = timeline.get_all(session=self.db, entity=entity, record_id=record_id, params=query)
        return page_of(timeline_entry_read, found)

    @rpc
    def list_history(self, entity: str, record_id: str, params: dict) -> dict:
        """The change history of the contact or account (`entity`) with this id, newest first."""
        query = load(newest_first_query, params)
        found = timeline.history(session=self.db, entity=entity, record_id=record_id, params=query)
        return page_of(change_read, found)

    @subscribe(*PROJECTED_SOURCES)
    def on_event(self, envelope: dict) -> None:
        """Another service's event: onto the timelines of the contacts and accounts it names."""
        self.projection.apply(envelope)

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

    @timer(interval=IMPORT_INTERVAL)
    def run_tag_jobs(self) -> None:
        tag_jobs.run_waiting(session=self.db, stopping=self.stopping)
