"""Contact imports from CSV files: the sample files in tests/data give exactly their manifest's
counts, a dry run writes nothing, duplicates are skipped or merged, rejected rows name their
line, a file that cannot be imported is refused and leaves nothing, and a job resumes where it
stopped."""

import base64
import json
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select, update

from infra import locks
from infra.context import Actor
from infra.db import utcnow
from infra.errors import NotFound, ValidationFailed
from infra.outbox import OutboxEvent
from infra.testing import TEST_DATA
from services.customers import imports
from services.customers.models import Account, Contact, ImportChunk, ImportJob
from services.customers.service import CustomersService
from services.customers.tests.conftest import SALES_REP

MANIFEST = json.loads((TEST_DATA / "contacts_manifest.json").read_text())
HEADER = "first_name,last_name,email,phone,company,title,city,country,birthday,tags\n"


@pytest.fixture
def service(session):
    return worker_factory(CustomersService, db=session, caller=SALES_REP, stopping=lambda: False)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def event_types(session) -> Counter:
    return Counter(session.scalars(select(OutboxEvent.type)))


def upload(service, content: bytes, chunk_size: int = 256 * 1024, **options) -> dict:
    job = service.create_import(options)
    for seq, start in enumerate(range(0, len(content), chunk_size)):
        piece = base64.b64encode(content[start : start + chunk_size]).decode()
        service.append_import_chunk(job["id"], seq, piece)
    return service.queue_import(job["id"])


def run(service, content: bytes, **options) -> dict:
    """Upload, queue and run an import to its end; the job as the API shows it."""
    job = upload(service, content, **options)
    service.run_imports()
    return service.get_import(job["id"])


def reasons(job: dict) -> Counter:
    return Counter(rejected["reason"] for rejected in job["rejected"])


@pytest.mark.parametrize(
    ("name", "encoding"), [("contacts.csv", "utf-8"), ("contacts_gbk.csv", "gb18030")]
)
def test_the_sample_files_import_exactly_as_their_manifest_says(service, session, name, encoding):
    job = run(service, (TEST_DATA / name).read_bytes())

    assert job["status"] == "done" and job["encoding"] == encoding
    assert job["total"] == job["processed"] == MANIFEST["rows"]
    assert job["created"] == MANIFEST["unique_valid_contacts"]
    assert job["duplicates"] == MANIFEST["duplicates_of_earlier_rows"]
    assert reasons(job) == MANIFEST["rejected"]
    assert count(session, Contact) == MANIFEST["unique_valid_contacts"]
    assert event_types(session)["contact_created"] == MANIFEST["unique_valid_contacts"]
    first = session.scalar(select(Contact).where(Contact.email == "xiulan743808@hotmail.com"))
    assert (first.last_name, first.first_name, first.account.name) == (
        "朱",
        "飞",
        "黄石金承传媒有限公司",
    )
    assert first.tags == ["newsletter", "渠道"] and first.birthday.isoformat() == "1972-04-30"
    assert count(session, ImportChunk) == 0


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(service, session):
    job = run(service, (TEST_DATA / "contacts_gbk.csv").read_bytes(), dry_run="true")

    assert job["status"] == "done" and job["dry_run"] is True
    assert (job["created"], job["duplicates"]) == (2400, 200)
    assert reasons(job) == MANIFEST["rejected"]
    assert count(session, Contact) == count(session, Account) == 0
    assert event_types(session) == Counter()


