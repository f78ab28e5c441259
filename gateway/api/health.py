from flask import current_app, jsonify
from flask_smorest import Blueprint

from infra import config
from infra.preflight import broker_error

blp = Blueprint("health", __name__, description="Liveness and readiness, for orchestrators.")


@blp.route("/healthz")
@blp.response(200)
def healthz():
    """The gateway process is up."""
    return jsonify(status="ok")


@blp.route("/readyz")
@blp.response(200)
@blp.alt_response(503, description="The broker or a service does not answer.")
def readyz():
    """The broker answers, and every service answers its health check in time."""
    checks = {"broker": broker_error(config.amqp_uri()) or "ok"}
    if checks["broker"] == "ok":
        client = current_app.extensions["crm_rpc"]
        for service in config.SERVICES:
            try:
                checks[service] = client.call(service, "health")["status"]
            except Exception as exc:  # any failure means not ready; say which
                checks[service] = getattr(exc, "detail", None) or type(exc).__name__
    ready = all(state == "ok" for state in checks.values())
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return response
