"""Contact imports through the gateway, with the customers service running against the real
broker, on SQLite and PostgreSQL: upload (202 and a job), progress, the outcome, and every
bad input a 422 naming its field with nothing written."""

import io
import json
import time

import pytest
from sqlalchemy import func, select

from infra.db import session_factory
from infra.testing import TEST_DATA
from services.customers.models import Contact, ImportChunk, ImportJob

MANIFEST = json.loads((TEST_DATA / "contacts_manifest.json").read_text())
IMPORT = "/api/v1/contacts/import"
HEADER = b"first_name,last_name,email\n"


def upload(api, content: bytes, role: str = "sales", **form):
    return api.post(
        IMPORT,
        role=role,
        data={"file": (io.BytesIO(content), "contacts.csv"), **form},
        content_type="multipart/form-data",
    )


def finished(api, url: str, role: str = "sales", timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(url, role=role).json
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"the import did not finish in {timeout} s: {job}")


@pytest.fixture
def stored(database_url, backend):
    """`stored(Model)`: how many rows the customers database holds."""
    Session = session_factory(database_url("customers", backend))

    def count(model) -> int:
        with Session() as session:
            return session.scalar(select(func.count()).select_from(model))

    return count


def test_an_upload_is_202_with_a_job_that_ends_as_the_manifest_says(api, stored):
    response = upload(api, (TEST_DATA / "contacts_gbk.csv").read_bytes())

    assert response.status_code == 202
    assert response.headers["Location"].endswith(f"/api/v1/imports/{response.json['id']}")
    assert response.json["status"] == "queued"
    job = finished(api, response.headers["Location"])
    assert job["status"] == "done" and job["encoding"] == "gb18030"
    assert job["total"] == job["processed"] == MANIFEST["rows"]
    assert (job["created"], job["duplicates"]) == (2400, 200)
    rejected = {}
    for row in job["rejected"]:
        rejected[row["reason"]] = rejected.get(row["reason"], 0) + 1
    assert rejected == MANIFEST["rejected"]
    found = api.get("/api/v1/contacts", query_string={"q": "朱飞"}).json["items"]
    assert [(c["last_name"], c["first_name"]) for c in found] == [("朱", "飞")]
    assert stored(ImportChunk) == 0


def test_a_dry_run_reports_and_writes_nothing(api, stored):
    response = upload(
        api,
        (TEST_DATA / "contacts.csv").read_bytes(),
        dry_run="true",
        on_duplicate="merge",
    )

    job = finished(api, response.headers["Location"])
    assert (job["created"], job["duplicates"], job["merged"]) == (2400, 200, 200)
    assert stored(Contact) == 0


def test_a_mapping_names_the_columns(api, stored):
    content = "姓,名,邮箱\n张,伟,zhang@example.cn\n".encode("gbk")
    mapping = json.dumps({"姓": "last_name", "名": "first_name", "邮箱": "email"})

    job = finished(api, upload(api, content, mapping=mapping).headers["Location"])

    assert job["created"] == 1 and job["mapping"] == json.loads(mapping)
    [zhang] = api.get("/api/v1/contacts").json["items"]
    assert (zhang["last_name"], zhang["first_name"], zhang["email"]) == (
        "张",
        "伟",
        "zhang@example.cn",
    )


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(64)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"file": None}, "file"),
        ({"on_duplicate": "replace"}, "on_duplicate"),
        ({"dry_run": "maybe"}, "dry_run"),
        ({"mapping": '{"E-mail": "electronic_mail"}'}, "mapping"),
        ({"mapping": "email=email"}, "mapping"),
        ({"encoding": "no-such-codec"}, "encoding"),
        ({"separator": ";"}, "separator"),
        ({"file": b""}, "file"),
        ({"file": PNG}, "file"),
        ({"file": b"email\nada@example.com\n"}, "file"),
        ({"file": b"Dear Sir or Madam\nplease find attached\n"}, "file"),
        ({"mapping": '{"Surname": "last_name"}'}, "mapping"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(api, stored, form, field):
    fields = {name: value for name, value in form.items() if name != "file"}
    content = form.get("file", HEADER + b"Ada,Lovelace,ada@example.com\n")
    if content is not None:
        fields["file"] = (io.BytesIO(content), "upload.csv")

    response = api.post(IMPORT, data=fields, content_type="multipart/form-data")

    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert list(response.json["errors"]) == [field]
    assert stored(ImportJob) == stored(ImportChunk) == stored(Contact) == 0


def test_a_file_over_the_size_limit_is_413_and_writes_nothing(api, gateway_app, stored):
    gateway_app.config["IMPORT_MAX_BYTES"] = 1000

    response = upload(api, HEADER + b"Ada,Lovelace,ada@example.com\n" * 100)

    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert stored(ImportJob) == 0


def test_writers_import_and_a_job_is_seen_by_its_creator_admins_and_managers(api):
    assert upload(api, HEADER, role="viewer").status_code == 403
    anonymous = api.client.post(
        IMPORT, data={"file": (io.BytesIO(HEADER), "a.csv")}, content_type="multipart/form-data"
    )
    assert anonymous.status_code == 401

    url = upload(api, HEADER + b"Ada,Lovelace,\n", role="marketing").headers["Location"]

    for role in ("marketing", "admin", "manager"):
        assert api.get(url, role=role).status_code == 200, role
    for role in ("sales", "viewer"):
        assert api.get(url, role=role).status_code == 404, role


def test_a_multipart_body_is_still_415_where_json_is_expected(api, stored):
    response = api.post(
        "/api/v1/contacts",
        data={"file": (io.BytesIO(HEADER), "a.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 415 and stored(Contact) == 0


def test_the_openapi_document_describes_the_upload(api):
    spec = api.client.get("/api/v1/openapi.json").json

    post = spec["paths"]["/api/v1/contacts/import"]["post"]
    body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    upload_schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert upload_schema["properties"]["file"]["format"] == "binary"
    assert {"dry_run", "on_duplicate", "encoding", "mapping"} <= set(upload_schema["properties"])
    assert "202" in post["responses"] and "Roles:" in post["description"]
    assert "/api/v1/imports/{job_id}" in spec["paths"]
