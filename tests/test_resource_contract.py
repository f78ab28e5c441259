"""The contract every declared resource keeps, checked through the gateway for each of them
(`contracts.resources()`): a resource declared tomorrow is checked by these same tests, and
fails `test_every_resource_has_an_example` until it gets an example here.

- ETag from the version; a stale `If-Match` is a 412 on update and delete, and changes nothing.
- Each documented filter filters: the record is listed with a value it matches and not with one
  it does not.
- Each declared sort sorts, both ways.
- Bad input is a 422 naming the field, with nothing written.
"""

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt
import pytest
from marshmallow import fields, validate

import contracts
from infra.resource import PAGING

pytestmark = pytest.mark.usefixtures("suite")
RESOURCES = {resource.name: resource for resource in contracts.resources()}
API = "/api/v1"
counter = itertools.count()


class World:
    """The records an example refers to, made once per test through the API."""

    def __init__(self, api):
        self.api = api
        self.made: dict = {}

    def user_id(self) -> str:
        token = self.api.headers("admin")["Authorization"].split()[1]
        return jwt.decode(token, options={"verify_signature": False})["sub"]

    def one(self, path: str, body: dict) -> str:
        if path not in self.made:
            answer = self.api.post(f"{API}{path}", json=body)
            assert answer.status_code == 201, answer.json
            self.made[path] = answer.json["id"]
        return self.made[path]

    def account(self) -> str:
        return self.one("/accounts", {"name": "Contract Test GmbH"})

    def contact(self) -> str:
        return self.one("/contacts", {"last_name": "Contract", "account_id": self.account()})


def lines(n: int) -> list[dict]:
    return [{"description": f"Item {n}", "quantity": "1", "unit_price": f"{10 + n}.00"}]


# name: (create body, a change) for the n-th record of the test; n varies the sort keys.
EXAMPLES = {
    "account": lambda w, n, t: (
        {
            "name": f"{'ACB'[n]}{t} Corp",
            "industry": "retail",
            "category": "customer",
            "country": "DE",
            "owner_id": w.user_id(),
            "parent_id": w.account(),
            "tags": ["contract"],
        },
        {"industry": "energy"},
    ),
    "contact": lambda w, n, t: (
        {
            "first_name": f"{'ACB'[n]}{t}",
            "last_name": f"{'BCA'[n]}{t}",
            "email": f"{'cab'[n]}{t}@example.com",
            "phone": f"+49 30 1234{n}{len(t)}{n}",
            "country": "DE",
            "lifecycle_stage": "prospect",
            "account_id": w.account(),
            "owner_id": w.user_id(),
            "tags": ["contract"],
        },
        {"title": "Buyer"},
    ),
    "custom_field": lambda w, n, t: (
        {"entity": "contact", "name": f"f{n}_{t}", "type": "text"},
        {"label": "Renamed"},
    ),
    "interaction": lambda w, n, t: (
        {
            "type": "call",
            "direction": "outbound",
            "subject": f"Call {t}",
            "occurred_at": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n)).isoformat(),
            "contact_ids": [w.contact()],
            "user_id": w.user_id(),
        },
        {"body": "Went well."},
    ),
    "lead": lambda w, n, t: (
        {
            "first_name": f"Lead{t}",
            "last_name": "Contract",
            "company": f"Co {t}",
            "source": "web",
            "campaign": "spring",
            "country": "DE",
            "owner_id": w.user_id(),
        },
        {"title": "CTO"},
    ),
    "assignment_rule": lambda w, n, t: (
        {"name": f"Rule {t}", "user_id": w.user_id(), "conditions": {"country": ["DE"]}},
        {"position": 5},
    ),
    "scoring_rule": lambda w, n, t: (
        {"name": f"Rule {t}", "points": 5, "field": "country", "operator": "equals", "value": "DE"},
        {"points": 7},
    ),
    "pipeline": lambda w, n, t: (
        {
            "name": f"{'ACB'[n]} pipeline {t}",
            "stages": [
                {"name": "Open", "probability": 20},
                {"name": "Won", "probability": 100, "outcome": "won"},
                {"name": "Lost", "probability": 0, "outcome": "lost"},
            ],
        },
        {"name": f"Pipeline {t} renamed"},
    ),
    "opportunity": lambda w, n, t: (
        {
            "name": f"Deal {t}",
            "account_id": w.account(),
            "primary_contact_id": w.contact(),
            "amount": f"{(2, 1, 3)[n]}000.00",
            "currency": "EUR",
            "expected_close_date": f"2026-1{n}-15",
            "owner_id": w.user_id(),
        },
        {"name": f"Deal {t} renamed"},
    ),
    "quota": lambda w, n, t: (
        {
            "period": f"2027-Q{(2, 1, 3)[n]}",
            "amount": f"{(3, 1, 2)[n]}0000.00",
            "currency": "EUR",
            "user_id": w.user_id(),
        },
        {"amount": "99.00"},
    ),
    "price_book": lambda w, n, t: ({"name": f"{'ACB'[n]} book {t}"}, {"name": f"Book {t}"}),
    "product": lambda w, n, t: (
        {
            "sku": f"{'ACB'[n]}-{t}",
            "name": f"{'BCA'[n]} product {t}",
            "prices": [{"currency": "EUR", "unit_price": "10.00"}],
        },
        {"name": f"Product {t} renamed"},
    ),
    "quote": lambda w, n, t: (
        {
            "account_id": w.account(),
            "contact_id": w.contact(),
            "currency": "EUR",
            "lines": lines(n),
            "owner_id": w.user_id(),
        },
        {"lines": lines(n + 5)},
    ),
    "order": lambda w, n, t: (
        {
            "account_id": w.account(),
            "contact_id": w.contact(),
            "currency": "EUR",
            "lines": lines(n),
            "external_id": f"ERP-{t}",
            "owner_id": w.user_id(),
        },
        {"contact_id": None},
    ),
    "activity": lambda w, n, t: (
        {
            "type": "task",
            "subject": f"Task {t}",
            "due_at": (datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=(2, 1, 3)[n])).isoformat(),
            "account_id": w.account(),
            "contact_id": w.contact(),
            "assignee_id": w.user_id(),
        },
        {"subject": f"Task {t} renamed"},
    ),
}


