"""Accounts and contacts through the gateway, with the customers service running against the
real broker, on SQLite and PostgreSQL."""

import time

import pytest

from infra import config

CONTACTS = "/api/v1/contacts"
ACCOUNTS = "/api/v1/accounts"


def contact_count(api) -> int:
    return len(api.get(CONTACTS, query_string={"limit": 200}).json["items"])


def test_create_read_update_delete_a_contact(api):
    account = api.post(ACCOUNTS, role="sales", json={"name": "Acme", "industry": "Retail"}).json
    created = api.post(
        CONTACTS,
        role="sales",
        json={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0000",
            "title": "Analyst",
            "account_id": account["id"],
        },
    )
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"'
    contact_url = created.headers["Location"]
    assert contact_url.endswith(f"{CONTACTS}/{created.json['id']}")

    read = api.get(contact_url, role="viewer")
    assert read.status_code == 200 and read.json["account_id"] == account["id"]
    assert read.headers["ETag"] == '"1"'

    updated = api.patch(
        contact_url,
        role="sales",
        headers={"If-Match": read.headers["ETag"]},
        json={"title": "Chief Analyst"},
    )
    assert updated.status_code == 200
    assert updated.json["title"] == "Chief Analyst" and updated.headers["ETag"] == '"2"'

    assert api.delete(contact_url, role="sales").status_code == 204
    gone = api.get(contact_url)
    assert gone.status_code == 404 and gone.mimetype == "application/problem+json"


def test_list_search_filter_and_sort(api):
    acme = api.post(ACCOUNTS, json={"name": "Acme Trading"}).json
    for body in (
        {"first_name": "伟", "last_name": "张", "email": "zhang.wei@example.cn"},
        {"first_name": "Ada", "last_name": "Lovelace", "account_id": acme["id"]},
        {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example"},
    ):
        assert api.post(CONTACTS, json=body).status_code == 201

    def last_names(**query):
        response = api.get(CONTACTS, role="viewer", query_string=query)
        assert response.status_code == 200, response.json
        return [c["last_name"] for c in response.json["items"]]

    assert last_names(q="张") == ["张"]
    assert last_names(q="grace@") == ["Hopper"]
    assert last_names(q="ACME") == ["Lovelace"]
    assert last_names(account_id=acme["id"]) == ["Lovelace"]
    assert last_names(sort="last_name") == ["Hopper", "Lovelace", "张"]
    assert last_names(sort="-last_name", limit=2) == ["张", "Lovelace"]
    page = api.get(CONTACTS, query_string={"sort": "last_name", "limit": 2}).json
    rest = api.get(
        CONTACTS, query_string={"sort": "last_name", "limit": 2, "cursor": page["next_cursor"]}
    ).json
    assert [c["last_name"] for c in rest["items"]] == ["张"] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"first_name": "Ada", "email": "not-an-email"}, {"email"}),
        ({"email": "nobody@example.com"}, {"first_name", "last_name"}),
        ({"last_name": "Li", "favourite_colour": "red"}, {"favourite_colour"}),
        ({"last_name": "Li", "account_id": "6c5ad0d4-3f3c-4c53-9f0e-000000000000"}, {"account_id"}),
    ],
)
def test_invalid_contacts_are_422_naming_each_field_and_write_nothing(api, body, fields):
    response = api.post(CONTACTS, json=body)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == fields
    assert contact_count(api) == 0


def test_an_account_without_a_name_is_422(api):
    response = api.post(ACCOUNTS, json={"industry": "Retail"})

    assert response.status_code == 422 and list(response.json["errors"]) == ["name"]
    assert api.get(ACCOUNTS).json["items"] == []


def test_a_stale_if_match_is_412_and_writes_nothing(api):
    created = api.post(CONTACTS, json={"first_name": "Ada", "last_name": "Byron"})
    url, stale = created.headers["Location"], created.headers["ETag"]
    assert (
        api.patch(url, headers={"If-Match": stale}, json={"title": "Countess"}).status_code == 200
    )

    response = api.patch(url, headers={"If-Match": stale}, json={"last_name": "Lovelace"})

    assert response.status_code == 412 and response.mimetype == "application/problem+json"
    assert set(response.json) == {"type", "title", "status", "detail"}
    current = api.get(url)
    assert current.json["last_name"] == "Byron" and current.headers["ETag"] == '"2"'
    assert api.delete(url, headers={"If-Match": stale}).status_code == 412
    assert api.get(url).status_code == 200


def test_an_invalid_patch_is_422_and_writes_nothing(api):
    url = api.post(CONTACTS, json={"first_name": "Ada"}).headers["Location"]

    response = api.patch(url, json={"email": "nope", "first_name": None})

    assert response.status_code == 422 and "email" in response.json["errors"]
    assert api.get(url).json == {**api.get(url).json, "first_name": "Ada", "version": 1}


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "1000"}, {"sort": "password"}, {"created_after": "last tuesday"}],
)
def test_bad_list_queries_are_422(api, query):
    response = api.get(CONTACTS, query_string=query)

    assert response.status_code == 422
    assert set(response.json["errors"]) == set(query)


