"""What `make run` checks before starting anything (each failure in one clear line), and the
note it prints of where things are."""

import sys

from kombu import Connection

from infra import config


def broker_error(uri: str) -> str | None:
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure to connect is reported the same way
        return f"{type(exc).__name__}: {exc}"
    return None


def where_things_are() -> str:
    gateway = "http://" + config.env("CRM_GATEWAY_BIND", "127.0.0.1:8000")
    email = config.env("CRM_ADMIN_EMAIL", "admin@example.com")
    password = (
        "password from CRM_ADMIN_PASSWORD"
        if config.env("CRM_ADMIN_PASSWORD", "")
        else "password admin-password (first start; change it)"
    )
    return "\n".join(
        [
            f"CRM gateway     {gateway}  (Ctrl-C stops everything)",
            f"API docs        {gateway}/api/v1/docs   OpenAPI: {gateway}/api/v1/openapi.json",
            f"Log in          POST {gateway}/api/v1/auth/token  as {email}, {password}",
            f"Health          {gateway}/healthz  {gateway}/readyz  metrics: {gateway}/metrics",
            f"Broker          {config.amqp_uri()}",
            *(
                f"Database        {c}: {config.database_url(c)}"
                for c in (*config.SERVICES, "gateway")
            ),
            *(
                f"Metrics         {name}: http://127.0.0.1:{port}/metrics (more instances: "
                f"{port + 1}, ...)"
                for name, port in metrics_ports()
            ),
        ]
    )


def metrics_ports() -> list[tuple[str, int]]:
    """Where each service's first instance serves metrics under `make run`: the launcher gives
    the Procfile's n-th process the port PORT_BASE + 100 n."""
    base = int(config.env("PORT_BASE", "9100"))
    return [(name, base + 100 * index) for index, name in enumerate(config.SERVICES)]


def main() -> int:
    uri = config.amqp_uri()
    error = broker_error(uri)
    if error:
        print(
            f"RabbitMQ is not reachable at {uri} ({error}). Start it with "
            "'rabbitmq-server -detached' (or 'systemctl start rabbitmq-server'), "
            "or point CRM_AMQP_URI at a running broker.",
            file=sys.stderr,
        )
        return 1
    print(where_things_are())
    return 0


if __name__ == "__main__":
    sys.exit(main())