def create(api, world, resource, n: int = 0) -> dict:
    token = f"x{next(counter)}"
    body, _ = EXAMPLES[resource.name](world, n, token)
    answer = api.post(f"{API}{resource.path}", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def listed_ids(api, resource, **params) -> list[str]:
    if "limit" in resource.query().fields:
        params.setdefault("limit", 200)
    answer = api.get(f"{API}{resource.path}", query_string=params)
    assert answer.status_code == 200, (params, answer.json)
    return [item["id"] for item in answer.json["items"]]


@pytest.fixture
def world(api):
    return World(api)


@pytest.fixture(params=sorted(RESOURCES), ids=str)
def resource(request):
    return RESOURCES[request.param]


def test_every_resource_has_an_example():
    assert set(RESOURCES) <= set(EXAMPLES)


def test_etag_and_if_match_on_every_write(api, world, resource):
    made = create(api, world, resource)
    path = f"{API}{resource.path}/{made['id']}"
    read = api.get(path)
    assert read.status_code == 200 and read.headers["ETag"] == f'"{made["version"]}"'

    _, change = EXAMPLES[resource.name](world, 0, "changed")
    stale = {"If-Match": f'"{made["version"] + 7}"'}
    assert api.patch(path, json=change, headers=stale).status_code == 412
    assert api.delete(path, headers=stale).status_code == 412
    assert api.get(path).json == read.json  # nothing written

    changed = api.patch(path, json=change, headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    assert changed.headers["ETag"] != read.headers["ETag"]
    assert api.delete(path, headers={"If-Match": read.headers["ETag"]}).status_code == 412
    assert api.delete(path, headers={"If-Match": changed.headers["ETag"]}).status_code == 204
    assert api.get(path).status_code in (404, 410)


def test_each_sort_sorts_both_ways(api, world, resource):
    if not resource.sorts:
        pytest.skip(f"{resource.path} is one short page in a fixed order: nothing to sort")
    ours = [create(api, world, resource, n) for n in range(3)]
    by_id = {record["id"]: record for record in ours}
    for name in resource.sorts:
        expected = sorted(ours, key=lambda record, name=name: sort_key(record[name]))
        for descending in (False, True):
            ids = listed_ids(api, resource, sort=f"-{name}" if descending else name)
            found = [record_id for record_id in ids if record_id in by_id]
            wanted = [record["id"] for record in (expected[::-1] if descending else expected)]
            keys = [sort_key(by_id[record_id][name]) for record_id in found]
            assert keys == [sort_key(by_id[record_id][name]) for record_id in wanted], name


def sort_key(value):
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value.casefold()
    return value


def test_each_filter_filters(api, world, resource):
    made = create(api, world, resource)
    for name in resource.filters:
        hits, misses = filter_values(resource, name, made)
        for value in hits:
            assert made["id"] in listed_ids(api, resource, **{name: value}), (name, value)
        for value in misses:
            assert made["id"] not in listed_ids(api, resource, **{name: value}), (name, value)


# Filters whose values are not the record's own field of that name.
SPECIAL_FILTERS = {
    "q": lambda made: ([searchable(made)], ["zz-no-such-text"]),
    "tag": lambda made: (["contract"], ["no-such-tag"]),
    "custom": lambda made: ([], []),  # sent as cf.<name>: tests/test_custom_fields cover it
    "mine": lambda made: (["true"], ["false"]),
    "contact_id": lambda made: (
        made.get("contact_ids") or [made["contact_id"]],
        [str(uuid.uuid4())],
    ),
    "open": lambda made: (["true"], ["false"]),
    "overdue": lambda made: (["true"], ["false"]),  # its due date is in the past
    "current": lambda made: (["true"], ["false"]),
    "score_min": lambda made: ([str(made["score"])], [str(made["score"] + 1)]),
    "amount_min": lambda made: ([made["amount"]], [str(Decimal(made["amount"]) + 1)]),
    "amount_max": lambda made: ([made["amount"]], [str(Decimal(made["amount"]) - 1)]),
    "email": lambda made: ([made["email"].upper()], ["nobody@example.com"]),
    "phone": lambda made: ([made["phone"]], ["+49 30 0000000"]),
    "birthday_within": lambda made: ([], ["30"]),  # it has no birthday
    "price_book_id": lambda made: ([made["prices"][0]["price_book_id"]], [str(uuid.uuid4())]),
    "currency": lambda made: (["EUR"], ["JPY"]),
    "country": lambda made: ([made["country"]], ["FR"]),
    "period": lambda made: ([made["period"]], ["2031-Q1"]),
    "entity": lambda made: ([made["entity"]], ["account"]),
}
# `<field>_after` / `_before` and the like, on a timestamp or date of the record.
RANGES = {
    "created_after": ("created_at", "after"),
    "created_before": ("created_at", "before"),
    "updated_after": ("updated_at", "after"),
    "updated_before": ("updated_at", "before"),
    "occurred_after": ("occurred_at", "after"),
    "occurred_before": ("occurred_at", "before"),
    "due_after": ("due_at", "after"),
    "due_before": ("due_at", "before"),
    "close_after": ("expected_close_date", "after"),
    "close_before": ("expected_close_date", "before"),
}


def searchable(made: dict) -> str:
    for field in ("name", "last_name", "subject", "sku", "number", "company"):
        if made.get(field):
            return made[field][:6]
    raise AssertionError(f"nothing to search for in {made}")


def filter_values(resource, name: str, made: dict) -> tuple[list, list]:
    """Values of filter `name` that the record `made` matches, and values it does not."""
    if name in SPECIAL_FILTERS:
        return SPECIAL_FILTERS[name](made)
    if name in RANGES:
        return range_values(made[RANGES[name][0]], RANGES[name][1])
    field = resource.query().fields[name]
    value = made[name]
    if value is None:  # a link the example leaves empty: the filter must leave it out
        return [], [other_value(field, value)]
    return [str(value)], [other_value(field, value)]


def range_values(value: str, side: str) -> tuple[list, list]:
    moment = datetime.fromisoformat(value)
    earlier, later = (
        (moment - timedelta(days=1)).isoformat(),
        (moment + timedelta(days=1)).isoformat(),
    )
    if len(value) == 10:  # a date
        earlier, later = earlier[:10], later[:10]
    return ([earlier], [later]) if side == "after" else ([later], [earlier])


def other_value(field: fields.Field, value) -> str:
    """A value of the filter's type that `value` is not."""
    choices = next((v.choices for v in field.validators if isinstance(v, validate.OneOf)), None)
    if choices:
        return next(choice for choice in choices if choice != value)
    if isinstance(field, fields.UUID):
        return str(uuid.uuid4())
    if isinstance(field, fields.Boolean):
        return str(not value).lower()
    return f"{value}-other"


def test_bad_input_is_a_422_naming_the_field_with_nothing_written(api, world, resource):
    body, _ = EXAMPLES[resource.name](world, 0, "bad")
    before = listed_ids(api, resource)
    for name, field in resource.create().fields.items():
        if field.dump_only or name in PAGING:
            continue
        answer = api.post(f"{API}{resource.path}", json={**body, name: wrong_value(field)})
        assert answer.status_code == 422, (name, answer.json)
        assert answer.content_type == "application/problem+json"
        assert name in answer.json["errors"], (name, answer.json)
    assert listed_ids(api, resource) == before


def wrong_value(field: fields.Field):
    """A value of a type the field never takes."""
    if isinstance(field, fields.String | fields.UUID | fields.Decimal | fields.Date):
        return {"not": "a scalar"}
    if isinstance(field, fields.List | fields.Nested):
        return "not a list or an object"
    return "not a number, a flag or a date"
