"""The gateway's event log, served as the nameko service `gateway`.

The gateway records a directory change (a team's) and its event in one transaction of its own
database, and publishes the event right after commit (`gateway.db`). This process does for the
gateway what every service's base class does for it: answers `events_since` (a consumer that
missed an event backfills from it) and sweeps the outbox for events the gateway could not
publish at commit, the broker being down. `make run` starts it beside gunicorn.
"""

from infra.service import CrmService


class GatewayEvents(CrmService):
    name = "gateway"