def test_an_unknown_id_is_404(api):
    missing = api.get(f"{CONTACTS}/not-a-uuid")
    assert missing.status_code == 404
    assert set(missing.json) == {"type", "title", "status", "detail"}
    assert (
        api.patch(
            f"{ACCOUNTS}/6c5ad0d4-3f3c-4c53-9f0e-000000000000", json={"name": "X"}
        ).status_code
        == 404
    )


def test_an_idempotency_key_makes_a_retried_create_create_nothing_twice(api):
    headers = {"Idempotency-Key": "import-row-17"}
    first = api.post(CONTACTS, headers=headers, json={"last_name": "Once"})
    again = api.post(CONTACTS, headers=headers, json={"last_name": "Once"})

    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert contact_count(api) == 1

    reused = api.post(CONTACTS, headers=headers, json={"last_name": "Different"})
    assert reused.status_code == 422 and contact_count(api) == 1


def test_a_failed_create_releases_its_idempotency_key(api):
    headers = {"Idempotency-Key": "k-1"}
    assert api.post(CONTACTS, headers=headers, json={"email": "bad"}).status_code == 422

    assert contact_count(api) == 0

    fixed = api.post(CONTACTS, headers=headers, json={"last_name": "Fixed"})
    assert fixed.status_code == 201
    assert (
        api.post(CONTACTS, headers=headers, json={"last_name": "Fixed"}).json["id"]
        == fixed.json["id"]
    )
    assert contact_count(api) == 1


def test_the_openapi_document_describes_the_api(api):
    spec = api.client.get("/api/v1/openapi.json").json

    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/contacts",
        "/api/v1/contacts/{record_id}",
        "/api/v1/accounts",
        "/api/v1/auth/token",
        "/api/v1/users",
    ):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert {"ContactCreate", "ContactRead", "AccountCreate", "Token"} <= set(schemas)
    assert "email" in schemas["ContactCreate"]["properties"]
    post = spec["paths"]["/api/v1/contacts"]["post"]
    assert "Roles:" in post["description"] and post["security"]


def test_health_readiness_and_metrics(api):
    assert api.client.get("/healthz").json == {"status": "ok"}
    ready = api.client.get("/readyz")
    every_service = {name: "ok" for name in config.SERVICES}
    assert ready.status_code == 200 and ready.json["checks"] == {"broker": "ok", **every_service}
    api.get(CONTACTS)

    metrics = api.client.get("/metrics").get_data(as_text=True)
    assert (
        'crm_http_request_duration_seconds_count{method="GET",route="/api/v1/contacts",status="200"}'
        in metrics
    )


def test_a_body_that_is_not_json_is_415_and_writes_nothing(api):
    response = api.post(CONTACTS, data="first_name=Ada", content_type="text/plain")

    assert response.status_code == 415 and "application/json" in response.json["detail"]
    assert contact_count(api) == 0


def test_chinese_text_comes_back_readable_in_schema_order(api):
    response = api.post(CONTACTS, json={"first_name": "伟", "last_name": "张"})

    assert "张" in response.get_data(as_text=True)
    assert list(response.json)[:3] == ["id", "first_name", "last_name"]


def test_a_wrong_method_is_405_with_the_allowed_ones(api):
    response = api.delete(CONTACTS)

    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_no_traceback_ever_reaches_a_client(api):
    response = api.client.post(
        "/api/v1/auth/token", data="{not json", content_type="application/json"
    )

    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.get_data(as_text=True)
    missing = api.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


@pytest.mark.parametrize("rpc_timeout", [2.0])
def test_a_stopped_service_is_503_within_the_timeout_not_a_hang(api, customers, rpc_timeout):
    customers.kill()

    started = time.monotonic()
    response = api.get(CONTACTS)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"] == "The customers service did not answer in time."
    # It waited the gateway's RPC timeout, not for ever; the margin is for a loaded machine: a
    # hang would last until pytest's own timeout.
    assert rpc_timeout <= elapsed < rpc_timeout + 30
    assert api.client.get("/readyz").status_code == 503


def test_an_overlong_idempotency_key_is_422_and_writes_nothing(api):
    response = api.post(CONTACTS, headers={"Idempotency-Key": "k" * 256}, json={"last_name": "X"})

    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]
    assert contact_count(api) == 0


def test_an_if_match_naming_no_version_is_412_and_writes_nothing(api):
    url = api.post(CONTACTS, json={"last_name": "Byron"}).headers["Location"]

    response = api.patch(url, headers={"If-Match": '"not-a-version"'}, json={"last_name": "X"})

    assert response.status_code == 412
    assert api.get(url).json["last_name"] == "Byron"
