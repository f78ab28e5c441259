"""Caller context: who asked, carried from the gateway to services in nameko context data."""

import uuid
from dataclasses import asdict, dataclass, field

from nameko.extensions import DependencyProvider

CONTEXT_KEY = "actor"


@dataclass(frozen=True)
class Actor:
    user_id: str | None = None
    roles: list[str] = field(default_factory=list)
    via: str = "system"

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def user_uuid(self) -> uuid.UUID | None:
        """The user id as a UUID (for owner and author columns); None for system work."""
        try:
            return uuid.UUID(str(self.user_id)) if self.user_id else None
        except ValueError:
            return None


class Caller(DependencyProvider):
    """`self.caller` in a worker: the `Actor` on whose behalf it runs."""

    def get_dependency(self, worker_ctx) -> Actor:
        data = worker_ctx.data.get(CONTEXT_KEY) or {}
        return Actor(
            user_id=data.get("user_id"),
            roles=list(data.get("roles") or []),
            via=data.get("via", "system"),
        )
