"""The records a quote, an order or an activity points at must exist: leads and opportunities
here, accounts and contacts in the customers service (asked over RPC). A missing one is a 422
naming the field that points at it."""

from sqlalchemy.orm import Session

from infra.errors import Gone, Moved, NotFound, ValidationFailed
from infra.records import require
from services.sales.models import Lead, Opportunity


def require_account(customers, account_id) -> dict:
    return customer_record(customers.get_account, account_id, "account_id", "account")


def require_contact(customers, contact_id) -> dict:
    return customer_record(customers.get_contact, contact_id, "contact_id", "contact")


def customer_record(fetch, record_id, field: str, entity: str) -> dict:
    try:
        return fetch(str(record_id))
    except NotFound:
        message = f"No {entity} with id {record_id}."
    except Moved as moved:
        message = f"The {entity} {record_id} was merged into {moved.extra.get('location_id')}."
    except Gone:
        message = f"The {entity} {record_id} was erased."
    raise ValidationFailed(message, {field: [message]})


def require_lead(session: Session, lead_id) -> Lead:
    lead = session.get(Lead, lead_id)
    require(lead is not None, "lead_id", f"No lead with id {lead_id}.")
    return lead


def require_opportunity(session: Session, opportunity_id, account_id=None) -> Opportunity:
    """The opportunity; when an account is named too, it must be that account's."""
    opportunity = session.get(Opportunity, opportunity_id)
    require(opportunity is not None, "opportunity_id", f"No opportunity {opportunity_id}.")
    require(
        account_id is None or opportunity.account_id == account_id,
        "opportunity_id",
        "The opportunity is another account's.",
    )
    return opportunity


def require_parties(session: Session, customers, account_id, contact_id=None, opportunity_id=None):
    """A quote's or an order's account, and its contact and opportunity where it names them."""
    if opportunity_id is not None:
        require_opportunity(session, opportunity_id, account_id)
    require_account(customers, account_id)
    if contact_id is not None:
        require_contact(customers, contact_id)
