"""Consent per channel: every decision is kept, so the state on any date can be answered, and
each is published (`consent_changed`) for marketing to honour."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.customers import CHANNELS, consent_read
from infra.context import Actor
from infra.db import utcnow
from services.customers import contacts, records
from services.customers.models import Consent


def record(*, session: Session, contact_id, data: dict, actor: Actor) -> Consent:
    contact = contacts.get(session=session, record_id=contact_id)
    recorded_at = data.get("recorded_at") or utcnow()
    records.require(
        recorded_at <= utcnow(), "recorded_at", "A consent cannot be recorded in the future."
    )
    consent = Consent(
        contact_id=contact.id,
        channel=data["channel"],
        status=data["status"],
        source=data.get("source"),
        recorded_at=recorded_at,
        recorded_by=actor.user_uuid,
    )
    session.add(consent)
    session.flush()
    envelope = records.publish(session, "consent_changed", consent_read.dump(consent), actor)
    summary = f"{consent.channel.capitalize()} consent: {consent.status.replace('_', ' ')}"
    records.on_timeline(session, contact.id, envelope, "consent", summary)
    return consent


def state(*, session: Session, contact_id, as_of: datetime | None = None) -> dict:
    """Each channel's latest decision at `as_of` (now by default), and the whole history."""
    contact = contacts.get(session=session, record_id=contact_id)
    history = list(
        session.scalars(
            select(Consent)
            .where(Consent.contact_id == contact.id)
            .order_by(Consent.recorded_at, Consent.id)
        )
    )
    moment = as_of or utcnow()
    current = {channel: None for channel in CHANNELS}
    for consent in history:
        if consent.recorded_at <= moment:
            current[consent.channel] = consent
    return {"as_of": moment, "channels": current, "history": history[::-1]}
