import pytest
from nameko.testing.services import worker_factory

from infra.context import Actor
from services.sales.service import SalesService

SALES_REP = Actor(user_id="7d3b3c1e-0000-4000-8000-000000000001", roles=["sales"], via="api")


@pytest.fixture
def session(db_session_for, backend):
    return db_session_for("sales", backend)


@pytest.fixture
def service(session):
    """The service's entrypoints on a real database session, rolled back after the test."""
    return worker_factory(SalesService, db=session, caller=SALES_REP)
