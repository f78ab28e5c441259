"""Pytest fixtures for tests through the gateway: every service running against the test
broker, and `api`, the gateway's test client acting as a user of any role."""

import importlib

import pytest

from gateway.app import create_app
from gateway.events import GatewayEvents
from infra import config
from infra.service import CrmService
from infra.testing import empty_tables

ADMIN = {"email": "admin@example.com", "password": "admin-password-for-tests"}


def service_class(name: str) -> type[CrmService]:
    module = importlib.import_module(f"services.{name}.service")
    return next(
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, CrmService) and value is not CrmService
    )


class Api:
    """The gateway's test client; `api.post(path, role="sales", json=...)` acts as that role."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def login(self, email: str, password: str):
        return self.client.post("/api/v1/auth/token", json={"email": email, "password": password})

    def headers(self, role: str = "admin") -> dict:
        if role not in self.tokens:
            email, password = ADMIN["email"], ADMIN["password"]
            if role != "admin":
                email, password = f"{role}@example.com", f"{role}-password-123"
                created = self.client.post(
                    "/api/v1/users",
                    headers=self.headers("admin"),
                    json={"email": email, "password": password, "role": role},
                )
                assert created.status_code == 201, created.json
            self.tokens[role] = self.login(email, password).json["access_token"]
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def events(self, service: str) -> list[dict]:
        """The service's event log (its outbox), oldest first, read over RPC."""
        rpc = self.client.application.extensions["crm_rpc"]
        return rpc.call(service, "events_since", 0, 1000)

    def __getattr__(self, method):
        def call(path, role="admin", headers=None, **kwargs):
            return getattr(self.client, method)(
                path, headers={**self.headers(role), **(headers or {})}, **kwargs
            )

        return call


@pytest.fixture
def rpc_timeout() -> float:
    """Seconds the test gateway waits for a service before answering 503. Generous: a test
    asserts what the API answers, not how fast (on a loaded machine a call can take seconds),
    and only a hung service reaches it. A test of the timeout itself parametrizes a short one:
    `@pytest.mark.parametrize("rpc_timeout", [2.0])`."""
    return 30.0


@pytest.fixture
def gateway_app(amqp_uri, database_url, backend, rpc_timeout):
    url = database_url("gateway", backend)
    app = create_app(
        DATABASE_URL=url,
        AMQP_URI=amqp_uri,
        RPC_TIMEOUT=rpc_timeout,
        SECRET_KEY="a-test-secret-of-at-least-32-bytes",
        ADMIN_EMAIL=ADMIN["email"],
        ADMIN_PASSWORD=ADMIN["password"],
    )
    yield app
    app.extensions["crm_rpc"].close()
    empty_tables(url)


@pytest.fixture
def suite(start_service) -> dict:
    """Every service of the CRM, and the gateway's event log, running: `{name: container}`."""
    running = {name: start_service(service_class(name)) for name in config.SERVICES}
    return {**running, "gateway": start_service(GatewayEvents)}


@pytest.fixture
def customers(suite):
    return suite["customers"]


@pytest.fixture
def api(gateway_app, suite) -> Api:
    return Api(gateway_app.test_client())
