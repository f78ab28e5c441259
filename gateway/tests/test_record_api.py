"""The complete customer record through the gateway: custom fields, tags, duplicates, merges,
consents, privacy and CSV export, on SQLite and PostgreSQL."""

import csv
import io
import time

from gateway import csv_export
from services.customers import tag_jobs

CONTACTS = "/api/v1/contacts"
ACCOUNTS = "/api/v1/accounts"
FIELDS = "/api/v1/custom-fields"


def names(response) -> set[str]:
    return {item["last_name"] for item in response.json["items"]}


def contact(api, **data) -> dict:
    response = api.post(CONTACTS, role="sales", json=data)
    assert response.status_code == 201, response.json
    return response.json


def test_a_duplicate_email_is_409_with_the_existing_contact_unless_asked(api):
    existing = contact(api, first_name="Ada", last_name="Lovelace", email="ada@example.com")

    refused = api.post(CONTACTS, role="sales", json={"last_name": "L", "email": " ADA@example.com"})

    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    assert refused.json["existing"] == existing  # with its nulls, booleans and numbers intact
    assert refused.json["errors"]["email"]
    assert len(api.get(CONTACTS).json["items"]) == 1

    forced = api.post(
        f"{CONTACTS}?allow_duplicate=true",
        role="sales",
        json={"last_name": "L", "email": "ada@example.com"},
    )
    assert forced.status_code == 201
    assert (
        api.post(f"{CONTACTS}?allow_duplicate=perhaps", json={"last_name": "M"}).status_code == 422
    )


def test_custom_fields_are_defined_by_admins_and_validated_filtered_and_exported(api):
    definition = {
        "entity": "contact",
        "name": "region",
        "type": "select",
        "options": ["north", "south"],
    }
    assert api.post(FIELDS, role="sales", json=definition).status_code == 403
    created = api.post(FIELDS, json=definition)
    assert created.status_code == 201 and created.json["options"] == ["north", "south"]

    contact(api, last_name="North", custom_fields={"region": "north"})
    contact(api, last_name="South", custom_fields={"region": "south"})
    bad = api.post(
        CONTACTS, role="sales", json={"last_name": "X", "custom_fields": {"region": "east"}}
    )
    assert bad.status_code == 422 and "region" in bad.json["errors"]["custom_fields"]
    unknown = api.post(
        CONTACTS, role="sales", json={"last_name": "X", "custom_fields": {"size": 1}}
    )
    assert unknown.status_code == 422 and "size" in unknown.json["errors"]["custom_fields"]

    assert names(api.get(CONTACTS, query_string={"cf.region": "north"})) == {"North"}
    bad_filter = api.get(CONTACTS, query_string={"cf.colour": "red"})
    assert bad_filter.status_code == 422 and "cf.colour" in bad_filter.json["errors"]
    assert len(api.get(CONTACTS).json["items"]) == 2

    listed = api.get(FIELDS, query_string={"entity": "contact"}, role="viewer")
    assert [f["name"] for f in listed.json["items"]] == ["region"]
    assert api.post(FIELDS, json={**definition, "type": "colour"}).status_code == 422


def test_tags_filter_by_all_given_and_bulk_tag_a_filtered_set(api):
    contact(api, last_name="A", tags=["vip", "expo"])
    contact(api, last_name="B", tags=["expo"])
    contact(api, last_name="C")

    assert names(api.get(f"{CONTACTS}?tag=expo&tag=vip")) == {"A"}

    tagged = api.post(
        f"{CONTACTS}/tags",
        role="marketing",
        json={"operation": "add", "tags": ["2026"], "filter": {"tag": "expo"}},
    )
    assert tagged.status_code == 200 and tagged.json == {"matched": 2, "changed": 2}
    assert names(api.get(f"{CONTACTS}?tag=2026")) == {"A", "B"}

    unknown = api.post(
        f"{CONTACTS}/tags", json={"operation": "rename", "tags": ["x"], "filter": {}}
    )
    assert unknown.status_code == 422 and "operation" in unknown.json["errors"]
    assert api.post(f"{CONTACTS}/tags", role="viewer", json={}).status_code == 403
    assert names(api.get(f"{CONTACTS}?tag=x")) == set()


