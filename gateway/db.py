"""A session of the gateway's database per request, closed when the request ends."""

import time

from flask import Flask, current_app, g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from gateway import directory
from gateway.models import User
from infra import outbox
from infra.db import session_factory


def session() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["crm_sessions"]()
    return g.db


def _close(_error=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    sessions = session_factory(app.config["DATABASE_URL"])
    app.extensions["crm_sessions"] = sessions
    app.teardown_appcontext(_close)
    # A directory change's event goes out right after its commit; what the broker did not take
    # then, the `gateway` events process (gateway.events) sweeps out later.
    amqp = {"AMQP_URI": app.config["AMQP_URI"]}
    relay = outbox.Relay(directory.SOURCE, app.config["AMQP_URI"], sessions, amqp)
    outbox.publish_after_commit(sessions, relay)


def ensure_admin(app: Flask, hash_password) -> None:
    """First start: with no users at all, create the admin named by the configuration.

    Every gunicorn worker runs this at once; the one that loses the race finds the admin the
    winner created (PostgreSQL: a unique-key error; SQLite: its write lock was taken)."""
    email = app.config["ADMIN_EMAIL"].strip().lower()
    password_hash = hash_password(app.config["ADMIN_PASSWORD"])
    for _ in range(50):
        with app.extensions["crm_sessions"]() as db:
            if db.scalar(select(User.id).limit(1)) is not None:
                return
            db.add(
                User(email=email, name="Administrator", role="admin", password_hash=password_hash)
            )
            try:
                db.commit()
                return
            except (IntegrityError, OperationalError):
                db.rollback()
        time.sleep(0.1)
    raise RuntimeError("Could not create the first admin: the gateway database stays locked.")
