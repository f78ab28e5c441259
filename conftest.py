# eventlet must patch the standard library before anything else imports it: nameko's pytest
# plugin no longer does this, and service containers hang without it.
import infra  # noqa: F401, I001  (first: it quiets eventlet's import-time notice)
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["infra.testing", "gateway.testing"]


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def fast_teardown():
    """Replaces nameko's fixture of this name, which stops every queue consumer after each
    test: the suite keeps service containers running for a whole module (infra.testing)."""
    yield
