"""Sales records keep the ids of the customers service's contacts. When a contact is merged
into another, the references follow it; when one is erased, they are dropped, and so is what
a converted lead still held of that person. Both are idempotent: an event delivered twice
changes nothing the second time."""

import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session

from services.sales.models import Activity, Lead, Opportunity, Order, Quote

CONTACT_REFERENCES = (
    Lead.contact_id,
    Opportunity.primary_contact_id,
    Quote.contact_id,
    Order.contact_id,
    Activity.contact_id,
)
PERSONAL_LEAD_FIELDS = ("first_name", "last_name", "email", "email_normalized", "phone", "title")


def on_contacts_merged(session: Session, envelope: dict) -> None:
    merged, survivor = (uuid.UUID(envelope["data"][key]) for key in ("merged_id", "survivor_id"))
    for column in CONTACT_REFERENCES:
        _set(session, column, [merged], {column.key: survivor})


def on_contact_erased(session: Session, envelope: dict) -> None:
    data = envelope["data"]
    erased = [uuid.UUID(value) for value in (data["id"], *data.get("merged_ids", ()))]
    _set(session, Lead.contact_id, erased, dict.fromkeys(PERSONAL_LEAD_FIELDS))
    for column in CONTACT_REFERENCES:
        _set(session, column, erased, {column.key: None})


def _set(session: Session, column, ids: list[uuid.UUID], values: dict) -> None:
    session.execute(
        update(column.class_)
        .where(column.in_(ids))
        .values(values)
        .execution_options(synchronize_session=False)
    )
