"""Who is calling: passwords (argon2), signed tokens (JWT), API keys, and role checks."""

import functools
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import select

from gateway import directory
from gateway.db import session
from gateway.models import ApiKey, User
from infra.context import Actor
from infra.errors import Forbidden, ServiceError
from infra.resource import ADMINS as ADMINS
from infra.resource import EDITORS as EDITORS
from infra.resource import EVERYONE as EVERYONE
from infra.resource import MANAGERS as MANAGERS

ALGORITHM = "HS256"
API_KEY_HEADER = "X-API-Key"
hasher = PasswordHasher()


class Unauthorized(ServiceError):
    status = 401
    title = "Unauthorized"


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


# Verifying against a real hash when the email is unknown keeps both failures equally slow.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe())


def authenticate(email: str, password: str) -> User:
    user = session().scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
    if user is None or not verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthorized("Wrong email or password.")
    return user


def issue_token(user: User) -> dict:
    ttl = current_app.config["TOKEN_TTL"]
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
        "iss": "crm",
    }
    token = jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM)
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}


def new_api_key() -> tuple[str, str, str]:
    """(prefix, full key shown once, hash of its secret kept)."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return prefix, f"crm_{prefix}_{secret}", _digest(secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _actor_from_token(token: str) -> Actor:
    claims = _verified_claims(token, current_app.config["SECRET_KEY"])
    if claims["exp"] <= time.time():
        raise Unauthorized("The token has expired; ask for a new one.")
    known = known_user(claims["sub"])
    if known is None:
        raise Unauthorized("This user may no longer log in.")
    return known.actor(claims["sub"], "api")


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> dict:
    """The claims of a token whose signature and claims check out, kept for its next requests:
    checking them again each time cost about 0.1 ms a request. Expiry is checked on each use
    (`_actor_from_token`); a token that fails raises, and is not kept."""
    try:
        return jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer="crm",
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired; ask for a new one.") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("The token is not valid.") from None


@dataclass(frozen=True)
class KnownUser:
    """What the gateway knows of an active user on each request: role and scope."""

    role: str
    scope: directory.Scope
    open_reads: list[str]

    def actor(self, user_id: str, via: str) -> Actor:
        return Actor(
            user_id=user_id,
            roles=[self.role],
            via=via,
            teams=self.scope.teams,
            sees=self.scope.sees,
            open_reads=self.open_reads,
        )


_known: dict[str, tuple[float, KnownUser | None]] = {}
DIRECTORY_CACHE_SECONDS = 10.0


def known_user(user_id: str) -> KnownUser | None:
    """The user's role and scope now, or None once deactivated or deleted: a token stops
    working, and a change of role or team applies, within DIRECTORY_CACHE_SECONDS (at once in
    the process that made the change). Cached to keep the database off the hot path."""
    now = time.monotonic()
    cached = _known.get(user_id)
    if cached is not None and now - cached[0] < DIRECTORY_CACHE_SECONDS:
        return cached[1]
    db = session()
    try:
        user = db.get(User, uuid.UUID(user_id))
    except ValueError:
        user = None
    known = None
    if user is not None and user.is_active:
        known = KnownUser(user.role, directory.scope(db, user), directory.open_resources(db))
    _known[user_id] = (now, known)
    return known


def forget_known() -> None:
    """Drop every cached role and scope, so this process applies a directory change at once
    (a team's members change what its members' teammates see)."""
    _known.clear()


def _actor_from_api_key(key: str) -> Actor:
    try:
        _, prefix, secret = key.split("_", 2)
    except ValueError:
        raise Unauthorized("The API key is not valid.") from None
    found = session().scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if (
        found is None
        or found.revoked_at
        or not hmac.compare_digest(found.secret_hash, _digest(secret))
    ):
        raise Unauthorized("The API key is not valid.")
    # An integration (an ERP, a shop) acts for the organization: it sees every record its
    # role may read, whoever owns it.
    return Actor(user_id=str(found.created_by), roles=[found.role], via=f"api_key:{found.name}")


def current_actor() -> Actor:
    if "actor" not in g:
        header = request.headers.get("Authorization", "")
        if request.headers.get(API_KEY_HEADER):
            g.actor = _actor_from_api_key(request.headers[API_KEY_HEADER])
        elif header.lower().startswith("bearer "):
            g.actor = _actor_from_token(header[7:].strip())
        else:
            raise Unauthorized(
                "Send a token ('Authorization: Bearer ...', from POST /api/v1/auth/token) "
                f"or an API key ('{API_KEY_HEADER}: ...')."
            )
    return g.actor


def allow(*roles: str):
    """Declare which roles may call a route; the declaration is also in the OpenAPI document."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            actor = current_actor()
            if not set(actor.roles) & set(roles):
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        guarded.roles = roles  # read by the role-by-route test
        return Blueprint.doc(
            security=[{"bearerAuth": []}, {"apiKey": []}],
            description=f"Roles: {', '.join(roles)}.",
        )(guarded)

    return decorate
