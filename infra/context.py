"""Caller context: who asked, carried from the gateway to services in nameko context data."""

import uuid
from dataclasses import asdict, dataclass, field

from nameko.extensions import DependencyProvider

CONTEXT_KEY = "actor"


@dataclass(frozen=True)
class Actor:
    """Who asked, and what they may see (the gateway works it out from its user directory):
    `teams`, the teams they belong to or lead; `sees`, the users whose records they see
    (None: everyone's, as for admins and the suite's own work); `open_reads`, the record types
    an admin opened to everyone's reading."""

    user_id: str | None = None
    roles: list[str] = field(default_factory=list)
    via: str = "system"
    teams: list[str] = field(default_factory=list)
    sees: list[str] | None = None
    open_reads: list[str] = field(default_factory=list)

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
        sees = data.get("sees")
        return Actor(
            user_id=data.get("user_id"),
            roles=list(data.get("roles") or []),
            via=data.get("via", "system"),
            teams=list(data.get("teams") or []),
            sees=None if sees is None else list(sees),
            open_reads=list(data.get("open_reads") or []),
        )
