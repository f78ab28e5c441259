"""One service calling another, bounded in time.

nameko's `RpcProxy` waits for an answer forever: a service whose callee is down would hold its
worker, and its own caller, until the callee came back. `BoundedRpcProxy` waits at most
`config.service_rpc_timeout()` seconds, then raises `ServiceUnavailable` (a 503 naming the
callee at the gateway). The request expires with the wait, so a callee that comes back later
does not carry out a call whose caller was already told it failed.
"""

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy, ServiceProxy

from infra import config
from infra.errors import ServiceUnavailable


class BoundedRpcProxy(RpcProxy):
    """`customers = BoundedRpcProxy("customers")`: `self.customers.get_account(id)` in a worker."""

    def get_dependency(self, worker_ctx) -> "BoundedCalls":
        timeout = config.service_rpc_timeout()
        proxy = ServiceProxy(
            worker_ctx,
            self.target_service,
            self.rpc_reply_listener,
            expiration=int(timeout * 1000),
            **self.options,
        )
        return BoundedCalls(proxy, self.target_service, timeout)


class BoundedCalls:
    def __init__(self, proxy: ServiceProxy, service: str, timeout: float):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method: str):
        call = getattr(self._proxy, method)

        def bounded(*args, **kwargs):
            late = ServiceUnavailable(f"The {self._service} service did not answer in time.")
            try:
                with eventlet.Timeout(self._timeout, late):
                    return call(*args, **kwargs)
            except UnknownService:  # no queue of that name: nobody could have answered
                raise late from None

        return bounded
