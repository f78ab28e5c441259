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
session=, params=, actor=)`, ...), commits, and dumps with the contract's read schema. `If-Match`
is checked here, before the domain sees the change, so no resource can forget it. A record type
that needs something unusual overrides that one method of `RecordType`.
"""

from collections.abc import Callable
from types import ModuleType

from marshmallow import Schema

from infra import records
from infra.errors import load
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
        extra = {"options": load(self.options, options or {})} if self.options else {}
        made = self.domain.create(
            session=service.db,
            data=load(self.create_shape, data),
            actor=service.caller,
            **extra,
            **self._dependencies(service),
        )
        service.db.commit()
        if self.resource.finds_existing:
            record, created = made
            return {"record": self.read_shape.dump(record), "created": created}
        return self.read_shape.dump(made)

    def get(self, service, record_id) -> dict:
        return self.read_shape.dump(self.find(service, record_id))

    def list(self, service, params: dict) -> dict:
        page = self.domain.get_all(
            session=service.db, params=load(self.query_shape, params), actor=service.caller
        )
        service.db.commit()  # some lists make their defaults on first use (the price book)
        return records.page_of(self.read_shape, page)

    def update(self, service, record_id, changes: dict, expected_version=None) -> dict:
        changes = load(self.update_shape, changes)
        records.check_version(self.find(service, record_id), expected_version)
        record = self.domain.update(
            session=service.db,
            record_id=record_id,
            changes=changes,
            actor=service.caller,
            **self._dependencies(service),
        )
        service.db.commit()
        return self.read_shape.dump(record)

    def delete(self, service, record_id, expected_version=None) -> None:
        records.check_version(self.find(service, record_id), expected_version)
        self.domain.delete(session=service.db, record_id=record_id, actor=service.caller)
        service.db.commit()

    def find(self, service, record_id):
        return self.domain.get(session=service.db, record_id=record_id)

    def _dependencies(self, service) -> dict:
        return {name: getattr(service, name) for name in self.uses}


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
