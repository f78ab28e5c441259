"""Birthday reminders: `contact_birthday_upcoming`, once per contact and birthday, for the
birthdays in the coming days; the timer may run as often as it likes."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.context import Actor
from infra.db import utcnow
from services.customers import contacts, records
from services.customers.models import BirthdayNotice, Contact


def announce(session: Session, days_ahead: int) -> int:
    """Publish the upcoming birthdays not announced yet; returns how many were."""
    today = utcnow().date()
    upcoming = session.scalars(
        select(Contact).where(contacts.birthday_within(days_ahead)).order_by(Contact.id)
    )
    announced = 0
    for contact in upcoming:
        birthday_on = next_birthday(contact.birthday, today)
        if session.get(BirthdayNotice, (contact.id, birthday_on)) is None:
            session.add(BirthdayNotice(contact_id=contact.id, birthday_on=birthday_on))
            records.publish(
                session, "contact_birthday_upcoming", _reminder(contact, birthday_on, today), SYSTEM
            )
            announced += 1
    return announced


def next_birthday(born: date, today: date) -> date:
    """This year's birthday, or next year's once it has passed; 29 February is 1 March in
    years without it."""
    for year in (today.year, today.year + 1):
        try:
            day = born.replace(year=year)
        except ValueError:
            day = date(year, 3, 1)
        if day >= today:
            return day
    raise AssertionError("unreachable: a birthday comes within a year")


def _reminder(contact: Contact, birthday_on: date, today: date) -> dict:
    return {
        "contact_id": str(contact.id),
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "owner_id": str(contact.owner_id) if contact.owner_id else None,
        "birthday_on": birthday_on.isoformat(),
        "days_until": (birthday_on - today).days,
        "turns": birthday_on.year - contact.birthday.year,
    }


SYSTEM = Actor(via="timer")
