"""Configuration from environment variables, each with a working development default."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("customers", "sales")

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def var_dir() -> Path:
    return Path(env("CRM_VAR_DIR", str(ROOT / "var")))


def amqp_uri() -> str:
    return env("CRM_AMQP_URI", DEFAULT_AMQP_URI)


def database_url(component: str) -> str:
    """`CRM_<COMPONENT>_DATABASE_URL`, else a SQLite file under the var directory."""
    default = f"sqlite:///{var_dir() / component}.db"
    return env(f"CRM_{component.upper()}_DATABASE_URL", default)


def rpc_timeout() -> float:
    """Seconds the gateway waits for a service."""
    return float(env("CRM_RPC_TIMEOUT", "5"))


def service_rpc_timeout() -> float:
    """Seconds a service waits for another: half the gateway's wait, so that its 503 naming the
    other service reaches the gateway before the gateway gives up on the caller."""
    return rpc_timeout() / 2