def test_rejected_rows_name_their_physical_line_and_reason(service, session):
    content = (
        HEADER
        + 'Ada,Lovelace,ada@example.com,,,"Analyst,\nfirst of her kind",,,,\n'
        + "\n"
        + "Grace,,not-an-email,,,,,,yesterday,\n"
        + ",,,,,,,,1990-01-31,\n"
        + "Alan,Turing,alan@example.com,,,,,,2023-02-30,\n"
        + "Edsger,Dijkstra,edsger@example.com,,,,,XX1,,\n"
        + "Li,Wei,li@example.com,,,,,,,,,\n"
        + f"Long,Name,long@example.com,,{'Ltd ' * 70},,,,,\n"
    ).encode()

    job = run(service, content)

    assert job["total"] == 7 and job["created"] == 1
    assert [(r["line"], r["reason"]) for r in job["rejected"]] == [
        (5, "invalid_email"),
        (6, "missing_name"),
        (7, "bad_birthday"),
        (8, "invalid_country"),
        (9, "too_many_columns"),
        (10, "invalid_company"),
    ]
    several = job["rejected"][0]["message"]
    assert "email: Not a valid email address." in several and "birthday" in several
    assert session.scalar(select(Contact.title)) == "Analyst,\nfirst of her kind"


def test_a_duplicate_of_an_existing_contact_is_skipped(service, session):
    service.create_contact({"first_name": "Ada", "email": "Ada@Example.com"})

    job = run(service, (HEADER + "Ada,Lovelace,  ada@EXAMPLE.com ,,,Countess,,,,\n").encode())

    assert (job["created"], job["duplicates"], job["merged"]) == (0, 1, 0)
    ada = session.scalar(select(Contact))
    assert ada.last_name is None and ada.title is None


def test_merge_fills_in_empty_fields_and_adds_tags(service, session):
    service.create_contact({"first_name": "Ada", "email": "ada@example.com", "tags": ["vip"]})
    content = (
        HEADER
        + "Augusta,Lovelace,ADA@example.com,,,Countess,,GB,,math\n"
        + "Grace,Hopper,grace@example.com,,,,,,,navy\n"
        + "Amazing Grace,,grace@example.com ,,,Rear Admiral,,US,,cobol\n"
    ).encode()

    job = run(service, content, on_duplicate="merge")

    assert (job["created"], job["duplicates"], job["merged"]) == (1, 2, 2)
    ada = session.scalar(select(Contact).where(Contact.email == "ada@example.com"))
    assert (ada.first_name, ada.last_name, ada.title, ada.country) == (
        "Ada",
        "Lovelace",
        "Countess",
        "GB",
    )
    assert ada.tags == ["math", "vip"]
    grace = session.scalar(select(Contact).where(Contact.email == "grace@example.com"))
    assert (grace.first_name, grace.title, grace.tags) == (
        "Grace",
        "Rear Admiral",
        ["cobol", "navy"],
    )
    assert event_types(session) == Counter({"contact_created": 2, "contact_updated": 2})


def test_a_company_is_found_by_name_or_made(service, session):
    acme = service.create_account({"name": "Acme Trading"})
    content = (
        HEADER
        + "Ada,Lovelace,ada@example.com,,ACME trading,,,,,\n"
        + "Grace,Hopper,grace@example.com,,Navy,,,,,\n"
        + "Alan,Turing,alan@example.com,,navy,,,,,\n"
    ).encode()

    run(service, content)

    companies = dict(session.execute(select(Contact.first_name, Account.name).join(Account)).all())
    assert companies == {"Ada": "Acme Trading", "Grace": "Navy", "Alan": "Navy"}
    assert count(session, Account) == 2
    assert (
        str(session.scalar(select(Contact.account_id).where(Contact.first_name == "Ada")))
        == acme["id"]
    )


def test_a_mapping_names_the_columns_of_a_chinese_spreadsheet(service, session):
    content = "\ufeff姓;名;邮箱;生日;标签\n张;伟;zhang.wei@example.cn;1990/1/31;重点\uff0c渠道\n"
    mapping = {
        "姓": "last_name",
        "名": "first_name",
        "邮箱": "email",
        "生日": "birthday",
        "标签": "tags",
    }

    job = run(service, content.encode(), mapping=json.dumps(mapping))

    assert job["created"] == 1 and job["encoding"] == "utf-8"
    zhang = session.scalar(select(Contact))
    assert (zhang.last_name, zhang.first_name, zhang.email) == ("张", "伟", "zhang.wei@example.cn")
    assert zhang.birthday.isoformat() == "1990-01-31" and zhang.tags == ["渠道", "重点"]


