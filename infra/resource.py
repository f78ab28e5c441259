"""A record type declared once: what the gateway and the service that owns it both know of it.

A `Resource` names its wire shapes, its list's filters (the fields of its `query` schema) and
sorts, who may read and write it, and whose it is (its owner field). From it the gateway
registers the routes and the OpenAPI operations (`gateway.resources`), the service gets its
create, get, list, update and delete RPCs (`infra.crud`), and the contract test checks both.

Declarations live in the top-level `contracts` package, one module per service, which imports
marshmallow and this module only: no SQLAlchemy, no domain rule, so the gateway can import them
without importing a service.
"""

import functools
from dataclasses import dataclass, field
from datetime import UTC

from marshmallow import Schema, fields, validate

ROLES = ("admin", "manager", "sales", "marketing", "support", "viewer")
EVERYONE = ROLES
EDITORS = ("admin", "manager", "sales", "marketing", "support")
MANAGERS = ("admin", "manager")
ADMINS = ("admin",)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Resource:
    service: str  # "customers": the nameko service that owns the records
    name: str  # "contact": the singular, in RPC and event names (`create_contact`)
    path: str  # "/contacts": the collection's path under /api/v1
    area: str  # "customers": the OpenAPI tag (gateway blueprint) its routes are listed under
    create: type[Schema]
    update: type[Schema]
    read: type[Schema]
    query: type[Schema]
    read_roles: tuple[str, ...] = EVERYONE
    write_roles: tuple[str, ...] = EDITORS
    create_options: type[Schema] | None = None  # query parameters of create, e.g. overrides
    users_named: tuple[str, ...] = ()  # body fields holding a user id (the gateway has users)
    # Create may find the record an outside system sent before (by its own id) instead of
    # making it again: the service answers `{"record", "created"}`, and a found one is a 200.
    finds_existing: bool = False
    # Whose a record is: a user of `restricted_roles` reads and changes their own records and
    # their teams' (a manager, those of the teams they lead); a record outside that is a 404.
    # Admins, and the roles not listed, see every record their role may read (marketing,
    # support and viewers work across the whole customer base). None: nobody's.
    owner_field: str | None = None
    restricted_roles: tuple[str, ...] = ("sales", "manager")
    # A new record belongs to its creator unless the request names an owner (False: the
    # service decides, as lead assignment rules do).
    owned_by_creator: bool = True
    # Fields only some roles may set (`{"credit_limit": MANAGERS}`): from anyone else, a 422
    # naming the field. And fields only some roles may read: left out for anyone else.
    writable_by: dict = field(default_factory=dict)
    readable_by: dict = field(default_factory=dict)

    @property
    def plural(self) -> str:
        """ "contacts", "price_books": in list RPC names (`list_price_books`)."""
        return self.path.strip("/").replace("-", "_")

    @property
    def sorts(self) -> tuple[str, ...]:
        """What the list sorts by: the ascending choices of its query's `sort` (`sort_by`)."""
        sort = self.query().fields.get("sort")
        validators = sort.validators if sort is not None else []
        choices = next((v.choices for v in validators if isinstance(v, validate.OneOf)), ())
        return tuple(name for name in choices if not name.startswith("-"))

    @property
    def filters(self) -> tuple[str, ...]:
        """The query parameters that narrow the list (paging and sorting are not filters)."""
        return tuple(name for name in self.query().fields if name not in PAGING)

    def rpc(self, verb: str) -> str:
        """The RPC method behind a verb: `list_contacts`, `get_contact`, ..."""
        return f"list_{self.plural}" if verb == "list" else f"{verb}_{self.name}"


def sort_by(*names: str, default: str = "-created_at") -> fields.String:
    """A list's `sort` parameter: one of `names`, after a `-` for descending. The names are the
    keys of the domain's sortable columns (a test holds the two together)."""
    return fields.String(
        load_default=default,
        validate=validate.OneOf([*names, *(f"-{name}" for name in names)]),
        metadata={"description": "Field, `-` for descending."},
    )


class PageQuery(Schema):
    """The query parameters every list takes; a resource's query schema adds its filters."""

    q = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "Search text."}
    )
    sort = fields.String(
        load_default="-created_at", metadata={"description": "Field, `-` for descending."}
    )
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(metadata={"description": "`next_cursor` of the previous page."})
    created_after = fields.AwareDateTime(default_timezone=UTC)
    created_before = fields.AwareDateTime(default_timezone=UTC)
    updated_after = fields.AwareDateTime(default_timezone=UTC)
    updated_before = fields.AwareDateTime(default_timezone=UTC)


PAGING = ("sort", "limit", "cursor")


class Page(Schema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as `cursor`."})


@functools.cache  # one page schema per item schema, however many routes list it
def page_of(item_schema: type[Schema]) -> type[Schema]:
    return type(
        f"{item_schema.__name__.removesuffix('Read')}Page",
        (Page,),
        {"items": fields.List(fields.Nested(item_schema))},
    )
