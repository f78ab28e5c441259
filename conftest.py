# eventlet must patch the standard library before anything else imports it: nameko's pytest
# plugin no longer does this, and service containers hang without it.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["infra.testing"]