def test_an_ascii_head_with_gbk_further_on_is_read_as_gb18030(service, session):
    filler = "".join(f"Name{i},Latin,n{i}@example.com,,,,,,,\n" for i in range(3000))
    content = HEADER.encode() + filler.encode() + "伟,张,zhang@example.cn,,,,,,,\n".encode("gbk")

    job = run(service, content)

    assert job["status"] == "done" and job["encoding"] == "gb18030"
    assert session.scalar(select(Contact.last_name).where(Contact.first_name == "伟")) == "张"


def test_a_given_encoding_is_used_as_given(service, session):
    content = (HEADER + "伟,张,zhang@example.cn,,,,,,,\n").encode("gbk")

    job = run(service, content, encoding="GBK")

    assert job["encoding"] == "GBK" and job["created"] == 1
    assert session.scalar(select(Contact.last_name)) == "张"


def test_a_file_that_goes_bad_after_its_head_fails_and_writes_nothing(service, session):
    filler = "".join(f"Name{i},Latin,n{i}@example.com,,,,,,,\n" for i in range(3000))
    content = HEADER.encode() + filler.encode() + b"\xff\xfe,broken,,,,,,,,\n"

    job = run(service, content)

    assert job["status"] == "failed" and "encoding" in job["error"]
    assert job["processed"] == 0 and count(session, Contact) == 0
    assert count(session, ImportChunk) == 0


def test_a_value_too_long_for_csv_fails_the_job_before_anything_is_written(service, session):
    content = (HEADER + "Ada,Lovelace,ada@example.com,,,,,,,\n" + "x" * 200_000 + ",Li\n").encode()

    job = run(service, content)

    assert job["status"] == "failed" and job["error"].startswith("Line 3 is not CSV")
    assert count(session, Contact) == 0


def test_a_header_without_rows_is_an_import_of_nothing(service, session):
    job = run(service, HEADER.encode())

    assert (job["status"], job["total"], job["processed"], job["created"]) == ("done", 0, 0, 0)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(64)


@pytest.mark.parametrize(
    ("content", "options", "field"),
    [
        (b"", {}, "file"),
        (b"  \r\n\r\n", {}, "file"),
        (PNG, {}, "file"),
        (b"\x00\x01\x02binary\x00", {}, "file"),
        (b"Hello,\nthis is a letter, not a table.\n", {}, "file"),
        (b"email,phone\nada@example.com,123\n", {}, "file"),
        (b"email,email\nada@example.com,a@b.c\n", {"mapping": '{"email": "last_name"}'}, "mapping"),
        (b"name,email\nAda,ada@example.com\n", {"mapping": '{"Nom": "last_name"}'}, "mapping"),
        ("姓名\n张伟\n".encode(), {"encoding": "ascii"}, "encoding"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_and_leaves_nothing(
    service, session, content, options, field
):
    with pytest.raises(ValidationFailed) as refused:
        upload(service, content, **options)

    assert list(refused.value.errors) == [field]
    assert count(session, ImportJob) == count(session, ImportChunk) == 0


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"on_duplicate": "overwrite"}, "on_duplicate"),
        ({"dry_run": "perhaps"}, "dry_run"),
        ({"mapping": '{"Shoe size": "shoe_size"}'}, "mapping"),
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": "[1, 2]"}, "mapping"),
        ({"encoding": "klingon-8"}, "encoding"),
        ({"encoding": "rot13"}, "encoding"),
        ({"delimiter": ";"}, "delimiter"),
    ],
)
def test_bad_options_are_refused_and_leave_nothing(service, session, options, field):
    with pytest.raises(ValidationFailed) as refused:
        service.create_import(options)

    assert list(refused.value.errors) == [field]
    assert count(session, ImportJob) == 0


