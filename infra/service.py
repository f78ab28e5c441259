"""What every CRM service has: its database, the outbox relay, the caller, metrics, and the RPC
methods and timer that make its event log readable and reliably published."""

import logging

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.rpc import Responder
from nameko.rpc import rpc as nameko_rpc
from nameko.timer import timer
from sqlalchemy import text

from infra import config, outbox
from infra.context import Caller
from infra.db import Database
from infra.errors import NotFound, ServiceError, ValidationFailed
from infra.metrics import Metrics
from infra.outbox import EventRelay

log = logging.getLogger(__name__)

SWEEP_INTERVAL = float(config.env("CRM_OUTBOX_SWEEP_SECONDS", "5"))


class ReplyPublisher(Publisher):
    """Publishes RPC replies without waiting for the broker's confirm: a lost reply ends as the
    caller's timeout (503) either way, and the confirm costs a round trip and CPU on every call.

    A reply the broker cannot take (it went away while the worker ran) is dropped with a
    warning. nameko would let the error kill the whole service; the change the worker made is
    committed and its events are in the outbox, so the caller's timeout is all that is lost."""

    use_confirms = False

    def publish(self, payload, **kwargs):
        try:
            super().publish(payload, **kwargs)
        except (OperationalError, AMQPError, OSError) as exc:
            log.warning("RPC reply dropped, the broker is unreachable: %s", exc)


Responder.publisher_cls = ReplyPublisher


def _ack_or_leave(queue_consumer: QueueConsumer, message) -> None:
    """Acknowledge a handled message (an RPC request, an event). One whose acknowledgement the
    broker cannot take (it went away while the worker ran) is left: the broker delivers it again
    once back, and consumers apply an event once. nameko would let the error kill the service."""
    try:
        _acknowledge(queue_consumer, message)
    except (OperationalError, AMQPError, OSError) as exc:
        log.warning("message left unacknowledged, the broker is unreachable: %s", exc)


_acknowledge = QueueConsumer.ack_message
QueueConsumer.ack_message = _ack_or_leave

# An RPC entrypoint whose ServiceErrors (not found, validation, ...) are answers to the caller,
# logged as warnings, not as crashes with a traceback.
rpc = nameko_rpc(expected_exceptions=(ServiceError,))


class Stopping(DependencyProvider):
    """`self.stopping()` in a timer's worker: true once the service is asked to stop, so long
    work can pause at a safe point instead of holding the shutdown up until it is done. (Other
    entrypoints' workers are short: for them it stays false.)"""

    def get_dependency(self, worker_ctx):
        should_stop = getattr(worker_ctx.entrypoint, "should_stop", None)
        return should_stop.ready if should_stop is not None else lambda: False


class CrmService:
    """Base class of a nameko service. Subclasses set `name` and add their own entrypoints."""

    name: str
    record_types: tuple = ()  # the declared record types it keeps (`infra.crud.keeps`)

    db = Database()
    relay = EventRelay()
    caller = Caller()
    metrics = Metrics()

    def visible(self, name: str, record_id, writing: bool = False):
        """The record of the declared type `name` (`"lead"`), if the caller may see it (to
        change it, with `writing`), else a 404: for the domain's own steps, as for the five
        verbs."""
        record_type = next((rt for rt in self.record_types if rt.resource.name == name), None)
        if record_type is None:
            raise NotFound(f"No {name} with id {record_id}.")
        return record_type.find(self, record_id, writing)

    @rpc
    def events_since(self, sequence: int, limit: int = 100, types: list | None = None) -> list:
        """This service's events with a sequence above `sequence`, oldest first; only those of
        `types` (a list of event types) when given."""
        if types is not None and not (
            isinstance(types, list) and all(isinstance(t, str) for t in types)
        ):
            raise ValidationFailed("Bad event types.", {"types": ["A list of event types."]})
        return outbox.events_since(self.db, int(sequence), int(limit), types)

    @rpc
    def health(self) -> dict:
        self.db.execute(text("SELECT 1"))
        return {"service": self.name, "status": "ok"}

    @timer(interval=SWEEP_INTERVAL)
    def publish_pending_events(self) -> None:
        self.relay.sweep()
