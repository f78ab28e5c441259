"""The sales service's RPC entrypoints: validate, call the domain, commit, dump."""

from infra.service import CrmService


class SalesService(CrmService):
    name = "sales"
