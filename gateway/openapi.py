"""The OpenAPI document, made right in one place: every error an operation can answer is
documented as application/problem+json with the `Problem` schema, and decimals travel as
strings whose pattern says which ones load."""

from http import HTTPStatus

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api
from marshmallow import fields

from gateway.schemas import Problem

PROBLEM_JSON = "application/problem+json"
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def create_api(app: Flask) -> Api:
    api = Api(
        app,
        spec_kwargs={
            "info": {"description": "The CRM suite's HTTP API."},
            "extra_plugins": [ProblemResponses()],
        },
    )
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    # Every decimal of the API travels as a string (infra.fields.Money, sales' Number), its
    # pattern saying which load. Typed as a number, apispec would write the field's bounds as
    # `"minimum": "0"`, strings where JSON Schema wants numbers; typed as a string, it keeps
    # them as the annotations `x-minimum` and `x-maximum`.
    api.register_field(fields.Decimal, "string", "decimal")
    _document_problems(api)
    return api


def _document_problems(api: Api) -> None:
    """flask-smorest names its error responses (`UNPROCESSABLE_ENTITY`, `DEFAULT_ERROR`) as
    application/json with its own schema; the gateway answers problem+json (gateway.problems).
    Registering them again, lazily, replaces flask-smorest's before any operation uses them."""
    api.spec.components.schema("Problem", schema=Problem)
    content = {PROBLEM_JSON: {"schema": "Problem"}}
    for status in HTTPStatus:
        if status >= HTTPStatus.BAD_REQUEST:
            response = {"description": status.phrase, "content": content}
            api.spec.components.response(status.name, response, lazy=True)
    default = {"description": "Any other error.", "content": content}
    api.spec.components.response(api.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


class ProblemResponses(BasePlugin):
    """Lists on each operation the problems the gateway answers for every route of its kind:
    401 and 403 where a login is needed, 404 where the path names a record, 412 where a
    write may send `If-Match`, 415 and 422 where there is a body, 422 for query parameters,
    503 when a service does not answer. A route's own (409, 413...) it documents itself."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in problems_of(path, method, operation):
                if status not in responses and str(status) not in responses:
                    responses[status] = HTTPStatus(status).name


def problems_of(path: str, method: str, operation: dict) -> list[int]:
    problems = []
    needs_login = bool(operation.get("security"))  # gateway.security.allow documents it
    if needs_login:
        problems += [401, 403, 503]
    if "{" in path:
        problems.append(404)
    if method in ("patch", "delete") and "{" in path:
        problems.append(412)
    if "requestBody" in operation:
        problems += [415, 422]
    if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
        problems.append(422)
    return sorted(set(problems))