def test_tagging_every_account_answers_202_with_a_job_to_poll(api, monkeypatch):
    monkeypatch.setattr(tag_jobs, "AT_ONCE", 2)  # the services run in this process
    for name in ("Acme", "Globex", "Initech"):
        assert api.post(ACCOUNTS, json={"name": name}).status_code == 201

    queued = api.post(
        f"{ACCOUNTS}/tags",
        role="marketing",
        json={"operation": "add", "tags": ["2026"], "filter": {}},
    )

    assert queued.status_code == 202 and queued.json["total"] == 3
    deadline = time.monotonic() + 15
    while (job := api.get(queued.headers["Location"]).json)["status"] != "done":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert (job["processed"], job["changed"], job["error"]) == (3, 3, None)
    assert {a["name"] for a in api.get(f"{ACCOUNTS}?tag=2026").json["items"]} == {
        "Acme",
        "Globex",
        "Initech",
    }


def test_merge_answers_the_survivor_and_the_old_id_redirects(api):
    acme = api.post(ACCOUNTS, json={"name": "Acme"}).json["id"]
    survivor = contact(
        api, first_name="Ada", last_name="Lovelace", email="ada@example.com", account_id=acme
    )
    duplicate = contact(
        api,
        first_name="ada",
        last_name="LOVELACE",
        email="a.l@example.com",
        account_id=acme,
        title="Analyst",
    )

    pairs = api.get(f"{CONTACTS}/duplicates").json["items"]
    assert pairs and set(pairs[0]["contact_ids"]) == {survivor["id"], duplicate["id"]}

    merged = api.post(
        f"{CONTACTS}/{survivor['id']}/merge", role="sales", json={"duplicate_id": duplicate["id"]}
    )
    assert merged.status_code == 200 and merged.json["title"] == "Analyst"
    assert merged.headers["ETag"] == f'"{merged.json["version"]}"'

    moved = api.get(f"{CONTACTS}/{duplicate['id']}")
    assert moved.status_code == 308
    assert moved.headers["Location"].endswith(f"{CONTACTS}/{survivor['id']}")
    assert api.get(moved.headers["Location"]).json["id"] == survivor["id"]

    itself = api.post(f"{CONTACTS}/{survivor['id']}/merge", json={"duplicate_id": survivor["id"]})
    assert itself.status_code == 422 and "duplicate_id" in itself.json["errors"]
    assert api.post(f"{CONTACTS}/{survivor['id']}/merge", json={}).status_code == 422


def test_consents_are_recorded_and_read_as_of_a_date(api):
    person = contact(api, last_name="Li")
    url = f"{CONTACTS}/{person['id']}/consents"

    given = api.post(
        url,
        role="marketing",
        json={
            "channel": "email",
            "status": "opted_in",
            "source": "web_form",
            "recorded_at": "2026-01-10T09:00:00Z",
        },
    )
    assert given.status_code == 201
    api.post(
        url, json={"channel": "email", "status": "opted_out", "recorded_at": "2026-06-01T09:00:00Z"}
    )

    assert (
        api.get(url, query_string={"as_of": "2026-03-01T00:00:00Z"}).json["channels"]["email"][
            "status"
        ]
        == "opted_in"
    )
    assert api.get(url).json["channels"]["email"]["status"] == "opted_out"
    bad = api.post(url, json={"channel": "pigeon", "status": "opted_in"})
    assert bad.status_code == 422 and "channel" in bad.json["errors"]
    assert len(api.get(url).json["history"]) == 2