def test_an_import_stopped_midway_resumes_after_its_last_batch(service, session):
    job = upload(service, (TEST_DATA / "contacts.csv").read_bytes())
    stored = session.get(ImportJob, uuid.UUID(job["id"]))
    batches = iter([False, False, True])

    imports.run(session, stored, stopping=lambda: next(batches), batch_size=500)

    halfway = service.get_import(job["id"])
    assert halfway["status"] == "running" and halfway["processed"] == 1000
    assert count(session, Contact) == halfway["created"]
    with locks.held(session.get_bind().engine, f"import-{job['id']}"):
        service.run_imports()  # another process holds the job: this one leaves it alone
    assert service.get_import(job["id"])["processed"] == 1000

    service.run_imports()

    done = service.get_import(job["id"])
    assert done["status"] == "done" and done["processed"] == 2730
    assert (done["created"], done["duplicates"], reasons(done)) == (2400, 200, MANIFEST["rejected"])
    assert count(session, Contact) == 2400


def test_a_job_is_seen_by_its_creator_admins_and_managers_only(session):
    def as_(actor):
        return worker_factory(CustomersService, db=session, caller=actor)

    job = upload(as_(SALES_REP), (HEADER + "Ada,Lovelace,,,,,,,,\n").encode())
    other_rep = Actor(user_id="7d3b3c1e-0000-4000-8000-000000000002", roles=["sales"], via="api")

    assert as_(SALES_REP).get_import(job["id"])["status"] == "queued"
    for boss in ("admin", "manager"):
        assert as_(Actor(user_id=None, roles=[boss])).get_import(job["id"])["id"] == job["id"]
    with pytest.raises(NotFound):
        as_(other_rep).get_import(job["id"])
    with pytest.raises(NotFound):
        as_(SALES_REP).get_import("not-an-id")


def test_only_its_creator_uploads_into_a_job(session):
    job = worker_factory(CustomersService, db=session, caller=SALES_REP).create_import({})
    admin = worker_factory(
        CustomersService, db=session, caller=Actor(user_id="admin-1", roles=["admin"])
    )

    with pytest.raises(NotFound):
        admin.append_import_chunk(job["id"], 0, base64.b64encode(HEADER.encode()).decode())
    assert count(session, ImportChunk) == 0


def test_an_upload_never_queued_is_discarded_after_an_hour(service, session):
    job = service.create_import({})
    service.append_import_chunk(job["id"], 0, base64.b64encode(HEADER.encode()).decode())
    session.execute(update(ImportJob).values(created_at=utcnow() - timedelta(hours=2)))

    service.run_imports()

    assert count(session, ImportJob) == count(session, ImportChunk) == 0


def test_custom_field_columns_import_by_their_definitions(service, session):
    service.create_custom_field({"entity": "contact", "name": "shoe_size", "type": "number"})
    service.create_custom_field(
        {"entity": "contact", "name": "interests", "type": "multiselect", "options": ["a", "b"]}
    )
    content = (
        b"first_name,last_name,cf.shoe_size,cf.interests\n"
        b"Ada,Lovelace,42,a;b\n"
        b"Grace,Hopper,big,a\n"
        b"Alan,Turing,,c\n"
    )

    job = run(service, content)

    assert job["created"] == 1 and reasons(job) == Counter(invalid_custom_fields=2)
    assert [r["line"] for r in job["rejected"]] == [3, 4]
    assert "cf.shoe_size" in job["rejected"][0]["message"]
    [ada] = service.list_contacts({})["items"]
    assert ada["custom_fields"] == {"shoe_size": 42, "interests": ["a", "b"]}


def test_an_unknown_custom_field_column_rejects_its_rows(service, session):
    job = run(service, b"last_name,cf.colour\nLi,red\nWang,\n")

    assert job["created"] == 1 and reasons(job) == Counter(invalid_custom_fields=1)
    assert "cf.colour" in job["rejected"][0]["message"]
