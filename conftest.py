# eventlet must patch the standard library before anything else imports it: nameko's pytest
# plugin no longer does this, and service containers hang without it.
import infra  # noqa: F401, I001  (first: it quiets eventlet's import-time notice)
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["infra.testing", "gateway.testing"]


import pytest  # noqa: E402

from infra.config import ROOT  # noqa: E402

TIERS = ("unit", "service", "e2e")  # pyproject.toml says what each holds
# The fixtures behind every test that needs the broker or a database: a unit test needs neither.
BROKER_AND_DATABASES = {"amqp_uri", "database_url"}


def folder_tier(path) -> str:
    """`*/tests/unit/`: unit; `services/*/tests/`: service; `gateway/tests/` and `tests/`: e2e."""
    parts = path.relative_to(ROOT).parts
    if "unit" in parts:
        return "unit"
    return "service" if parts[0] == "services" else "e2e"


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by tier
def pytest_collection_modifyitems(items):
    """Each test's tier: the one its module marks, else its folder's."""
    for item in items:
        if not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(folder_tier(item.path))
        used = sorted(BROKER_AND_DATABASES.intersection(item.fixturenames))
        if item.get_closest_marker("unit") and used:
            raise pytest.UsageError(f"{item.nodeid} is a unit test but uses {', '.join(used)}")


@pytest.fixture(autouse=True)
def fast_teardown():
    """Replaces nameko's fixture of this name, which stops every queue consumer after each
    test: the suite keeps service containers running for a whole module (infra.testing)."""
    yield