def test_personal_data_and_erasure_are_for_admins(api):
    person = contact(api, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    url = f"{CONTACTS}/{person['id']}"

    assert api.get(f"{url}/personal-data", role="sales").status_code == 403
    exported = api.get(f"{url}/personal-data")
    assert exported.status_code == 200 and exported.json["contact"]["email"] == "ada@example.com"
    assert "attachment" in exported.headers["Content-Disposition"]

    assert api.post(f"{url}/erase", role="manager").status_code == 403
    assert api.post(f"{url}/erase").status_code == 204
    gone = api.get(url)
    assert gone.status_code == 410 and "erased" in gone.json["detail"]
    assert api.post(f"{url}/erase").status_code == 410


def test_export_streams_the_filtered_list_as_csv_with_custom_fields(api):
    api.post(FIELDS, json={"entity": "contact", "name": "shoe_size", "type": "number"})
    account = api.post(ACCOUNTS, json={"name": "黄石金承传媒有限公司"}).json
    contact(
        api,
        first_name="飞",
        last_name="朱",
        account_id=account["id"],
        tags=["渠道", "vip"],
        custom_fields={"shoe_size": 42},
    )
    contact(api, first_name="Ada", last_name="=HYPERLINK(1)", phone="+44 20 7946 0000")
    contact(api, first_name="Grace", last_name="Hopper", lifecycle_stage="churned")

    response = api.get(f"{CONTACTS}/export", query_string={"lifecycle_stage": "churned"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert [
        row["last_name"]
        for row in csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    ] == ["Hopper"]

    everything = api.get(f"{CONTACTS}/export").get_data(as_text=True)
    assert everything.startswith("\ufeff")
    rows = {
        row["first_name"]: row for row in csv.DictReader(io.StringIO(everything.lstrip("\ufeff")))
    }
    assert rows["飞"]["company"] == "黄石金承传媒有限公司"
    assert rows["飞"]["tags"] == "vip;渠道" and rows["飞"]["cf.shoe_size"] == "42"
    assert (
        rows["Ada"]["last_name"] == "'=HYPERLINK(1)" and rows["Ada"]["phone"] == "+44 20 7946 0000"
    )

    bad = api.get(f"{CONTACTS}/export", query_string={"lifecycle_stage": "friend"})
    assert bad.status_code == 422 and "lifecycle_stage" in bad.json["errors"]
    assert api.get(f"{CONTACTS}/export", role="viewer").status_code == 403


def test_export_walks_every_page(api, monkeypatch):
    monkeypatch.setattr(csv_export, "PAGE", 2)
    for number in range(5):
        contact(api, last_name=f"Person {number}")

    lines = api.get(f"{CONTACTS}/export").get_data(as_text=True).strip().splitlines()

    assert len(lines) == 1 + 5


def test_an_owner_must_be_an_active_user(api):
    body = {"email": "rep@example.com", "password": "rep-password-123", "role": "sales"}
    rep = api.post("/api/v1/users", json=body).json

    owned = api.post(CONTACTS, json={"last_name": "Li", "owner_id": rep["id"]})
    assert owned.status_code == 201 and owned.json["owner_id"] == rep["id"]
    assert (
        api.get(CONTACTS, query_string={"owner_id": rep["id"]}).json["items"][0]["id"]
        == owned.json["id"]
    )

    nobody = api.post(
        ACCOUNTS, json={"name": "Acme", "owner_id": "7d3b3c1e-0000-4000-8000-0000000000ff"}
    )
    assert nobody.status_code == 422 and "owner_id" in nobody.json["errors"]
    api.patch(f"/api/v1/users/{rep['id']}", json={"is_active": False})
    left = api.patch(f"{CONTACTS}/{owned.json['id']}", json={"owner_id": rep["id"], "title": "CEO"})
    assert left.status_code == 422 and "owner_id" in left.json["errors"]
    assert api.get(f"{CONTACTS}/{owned.json['id']}").json["title"] is None
    assert api.get(ACCOUNTS).json["items"] == []
