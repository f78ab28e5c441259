"""Every route of the API against every role: a role the route does not name is a 403 before
anything runs, a role it names gets past the check, nobody gets in without credentials, and
every route names its roles (none is open by oversight)."""

import uuid

import pytest

from infra.resource import ROLES

API = "/api/v1"
PUBLIC = {"/api/v1/auth/token", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/"}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def guarded_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, path with ids filled in, roles) of every route under /api/v1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", str(uuid.uuid4()))
        for method in sorted(set(METHODS) & rule.methods):
            handler = getattr(getattr(view, "view_class", None), method.lower(), view)
            routes.append((method, path, getattr(handler, "roles", None)))
    return routes


def test_every_route_names_its_roles(gateway_app):
    routes = guarded_routes(gateway_app)
    assert len(routes) > 60
    assert [(method, path) for method, path, roles in routes if not roles] == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_each_role_reaches_exactly_the_routes_that_name_it(api, gateway_app):
    refused = []
    for method, path, roles in guarded_routes(gateway_app):
        with gateway_app.test_client().open(path, method=method) as anonymous:
            assert anonymous.status_code == 401, path
        for role in ROLES:
            # closed at once: a streamed answer (an export) keeps its context open until then
            with api.open(path, method=method, role=role, json={}) as answer:
                if (answer.status_code == 403) == (role in roles):
                    refused.append((method, path, role, answer.status_code))
    assert refused == []
