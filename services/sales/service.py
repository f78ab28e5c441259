"""The sales service's RPC entrypoints: validate, call the domain, commit, dump."""

from nameko.rpc import RpcProxy

from infra.service import CrmService


class SalesService(CrmService):
    name = "sales"

    customers = RpcProxy("customers")  # accounts and contacts live there
