"""A pooled RPC client: one started nameko proxy per thread, never one per request.

Starting a proxy opens a connection and declares a reply queue, about 9 ms; a thread keeps its
proxy for its lifetime. A proxy is never used by two threads at once.
"""

import contextlib
import logging
import threading
import warnings

import kombu.pools
from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from infra.context import CONTEXT_KEY, Actor
from infra.errors import ServiceUnavailable

log = logging.getLogger(__name__)
# nameko asks for mandatory delivery and warns that, without confirms, it cannot see a refusal.
warnings.filterwarnings("ignore", message="Mandatory delivery was requested")


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float, threads: int = 64):
        # kombu keeps 10 producers per process by default: more threads would wait for one.
        kombu.pools.set_limit(max(kombu.pools.get_limit(), threads))
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[ClusterRpcProxy] = []
        self._lock = threading.Lock()

    def _standalone(self) -> ClusterRpcProxy:
        standalone = getattr(self._local, "standalone", None)
        if standalone is None:
            standalone = ClusterRpcProxy(self.config, timeout=self.timeout, context_data={})
            standalone.start()
            self._local.standalone = standalone
            with self._lock:
                self._all.append(standalone)
        return standalone

    def call(self, service: str, method: str, *args, actor: Actor | None = None, **kwargs):
        """Call `service.method`; a service that does not answer in time raises 503."""
        try:
            standalone = self._standalone()
            standalone._worker_ctx.data[CONTEXT_KEY] = (actor or Actor(via="api")).as_dict()
            proxy = ServiceProxy(
                standalone._worker_ctx,
                service,
                standalone._reply_listener,
                # A request nobody took within the timeout expires instead of running later,
                # after the caller was already told the service was unavailable.
                expiration=int(self.timeout * 1000),
                # No broker confirm per request (a round trip, and CPU on both sides): a request
                # lost on the way ends as the timeout's 503, as a missing reply does.
                use_confirms=False,
            )
            return getattr(proxy, method)(*args, **kwargs)
        except (RpcTimeout, UnknownService):
            raise ServiceUnavailable(f"The {service} service did not answer in time.") from None
        except (OSError, OperationalError) as exc:
            log.warning("broker connection failed: %s", exc)
            self._discard()
            raise ServiceUnavailable("The message broker is unreachable.") from None

    def _discard(self) -> None:
        standalone = getattr(self._local, "standalone", None)
        self._local.standalone = None
        if standalone is not None:
            with self._lock:
                self._all.remove(standalone)
            _stop_quietly(standalone)

    def close(self) -> None:
        with self._lock:
            proxies, self._all = self._all, []
        for standalone in proxies:
            _stop_quietly(standalone)


def _stop_quietly(standalone: ClusterRpcProxy) -> None:
    with contextlib.suppress(Exception):  # its connection may be broken already
        standalone.stop()
