import pytest

from gateway.app import create_app
from infra.testing import empty_tables
from services.customers.service import CustomersService

ADMIN = {"email": "admin@example.com", "password": "admin-password-for-tests"}


class Api:
    """The gateway's test client, with a helper to act as a user of a given role."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def login(self, email: str, password: str):
        return self.client.post("/api/v1/auth/token", json={"email": email, "password": password})

    def headers(self, role: str = "admin", **extra) -> dict:
        if role not in self.tokens:
            if role != "admin":
                email = f"{role}@example.com"
                password = f"{role}-password-123"
                created = self.client.post(
                    "/api/v1/users",
                    headers=self.headers("admin"),
                    json={"email": email, "password": password, "role": role},
                )
                assert created.status_code == 201, created.json
            else:
                email, password = ADMIN["email"], ADMIN["password"]
            self.tokens[role] = self.login(email, password).json["access_token"]
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def __getattr__(self, method):
        """`api.post(path, role="sales", json=...)`"""

        def call(path, role="admin", headers=None, **kwargs):
            return getattr(self.client, method)(
                path, headers={**self.headers(role), **(headers or {})}, **kwargs
            )

        return call


@pytest.fixture
def gateway_app(amqp_uri, database_url, backend):
    url = database_url("gateway", backend)
    app = create_app(
        DATABASE_URL=url,
        AMQP_URI=amqp_uri,
        RPC_TIMEOUT=2.0,
        SECRET_KEY="test-secret",
        ADMIN_EMAIL=ADMIN["email"],
        ADMIN_PASSWORD=ADMIN["password"],
    )
    yield app
    app.extensions["crm_rpc"].close()
    empty_tables(url)


@pytest.fixture
def customers(start_service, backend):
    return start_service(CustomersService, backend)


@pytest.fixture
def api(gateway_app, customers) -> Api:
    return Api(gateway_app.test_client())
