"""The customers service's RPC entrypoints. The create, get, list, update and delete RPCs of its
declared resources come from `keeps` (infra.crud); the others are written here: validate, call
the domain, commit, dump."""

import base64

from nameko.timer import timer

from contracts.customers import (
    ACCOUNTS,
    CONTACTS,
    CUSTOM_FIELDS,
    INTERACTIONS,
    AccountCreateOptions,
    account_read,
    change_read,
    consent_create,
    consent_query,
    consent_read,
    consent_state,
    contact_read,
    duplicates_query,
    import_options,
    import_read,
    merge_request,
    newest_first_query,
    tag_job_read,
    tag_operation,
    timeline_entry_read,
    timeline_query,
)
from infra import config
from infra.consumer import ANY_TYPE, EventConsumer
from infra.crud import RecordType, keeps
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

# The services whose events about a contact or an account go on its timeline.
PROJECTED_SOURCES = ("sales", "support", "marketing")
IMPORT_INTERVAL = 1.0  # seconds between looks for an import to run


BIRTHDAY_NOTICE_DAYS = int(config.env("CRM_BIRTHDAY_NOTICE_DAYS", "7"))
BIRTHDAY_CHECK_SECONDS = float(config.env("CRM_BIRTHDAY_CHECK_SECONDS", "3600"))


@keeps(
    RecordType(ACCOUNTS, accounts, options=AccountCreateOptions),
    RecordType(CONTACTS, contacts),
    RecordType(CUSTOM_FIELDS, custom_fields),
    RecordType(INTERACTIONS, interactions),
)
class CustomersService(CrmService):
    name = "customers"
    projection = EventConsumer({ANY_TYPE: timeline.project})

    stopping = Stopping()

    @rpc
    def find_account_by_name(self, name: str) -> dict | None:
        """The account called `name`, in any case; None if there is none."""
        account = accounts.find_by_name(session=self.db, name=str(name))
        return account_read.dump(account) if account is not None else None

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
    def merge_contacts(self, contact_id: str, data: dict, expected_version=None) -> dict:
        self.visible("contact", contact_id, writing=True)
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
        self.visible("contact", contact_id, writing=True)
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
        self.visible("contact", contact_id)
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
    def list_timeline(self, entity: str, record_id: str, params: dict) -> dict:
        """The timeline of the contact or account (`entity`) with this id, newest first."""
        self.visible(entity, record_id)
        query = load(timeline_query, params)
        found = timeline.get_all(session=self.db, entity=entity, record_id=record_id, params=query)
        return page_of(timeline_entry_read, found)

    @rpc
    def list_history(self, entity: str, record_id: str, params: dict) -> dict:
        """The change history of the contact or account (`entity`) with this id, newest first."""
        self.visible(entity, record_id)
        query = load(newest_first_query, params)
        found = timeline.history(session=self.db, entity=entity, record_id=record_id, params=query)
        return page_of(change_read, found)

    @projection.subscribe(*PROJECTED_SOURCES)
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
