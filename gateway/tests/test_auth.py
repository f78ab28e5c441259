import time

import jwt
import pytest

from gateway.testing import ADMIN


def test_login_returns_a_bearer_token(api):
    response = api.login(ADMIN["email"], ADMIN["password"])

    assert response.status_code == 200
    assert response.json["token_type"] == "bearer"
    assert response.json["expires_in"] > 0
    assert (
        api.client.get(
            "/api/v1/contacts", headers={"Authorization": f"Bearer {response.json['access_token']}"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (ADMIN["email"], "wrong password"),
        ("nobody@example.com", ADMIN["password"]),
    ],
)
def test_wrong_credentials_are_401(api, email, password):
    response = api.login(email, password)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == "Unauthorized"


def test_a_login_without_a_password_is_422(api):
    response = api.client.post("/api/v1/auth/token", json={"email": ADMIN["email"]})

    assert response.status_code == 422
    assert list(response.json["errors"]) == ["password"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic abc"},
        {"X-API-Key": "crm_nope_nope"},
    ],
)
def test_no_valid_credentials_is_401(api, headers):
    response = api.client.get("/api/v1/contacts", headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_token_stops_working_when_it_expires_though_it_worked_before(api):
    token = api.login(ADMIN["email"], ADMIN["password"]).json["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    secret = api.client.application.config["SECRET_KEY"]
    short = jwt.encode({**claims, "exp": int(time.time()) + 1}, secret, algorithm="HS256")
    headers = {"Authorization": f"Bearer {short}"}

    assert api.client.get("/api/v1/contacts", headers=headers).status_code == 200
    time.sleep(1.1)
    expired = api.client.get("/api/v1/contacts", headers=headers)

    assert expired.status_code == 401 and "expired" in expired.json["detail"]


def test_an_unauthenticated_write_is_401_even_with_a_bad_body(api):
    assert api.client.post("/api/v1/contacts", json={"email": "bad"}).status_code == 401


def test_a_viewer_reads_but_cannot_write(api):
    assert api.get("/api/v1/contacts", role="viewer").status_code == 200

    response = api.post("/api/v1/contacts", role="viewer", json={"first_name": "Ada"})

    assert response.status_code == 403
    assert "viewer" not in response.json["detail"] and "sales" in response.json["detail"]
    assert api.get("/api/v1/contacts").json["items"] == []


def test_only_admins_manage_users(api):
    response = api.post(
        "/api/v1/users",
        role="manager",
        json={"email": "x@example.com", "password": "long-enough-1", "role": "admin"},
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.com", "password": "long-enough-1", "role": "king"}, "role"),
        ({"email": "not-an-email", "password": "long-enough-1", "role": "sales"}, "email"),
        ({"email": "x@example.com", "password": "short", "role": "sales"}, "password"),
    ],
)
def test_bad_users_are_422_and_not_created(api, body, field):
    response = api.post("/api/v1/users", json=body)

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert [u["email"] for u in api.get("/api/v1/users").json] == [ADMIN["email"]]


def test_a_duplicate_user_email_is_409(api):
    body = {"email": "Rep@Example.com", "password": "long-enough-1", "role": "sales"}
    assert api.post("/api/v1/users", json=body).status_code == 201

    assert api.post("/api/v1/users", json={**body, "email": "rep@example.com"}).status_code == 409


def test_a_deactivated_user_can_neither_log_in_nor_use_an_earlier_token(api):
    body = {"email": "leaver@example.com", "password": "long-enough-1", "role": "sales"}
    user = api.post("/api/v1/users", json=body).json
    token = api.login(body["email"], body["password"]).json["access_token"]
    their = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/contacts", headers=their).status_code == 200

    assert api.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}).status_code == 200

    assert api.login(body["email"], body["password"]).status_code == 401
    assert api.client.get("/api/v1/contacts", headers=their).status_code == 401


def test_a_role_change_applies_to_existing_tokens(api):
    body = {"email": "rep@example.com", "password": "long-enough-1", "role": "sales"}
    user = api.post("/api/v1/users", json=body).json
    their = {
        "Authorization": f"Bearer {api.login(body['email'], body['password']).json['access_token']}"
    }
    assert api.client.post("/api/v1/accounts", headers=their, json={"name": "A"}).status_code == 201

    api.patch(f"/api/v1/users/{user['id']}", json={"role": "viewer"})

    assert api.client.post("/api/v1/accounts", headers=their, json={"name": "B"}).status_code == 403


def test_api_keys_authenticate_until_revoked(api):
    created = api.post("/api/v1/api-keys", json={"name": "ERP sync", "role": "sales"})
    assert created.status_code == 201
    key = {"X-API-Key": created.json["key"]}

    made = api.client.post("/api/v1/contacts", headers=key, json={"last_name": "Keyed"})
    assert made.status_code == 201
    assert "key" not in api.get("/api/v1/api-keys").json[0]

    assert api.delete(f"/api/v1/api-keys/{created.json['id']}").status_code == 204
    assert api.client.get("/api/v1/contacts", headers=key).status_code == 401


def test_an_api_key_acts_with_its_role(api):
    key = api.post("/api/v1/api-keys", json={"name": "BI", "role": "viewer"}).json["key"]

    response = api.client.post(
        "/api/v1/contacts", headers={"X-API-Key": key}, json={"last_name": "X"}
    )

    assert response.status_code == 403


def test_a_short_secret_key_is_refused_at_start():
    from gateway.app import create_app

    with pytest.raises(ValueError, match="CRM_SECRET_KEY"):
        create_app(SECRET_KEY="short")


def test_an_admin_cannot_remove_their_own_admin_role_or_access(api):
    me = next(u for u in api.get("/api/v1/users").json if u["email"] == ADMIN["email"])

    for change in ({"role": "viewer"}, {"is_active": False}):
        response = api.patch(f"/api/v1/users/{me['id']}", json=change)
        assert response.status_code == 422, change

    assert api.get(f"/api/v1/users/{me['id']}").json["role"] == "admin"
    assert api.get("/api/v1/users").status_code == 200
