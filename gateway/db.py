"""A session of the gateway's database per request, closed when the request ends."""

from flask import Flask, current_app, g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import User
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
    app.extensions["crm_sessions"] = session_factory(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close)


def ensure_admin(app: Flask, hash_password) -> None:
    """First start: with no users at all, create the admin named by the configuration."""
    with app.extensions["crm_sessions"]() as db:
        if db.scalar(select(User.id).limit(1)) is not None:
            return
        email = app.config["ADMIN_EMAIL"].strip().lower()
        db.add(
            User(
                email=email,
                name="Administrator",
                role="admin",
                password_hash=hash_password(app.config["ADMIN_PASSWORD"]),
            )
        )
        try:
            db.commit()
        except IntegrityError:  # another worker created it at the same moment
            db.rollback()
