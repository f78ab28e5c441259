import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import worker_factory

from infra.context import Actor
from services.customers.service import CustomersService
from services.sales.service import SalesService

SALES_REP = Actor(user_id="7d3b3c1e-0000-4000-8000-000000000001", roles=["sales"], via="api")


@pytest.fixture
def session(db_session_for, backend):
    return db_session_for("sales", backend)


@pytest.fixture
def service(session):
    """The service's entrypoints on a real database session, rolled back after the test."""
    return worker_factory(SalesService, db=session, caller=SALES_REP)


# --- Commerce: quotes, orders and activities check accounts and contacts in customers -------


@pytest.fixture
def customers_proxy(start_service, amqp_uri):
    """A proxy to the real customers service, running on the test broker and database."""
    start_service(CustomersService)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as cluster:
        yield cluster.customers


@pytest.fixture
def sales(session, customers_proxy):
    """The service's entrypoints on a real session, asking the real customers service."""
    return worker_factory(SalesService, db=session, caller=SALES_REP, customers=customers_proxy)
