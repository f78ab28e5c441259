"""The gateway's app factory: `gunicorn 'gateway.app:create_app()'`."""

import logging

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from gateway import db, metrics, openapi, problems
from gateway.api import blueprints
from gateway.rpc import RpcClient
from gateway.security import hash_password
from infra import config

DEVELOPMENT_SECRET = "development-secret-change-me-in-production"  # noqa: S105
MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash


class NoCookieSession(SecureCookieSessionInterface):
    """The API knows its caller from a token or an API key on each request, never from a cookie:
    no session is opened (which cost a signing serializer per request) nor saved."""

    def open_session(self, app, request):
        return None

    def save_session(self, app, session, response):
        return None


def settings() -> dict:
    return {
        "DATABASE_URL": config.database_url("gateway"),
        "SECRET_KEY": config.env("CRM_SECRET_KEY", DEVELOPMENT_SECRET),
        "TOKEN_TTL": int(config.env("CRM_TOKEN_TTL", "3600")),
        "ADMIN_EMAIL": config.env("CRM_ADMIN_EMAIL", "admin@example.com"),
        "ADMIN_PASSWORD": config.env("CRM_ADMIN_PASSWORD", "admin-password"),
        "AMQP_URI": config.amqp_uri(),
        "RPC_TIMEOUT": config.rpc_timeout(),
        "IMPORT_MAX_BYTES": int(config.env("CRM_IMPORT_MAX_BYTES", str(100 * 1024 * 1024))),
        "API_TITLE": "CRM API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
    }


def create_app(**overrides) -> Flask:
    app = Flask(__name__)
    app.config.update(settings(), **overrides)
    app.json.sort_keys = False  # fields in the order the schemas declare them
    app.json.ensure_ascii = False  # 张伟, not \u5f20\u4f1f
    app.session_interface = NoCookieSession()
    if len(app.config["SECRET_KEY"].encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"CRM_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes (RFC 7518).")
    if app.config["SECRET_KEY"] == DEVELOPMENT_SECRET:
        logging.getLogger(__name__).warning("CRM_SECRET_KEY is unset: using the development secret")

    api = openapi.create_api(app)
    for blueprint in blueprints():
        api.register_blueprint(blueprint)
    problems.register(app)  # after Api(), whose own HTTP error handler this replaces
    metrics.init_app(app)

    db.init_app(app)
    db.ensure_admin(app, hash_password)
    app.extensions["crm_rpc"] = RpcClient(app.config["AMQP_URI"], app.config["RPC_TIMEOUT"])
    return app
