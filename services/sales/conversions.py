"""Converting a qualified lead into a contact and an account in the customers service (existing
ones reused: the contact with the lead's email, the account with its company's name) and, if
asked, an opportunity here.

A saga across two services' databases. Its remote steps are safe to retry: the records it makes
have ids derived from the lead, and the customers service answers a create whose id exists with
the record made before. When a later step fails, what this attempt made there is deleted again
(compensated). The lead records its conversion, with the opportunity and `lead_converted`, in
one local transaction, only once every remote step has succeeded.
"""

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from contracts.sales import lead_read
from infra import records
from infra.context import Actor
from infra.db import utcnow
from infra.errors import Conflict, NotFound, ValidationFailed
from services.sales import leads, opportunities
from services.sales.models import Lead

log = logging.getLogger(__name__)

# Ids of what a lead's conversion makes: uuid5 of the lead's id in this namespace.
CONVERSION_IDS = uuid.UUID("8f4a6c1e-2b7d-5e90-a3c4-6d1f0b9e7a25")


@dataclass
class Made:
    """What this attempt created in the customers service, which a failure undoes."""

    account_id: str | None = None
    contact_id: str | None = None


def convert(*, session: Session, lead_id, data: dict, actor: Actor, customers) -> Lead:
    """The converted lead, naming its contact, account and opportunity. `customers` is the
    customers service's RPC proxy. A lead converts once, and only when qualified (else a 422
    naming `status`)."""
    lead = convertible(session, lead_id)
    # End the read before calling out: on SQLite, a transaction kept open while this green
    # thread waits could not write at the end if another worker wrote meanwhile. The last step
    # reads the lead afresh, locked.
    session.commit()
    session.expunge(lead)
    made = Made()
    try:
        account_id = account_for(lead, customers, made)
        contact_id = contact_for(lead, account_id, customers, made)
        return record_conversion(session, lead.id, account_id, contact_id, data, actor, customers)
    except Exception:
        session.rollback()
        undo(session, lead.id, made, customers)
        raise


def convertible(session: Session, lead_id, lock: bool = False) -> Lead:
    lead = (
        session.get(Lead, records.parse_id(lead_id), with_for_update=True, populate_existing=True)
        if lock
        else leads.get(session=session, record_id=lead_id)
    )
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}.")
    if lead.status == "converted":
        message = f"The lead was converted on {lead.converted_at:%Y-%m-%d}: it converts once."
        raise ValidationFailed(message, {"status": [message]})
    records.require(
        lead.status == "qualified",
        "status",
        f"Only a qualified lead converts; this one is {lead.status}.",
    )
    records.require(
        bool(lead.company),
        "company",
        "The lead converts into an account named by its company: give it a company.",
    )
    return lead


def derived_id(lead: Lead, what: str) -> str:
    return str(uuid.uuid5(CONVERSION_IDS, f"{lead.id}/{what}"))


def account_for(lead: Lead, customers, made: Made) -> str:
    """The account called as the lead's company, else a new one."""
    own_id = derived_id(lead, "account")
    existing = customers.find_account_by_name(lead.company)
    if existing is None:
        existing = customers.create_account(account_data(lead), {"id": own_id})
    if existing["id"] == own_id:  # made now, or by an earlier attempt that did not finish
        made.account_id = own_id
    return existing["id"]


def contact_for(lead: Lead, account_id: str, customers, made: Made) -> str:
    """The contact with the lead's email, else a new one (or the one with its phone)."""
    own_id = derived_id(lead, "contact")
    found = customers.list_contacts({"email": lead.email, "limit": 1}) if lead.email else None
    if found and found["items"]:
        existing = found["items"][0]
    else:
        try:
            existing = customers.create_contact(contact_data(lead, account_id), {"id": own_id})
        except Conflict as conflict:
            if "existing" not in conflict.extra:
                raise
            existing = conflict.extra["existing"]  # its phone is that contact's: the same person
    if existing["id"] == own_id:
        made.contact_id = own_id
    return existing["id"]


def account_data(lead: Lead) -> dict:
    return present(
        name=lead.company,
        size=lead.company_size,
        country=lead.country,
        region=lead.region,
        owner_id=records.plain(lead.owner_id),
    )


def contact_data(lead: Lead, account_id: str) -> dict:
    return present(
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        phone=lead.phone,
        title=lead.title,
        country=lead.country,
        region=lead.region,
        owner_id=records.plain(lead.owner_id),
        account_id=account_id,
    )


def present(**values) -> dict:
    return {name: value for name, value in values.items() if value is not None}


def record_conversion(
    session: Session,
    lead_id: uuid.UUID,
    account_id: str,
    contact_id: str,
    data: dict,
    actor: Actor,
    customers,
) -> Lead:
    """The local step: the opportunity, the lead marked converted, `lead_converted`. The lead
    is read again, locked: it must still be qualified (a concurrent attempt may have won)."""
    lead = convertible(session, lead_id, lock=True)
    opportunity = None
    if "opportunity" in data:
        opportunity = opportunities.create(
            session=session,
            data=opportunity_data(lead, account_id, contact_id, data["opportunity"]),
            actor=actor,
            customers=customers,
        )
    converted = {
        "status": "converted",
        "converted_at": utcnow(),
        "contact_id": uuid.UUID(contact_id),
        "account_id": uuid.UUID(account_id),
        "opportunity_id": opportunity.id if opportunity else None,
    }
    records.apply_changes(lead, converted, {})
    records.flush(session, lead)
    leads.publish(session, "lead_converted", lead_read.dump(lead), actor)
    return lead


def opportunity_data(lead: Lead, account_id: str, contact_id: str, asked: dict) -> dict:
    return present(
        **{
            **asked,
            "name": asked.get("name") or lead.company,
            "account_id": uuid.UUID(account_id),
            "primary_contact_id": uuid.UUID(contact_id),
            "owner_id": lead.owner_id,
            "source": lead.source,
            "campaign": lead.campaign,
            "lead_id": lead.id,
        }
    )


def undo(session: Session, lead_id: uuid.UUID, made: Made, customers) -> None:
    """Delete what this attempt made, unless the lead is converted now: a concurrent attempt
    then won, and the records (with the same ids) are its."""
    lead = session.get(Lead, lead_id)
    if lead is not None and lead.status == "converted":
        return
    made_records = (("delete_contact", made.contact_id), ("delete_account", made.account_id))
    for method, record_id in made_records:
        if record_id is not None:
            try:
                getattr(customers, method)(record_id)
            except NotFound:
                pass
            except Exception as exc:  # the original failure is what the caller must hear
                log.warning("undoing conversion %s: %s %s: %s", lead_id, method, record_id, exc)
