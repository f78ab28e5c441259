"""Pytest fixtures every service's tests use: the real broker and real databases.

- `amqp_uri`: a RabbitMQ vhost of its own for the test session (made with rabbitmqctl), so tests
  never meet the queues of a suite running on the same machine.
- `database_url(component, backend)`: a migrated database, SQLite file or PostgreSQL database.
- `backend`: parametrizes a test over SQLite and PostgreSQL.
- `db_session`: a session whose work is rolled back after the test, for unit tests.
- `start_service`: a running service container against the test broker and a migrated database.
- `own_broker`: a RabbitMQ node of the test's own, on other ports, for tests that stop a broker.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
import warnings
from pathlib import Path

import psycopg2
import pytest
from nameko.containers import ServiceContainer
from sqlalchemy import MetaData, text
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import Session

from infra import config
from infra.db import engine_for
from infra.migrations import upgrade

BACKENDS = ("sqlite", "postgresql")
# Test data kept in the checkout: a messy contacts export (UTF-8 and GBK) and its manifest.
TEST_DATA = config.ROOT / "tests" / "data"
POSTGRES_ADMIN_DSN = config.env(
    "CRM_TEST_POSTGRES_DSN", "host=127.0.0.1 user=postgres dbname=postgres"
)


def wait_for(condition, timeout: float = 10.0):
    """Until `condition()` is true (what it returned), or an AssertionError after `timeout` s:
    for what another process or a consumer does in its own time."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return found


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def own_vhost(prefix: str = "crm-test"):
    """The URI of a RabbitMQ vhost of its own, deleted afterwards: no other suite's queues."""
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def amqp_uri():
    with own_vhost() as uri:
        yield uri


@contextlib.contextmanager
def postgres_database():
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        engine_for.cache_clear()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """`database_url(component, backend)`: a database migrated to head, one per pair a session.
    `database_url(component, backend, apart=True)`: another one, that no service container
    started by `start_service` uses (nor sweeps its outbox)."""
    made: dict = {}
    stack = contextlib.ExitStack()

    def make(component: str, backend: str = "sqlite", apart: bool = False) -> str:
        key = (component, backend, apart)
        if key not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp(component)}/{component}.db"
            else:
                url = stack.enter_context(postgres_database())
            upgrade(component, url)
            made[key] = url
        return made[key]

    with stack:
        yield make


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """Runs a test module once on SQLite and once on PostgreSQL."""
    return request.param


def empty_tables(url: str, keep: tuple[str, ...] = ("alembic_version", "event_counter")) -> None:
    """Delete every row a test wrote, children first."""
    engine = engine_for(url)
    metadata = MetaData()
    with warnings.catch_warnings():  # expression indexes are not reflected; rows are all we need
        warnings.simplefilter("ignore", SAWarning)
        metadata.reflect(engine)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name not in keep:
                connection.execute(table.delete())
        if "event_counter" in metadata.tables:
            connection.execute(text("UPDATE event_counter SET last_sequence = 0"))


@pytest.fixture
def db_session_for(database_url):
    """`db_session_for(component, backend)`: a session whose commits are rolled back at the end."""
    opened = []

    def make(component: str, backend: str = "sqlite") -> Session:
        engine = engine_for(database_url(component, backend))
        connection = engine.connect()
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        opened.append((session, transaction, connection))
        return session

    yield make
    for session, transaction, connection in opened:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="module")
def running_services(amqp_uri, database_url, backend):
    """Containers kept running for a whole test module and backend: stopping one takes about a
    second (kombu's consumer loop looks for the stop signal once a second). Depending on
    `backend` makes pytest stop them before the module's tests run on the other backend, so
    two containers of one service never share its queue."""
    containers: dict = {}

    def start(service_cls, **overrides) -> ServiceContainer:
        key = (service_cls, tuple(sorted(overrides.items())))
        container = containers.get(key)
        if container is None or container._died.ready():
            config = {"AMQP_URI": amqp_uri, **overrides}
            if "DATABASE_URL" not in config:
                config["DATABASE_URL"] = database_url(service_cls.name, backend)
            container = containers[key] = ServiceContainer(service_cls, config)
            container.start()
        return container

    yield start
    for container in containers.values():
        container.kill()


@pytest.fixture
def start_service(running_services, database_url, backend):
    """`start_service(ServiceClass, **config)`: a running container of the service on the
    module's backend, with an empty database; the rows a test writes are deleted at its end."""
    used = []

    def start(service_cls, **overrides) -> ServiceContainer:
        used.append(overrides.get("DATABASE_URL") or database_url(service_cls.name, backend))
        return running_services(service_cls, **overrides)

    yield start
    for url in used:
        empty_tables(url)


# The node's own scripts: the /usr/sbin wrappers switch to the rabbitmq user, who may not write
# to the test's temporary directory.
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerNode:
    """A RabbitMQ node of its own (name, ports, data, logs, Erlang cookie under `directory`),
    so a test can stop a broker without touching the machine's."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.name = f"crm-test-{uuid.uuid4().hex[:8]}@localhost"
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        (directory / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        for empty in ("rabbitmq-env.conf", "enabled_plugins"):
            (directory / empty).write_text("")
        self.env = {
            **os.environ,
            "HOME": str(directory),  # where Erlang keeps the node's cookie
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.process: subprocess.Popen | None = None

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, timeout: float = 90) -> None:
        with open(self.directory / "server.out", "w") as out:
            self.process = subprocess.Popen(
                [str(RABBITMQ_BIN / "rabbitmq-server")],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while self.ctl("await_startup", "--timeout", "30").returncode:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.name} did not start: see {self.directory}")
            time.sleep(1)

    def stop_app(self) -> None:
        self.ctl("stop_app").check_returncode()

    def start_app(self) -> None:
        self.ctl("start_app").check_returncode()

    def stop(self) -> None:
        if self.process is None:
            return
        self.ctl("stop")
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def own_broker(tmp_path_factory):
    """A RabbitMQ node of the test's own on free ports, stopped (by its name) after the test."""
    if not (RABBITMQ_BIN / "rabbitmq-server").exists():
        pytest.skip(f"a second RabbitMQ node needs {RABBITMQ_BIN}/rabbitmq-server")
    node = BrokerNode(tmp_path_factory.mktemp("rabbitmq"))
    try:
        node.start()
        yield node
    finally:
        node.stop()
