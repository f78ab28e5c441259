"""The create, get, list, update and delete RPCs of the resources a service keeps.

A service names the record types it keeps at the top of its class:

    @keeps(
        RecordType(contracts.ACCOUNTS, accounts),
        RecordType(contracts.CONTACTS, contacts, options=CreateOptions),
    )
    class CustomersService(CrmService): ...

and has, for each, five nameko entrypoints named from the declaration (`infra.resource`):

    create_account(data, options=None)     get_account(record_id)      list_accounts(params)
    update_account(record_id, changes, expected_version=None)
    delete_account(record_id, expected_version=None)

Each loads the request with the contract's schema, calls the domain module's verb of the same
name with keyword arguments (`accounts.create(session=, data=, actor=)`, `accounts.get_all(
session=, params=, actor=)`, ...), commits, and dumps with the contract's read schema. A record
type that needs something unusual overrides that one method of `RecordType`.

What every record type must do is done here, so none can forget it:
- `If-Match`: checked before the domain sees an update or a delete;
- who sees what: for a caller of one of the declaration's `restricted_roles`, a record whose
  owner (its `owner_field`) is not among the users the caller sees (`Actor.sees`, from the
  gateway's directory) is a 404 for get, update and delete, and lists leave it out
  (`infra.records.visible_only`); a record without an owner is everyone's. A new record is its
  creator's unless the request names an owner;
- fields only some roles may set or read (`writable_by`, `readable_by`).
"""

from __future__ import annotations  # `list` in an annotation here is the builtin, not the verb

from collections.abc import Callable
from types import ModuleType

from marshmallow import Schema

from infra import records
from infra.context import Actor
from infra.errors import NotFound, ValidationFailed, load
from infra.resource import Resource
from infra.service import rpc

VERBS = ("create", "get", "list", "update", "delete")


class RecordType:
    def __init__(
        self,
        resource: Resource,
        domain: ModuleType,
        *,
        options: type[Schema] | None = None,
        uses: tuple[str, ...] = (),
    ):
        self.resource = resource
        self.domain = domain
        self.uses = uses  # the service's dependencies the domain verbs take, e.g. "customers"
        options = options or resource.create_options
        self.options = options() if options else None
        self.create_shape, self.update_shape = resource.create(), resource.update()
        self.query_shape, self.read_shape = resource.query(), resource.read()

    def create(self, service, data: dict, options: dict | None = None) -> dict:
        actor = service.caller
        data = self.settable(load(self.create_shape, data), actor)
        owner = self.resource.owner_field
        if owner and self.resource.owned_by_creator and owner not in data:
            data[owner] = actor.user_uuid  # an explicit null: nobody's, everyone sees it
        extra = {"options": load(self.options, options or {})} if self.options else {}
        made = self.domain.create(
            session=service.db, data=data, actor=actor, **extra, **self._dependencies(service)
        )
        service.db.commit()
        if self.resource.finds_existing:
            record, created = made
            return {"record": self.dump(record, actor), "created": created}
        return self.dump(made, actor)

    def get(self, service, record_id) -> dict:
        return self.dump(self.find(service, record_id), service.caller)

    def list(self, service, params: dict) -> dict:
        params = load(self.query_shape, params)
        scope = self.scope(service.caller, writing=False)
        if scope is not None:
            params[records.VISIBLE] = scope
        page = self.domain.get_all(session=service.db, params=params, actor=service.caller)
        service.db.commit()  # some lists make their defaults on first use (the price book)
        items, next_cursor = page
        return {"items": [self.dump(i, service.caller) for i in items], "next_cursor": next_cursor}

    def update(self, service, record_id, changes: dict, expected_version=None) -> dict:
        changes = self.settable(load(self.update_shape, changes), service.caller)
        records.check_version(self.find(service, record_id, writing=True), expected_version)
        record = self.domain.update(
            session=service.db,
            record_id=record_id,
            changes=changes,
            actor=service.caller,
            **self._dependencies(service),
        )
        service.db.commit()
        return self.dump(record, service.caller)

    def delete(self, service, record_id, expected_version=None) -> None:
        record = self.find(service, record_id, writing=True)
        records.check_version(record, expected_version)
        self.domain.delete(session=service.db, record_id=record_id, actor=service.caller)
        service.db.commit()

    def find(self, service, record_id, writing: bool = False):
        """The record, if the caller may see it (to change it, with `writing`); else a 404,
        which does not say whether it exists."""
        record = self.domain.get(session=service.db, record_id=record_id)
        scope = self.scope(service.caller, writing)
        if scope is not None:
            owner = getattr(record, scope[0])
            if owner is not None and str(owner) not in scope[1]:
                raise NotFound(f"No {self.resource.name} with id {record_id}.")
        return record

    def scope(self, actor: Actor, writing: bool) -> tuple[str, list[str]] | None:
        return scope(self.resource, actor, writing)

    def settable(self, data: dict, actor: Actor) -> dict:
        """`data`, if the caller's roles may set each of its fields; else a 422 naming them."""
        errors = {
            name: [f"Only {', '.join(roles)} may set this field."]
            for name, roles in self.resource.writable_by.items()
            if name in data and not set(actor.roles) & set(roles)
        }
        if errors:
            raise ValidationFailed("The request sets fields your role may not set.", errors)
        return data

    def dump(self, record, actor: Actor) -> dict:
        """The record as the caller may read it: fields their roles may not read left out."""
        shown = self.read_shape.dump(record)
        for name, roles in self.resource.readable_by.items():
            if not set(actor.roles) & set(roles):
                shown.pop(name, None)
        return shown

    def _dependencies(self, service) -> dict:
        return {name: getattr(service, name) for name in self.uses}


def scope(resource: Resource, actor: Actor, writing: bool) -> tuple[str, list[str]] | None:
    """(owner field, the users whose records the caller sees), or None: no restriction. For a
    domain step over many records (tagging by a filter) as for the five verbs."""
    if resource.owner_field is None or actor.sees is None:
        return None
    if not set(actor.roles) & set(resource.restricted_roles):
        return None
    if not writing and resource.name in actor.open_reads:
        return None
    return resource.owner_field, actor.sees


def keeps(*record_types: RecordType) -> Callable[[type], type]:
    """Add each record type's five RPCs to the service class (one that the class defines
    itself stays: the class's own is the override)."""

    def add_entrypoints(service_cls: type) -> type:
        for record_type in record_types:
            for verb in VERBS:
                name = record_type.resource.rpc(verb)
                if name not in vars(service_cls):
                    setattr(service_cls, name, _entrypoint(name, getattr(record_type, verb)))
        service_cls.record_types = record_types
        return service_cls

    return add_entrypoints


def _entrypoint(name: str, step: Callable):
    def entrypoint(self, *args, **kwargs):
        return step(self, *args, **kwargs)

    entrypoint.__name__ = entrypoint.__qualname__ = name
    entrypoint.__doc__ = step.__doc__
    return rpc(entrypoint)
