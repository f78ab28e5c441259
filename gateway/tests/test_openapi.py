"""The OpenAPI document is a contract clients generate code from: valid OpenAPI 3.1, every
schema in it valid JSON Schema, every error documented as application/problem+json, and the
decimals' patterns saying exactly which strings load."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from marshmallow import Schema, ValidationError, validate
from openapi_spec_validator import OpenAPIV31SpecValidator

from contracts.sales import Number
from gateway.app import create_app
from gateway.testing import service_class
from infra import config
from infra.fields import Money, decimal_string
from infra.migrations import upgrade

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The gateway alone, on a database of its own: enough for its document and for what it
    refuses before any RPC."""
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi')}/gateway.db"
    upgrade("gateway", url)
    app = create_app(DATABASE_URL=url, SECRET_KEY="a-test-secret-of-at-least-32-bytes")
    return app.test_client()


@pytest.fixture(scope="module")
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def schemas_in(node):
    """Every JSON Schema in the document: components' and those inline in operations."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" and isinstance(value, dict):
                yield value
            yield from schemas_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from schemas_in(value)


def test_the_document_is_valid_openapi_3_1(document):
    errors = [
        f"{'/'.join(map(str, error.path))}: {error.message}"
        for error in OpenAPIV31SpecValidator(document).iter_errors()
    ]

    assert errors == []
    assert document["openapi"] == "3.1.0"


def test_every_schema_is_valid_json_schema(document):
    schemas = [*document["components"]["schemas"].values(), *schemas_in(document["paths"])]

    for schema in schemas:
        Draft202012Validator.check_schema(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    assert len(schemas) > 200


def test_a_field_that_takes_null_lists_null_among_its_choices(document):
    schemas = [*document["components"]["schemas"].values(), *schemas_in(document["paths"])]
    properties = [p for s in schemas for p in s.get("properties", {}).values()]

    nullable_choices = [p for p in properties if "enum" in p and "null" in p.get("type", [])]
    assert nullable_choices  # country, for one
    assert all(None in p["enum"] for p in nullable_choices)


def test_every_operation_documents_its_errors_as_problems(document):
    problem = {"$ref": "#/components/schemas/Problem"}
    for name, operation in operations(document):
        responses = operation["responses"]
        assert "default" in responses, name
        for status, response in responses.items():
            if name == "GET /readyz" and status == "503":
                continue  # not an error: the readiness report, saying what does not answer
            if status == "default" or int(status) >= 400:
                reference = response["$ref"].rsplit("/", 1)[1]
                content = document["components"]["responses"][reference]["content"]
                assert content == {"application/problem+json": {"schema": problem}}, name
        if operation.get("security"):
            assert {"401", "403", "503"} <= responses.keys(), name
        if "requestBody" in operation:
            assert {"415", "422"} <= responses.keys(), name


def test_a_method_a_route_does_not_have_is_405_whatever_the_body(client):
    refused = client.put("/api/v1/contacts/import", data="a,b", content_type="text/csv")

    assert refused.status_code == 405 and refused.mimetype == "application/problem+json"
    assert "POST" in refused.headers["Allow"]


def sorted_lists() -> list:
    """Every declared resource that sorts, with the domain module behind its list."""
    return [
        (record_type.resource, record_type.domain)
        for name in config.SERVICES
        for record_type in service_class(name).record_types
        if record_type.resource.sorts
    ]


@pytest.mark.parametrize(
    ("resource", "domain"), sorted_lists(), ids=lambda v: getattr(v, "name", "")
)
def test_a_list_documents_exactly_the_sorts_it_applies(resource, domain):
    assert set(resource.sorts) == set(domain.SORTABLE)


def test_every_sort_parameter_is_documented_with_its_choices(document):
    sorts = [
        parameter
        for _, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "sort"
    ]

    assert len(sorts) >= len(sorted_lists())
    assert [p for p in sorts if "enum" not in p["schema"]] == []


def test_a_record_operation_documents_not_found_and_a_stale_if_match(document):
    responses = document["paths"]["/api/v1/contacts/{record_id}"]["patch"]["responses"]

    assert {"404", "412", "415", "422"} <= responses.keys()


def test_decimal_bounds_are_written_into_the_pattern_not_as_string_minimums(document):
    quantity = document["components"]["schemas"]["LineIn"]["properties"]["quantity"]

    assert quantity["type"] == "string"
    assert "minimum" not in quantity and "maximum" not in quantity
    assert quantity["pattern"] == r"^(1000000000000(\.0{1,4})?|[0-9]{1,12}(\.[0-9]{1,4})?)$"
    assert quantity["not"] == {"pattern": r"^0*(\.0*)?$"}


class Shapes(Schema):
    amount = Money()
    payment = Money(validate=validate.Range(0, min_inclusive=False))
    gap = Money(signed=True)
    percent = Number(places=2, validate=validate.Range(0, 100))
    quantity = Number(places=4, validate=validate.Range(0, min_inclusive=False, max=10**12))


def matching(field: str):
    schema = Shapes().fields[field].metadata
    strings = st.from_regex(schema["pattern"], fullmatch=True)
    if "not" in schema:
        strings = strings.filter(lambda s: not Draft202012Validator(schema["not"]).is_valid(s))
    return strings


@pytest.mark.parametrize("field", ["amount", "payment", "gap", "percent", "quantity"])
def test_every_string_a_decimal_pattern_allows_loads(field):
    @settings(max_examples=200, deadline=None)
    @given(matching(field))
    def loads(text):
        Shapes().load({field: text})

    loads()


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("amount", "-0.01"),
        ("amount", "10000000000000000"),
        ("amount", "1.005"),
        ("payment", "0.00"),
        ("percent", "100.01"),
        ("quantity", "0"),
        ("quantity", "1000000000000.0001"),
    ],
)
def test_a_decimal_outside_its_pattern_is_refused(field, text):
    schema = Shapes().fields[field].metadata

    assert not Draft202012Validator(schema).is_valid(text)
    with pytest.raises(ValidationError):
        Shapes().load({field: text})


def test_huge_numbers_are_refused_without_a_decimal_error():
    with pytest.raises(ValidationError) as refused:
        Shapes().load({"amount": "3.1568089691068916e+229", "percent": "1e+40"})

    assert set(refused.value.messages) == {"amount", "percent"}


def test_a_bound_that_cannot_be_a_pattern_is_refused_when_declared():
    with pytest.raises(ValueError, match="power of ten"):
        decimal_string(2, [validate.Range(0, 50)])
    assert Decimal("1.50") == Shapes().load({"amount": "1.50"})["amount"]
