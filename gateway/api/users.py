import uuid

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.db import session
from gateway.models import ApiKey, User
from gateway.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from gateway.security import (
    ADMINS,
    allow,
    current_actor,
    forget_known,
    hash_password,
    new_api_key,
)
from infra.db import utcnow
from infra.errors import Conflict, NotFound, ValidationFailed

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users, roles and API keys.")


def _get(model, record_id):
    try:
        found = session().get(model, uuid.UUID(record_id))
    except ValueError:
        found = None
    if found is None:
        raise NotFound(f"No {model.__tablename__[:-1].replace('_', ' ')} with id {record_id}.")
    return found


@blp.route("/users")
class Users(MethodView):
    @allow(*ADMINS)
    @blp.response(200, UserRead(many=True))
    def get(self):
        """List users."""
        return session().scalars(select(User).order_by(User.email)).all()

    @allow(*ADMINS)
    @blp.arguments(UserCreate)
    @blp.response(201, UserRead)
    def post(self, data):
        """Create a user with a role."""
        db = session()
        user = User(
            email=data["email"].strip().lower(),
            name=data.get("name"),
            role=data["role"],
            password_hash=hash_password(data["password"]),
        )
        db.add(user)
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            raise Conflict(f"A user with email {user.email} exists already.") from None
        return user


@blp.route("/users/<user_id>")
class UserItem(MethodView):
    @allow(*ADMINS)
    @blp.response(200, UserRead)
    def get(self, user_id):
        """Read a user."""
        return _get(User, user_id)

    @allow(*ADMINS)
    @blp.arguments(UserUpdate)
    @blp.response(200, UserRead)
    def patch(self, changes, user_id):
        """Change a user's name, role, password or whether they may log in."""
        user = _get(User, user_id)
        if str(user.id) == current_actor().user_id and (
            changes.get("role", "admin") != "admin" or changes.get("is_active") is False
        ):
            raise ValidationFailed(
                "You cannot take away your own admin role or access.",
                {"role": ["Ask another admin."]},
            )
        if "password" in changes:
            user.password_hash = hash_password(changes.pop("password"))
        for field, value in changes.items():
            setattr(user, field, value)
        session().commit()
        forget_known()
        return user


@blp.route("/api-keys")
class ApiKeys(MethodView):
    @allow(*ADMINS)
    @blp.response(200, ApiKeyRead(many=True))
    def get(self):
        """List API keys (their secrets are never shown again)."""
        return session().scalars(select(ApiKey).order_by(ApiKey.created_at)).all()

    @allow(*ADMINS)
    @blp.arguments(ApiKeyCreate)
    @blp.response(201, ApiKeyCreated)
    def post(self, data):
        """Create an API key for an integration, with the role it acts as."""
        prefix, key, digest = new_api_key()
        api_key = ApiKey(
            name=data["name"],
            role=data["role"],
            prefix=prefix,
            secret_hash=digest,
            created_by=uuid.UUID(current_actor().user_id),
        )
        session().add(api_key)
        session().commit()
        api_key.key = key  # shown this once; only its hash is stored
        return api_key


@blp.route("/api-keys/<key_id>")
class ApiKeyItem(MethodView):
    @allow(*ADMINS)
    @blp.response(204)
    def delete(self, key_id):
        """Revoke an API key; it stops working at once."""
        api_key = _get(ApiKey, key_id)
        api_key.revoked_at = api_key.revoked_at or utcnow()
        session().commit()
