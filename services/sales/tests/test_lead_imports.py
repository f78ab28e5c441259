"""CSV import of leads through the service's entrypoint, on SQLite and PostgreSQL: encodings,
delimiters, headers, rejected rows with their lines, assignment and scoring, dry runs, limits."""

import base64

import pytest

from infra.errors import ValidationFailed
from services.sales.lead_imports import MAX_ROWS
from services.sales.models import Lead
from services.sales.tests.test_assignment import ANNA, BERT, team
from services.sales.tests.test_leads import count, events


def encoded(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode()


def run(service, text: str, encoding: str = "utf-8", **options) -> dict:
    return service.import_leads(encoded(text, encoding), options)


def test_valid_rows_become_leads_assigned_and_scored_like_api_ones(service, session):
    dach = team(service, members=(ANNA, BERT))
    service.create_assignment_rule({"name": "All", "team_id": dach["id"]})
    service.create_scoring_rule(
        {"name": "CTO", "field": "title", "operator": "equals", "value": "CTO", "points": 25}
    )
    text = (
        "First Name,Last Name,Company,Email,Title,Country,Source,Shoe size\r\n"
        "Ada,Lovelace,Engines,ada@example.com,CTO,gb,expo,38\r\n"
        "Grace,Hopper,Navy,grace@example.com,Admiral,US,expo,\r\n"
    )

    result = run(service, text)

    assert result == {
        "created": 2,
        "rejected": [],
        "ignored_columns": ["shoe_size"],
        "dry_run": False,
    }
    imported = {lead["last_name"]: lead for lead in service.list_leads({})["items"]}
    assert imported["Lovelace"]["score"] == 25 and imported["Lovelace"]["country"] == "GB"
    assert (imported["Lovelace"]["owner_id"], imported["Hopper"]["owner_id"]) == (ANNA, BERT)
    lead_events = [e for e in events(session) if e["type"].startswith("lead_")]
    assert [e["type"] for e in lead_events] == ["lead_created", "lead_assigned"] * 2
    assert [e["data"]["last_name"] for e in lead_events[::2]] == ["Lovelace", "Hopper"]


def test_rejected_rows_name_their_line_and_reason_and_the_rest_is_created(service, session):
    text = (
        "first_name;last_name;email;status\n"
        "Ada;Lovelace;ada@example.com;new\n"
        "\n"
        "Bad;Mail;not-an-email;new\n"
        '"Multi\nline";Name;;contacted\n'
        ";;nobody@example.com;new\n"
        "Conv;Erted;;converted\n"
        "Too;Many;;new;extra\n"
    )

    result = run(service, text)

    assert result["created"] == 2
    assert [(r["line"], r["reason"].split(":")[0]) for r in result["rejected"]] == [
        (4, "email"),
        (7, "first_name"),
        (8, "status"),
        (9, "1 more values than the header has columns."),
    ]
    assert "Not a valid email address." in result["rejected"][0]["reason"]
    assert count(session, Lead) == 2


def test_gbk_and_utf8_with_a_byte_order_mark_read_alike(service):
    text = "姓,last_name,first_name,company\r\n张,张,伟,华为技术\r\n"

    run(service, text, "gbk")
    run(service, "\ufeff" + text)

    leads = service.list_leads({})["items"]
    assert [(lead["last_name"], lead["company"]) for lead in leads] == [("张", "华为技术")] * 2


def test_a_dry_run_checks_every_row_and_writes_nothing(service, session):
    text = "last_name,email\nLi,li@example.com\nWu,wrong\n"

    result = run(service, text, dry_run=True)

    assert result["created"] == 1 and result["dry_run"] is True
    assert [r["line"] for r in result["rejected"]] == [3]
    assert count(session, Lead) == 0 and events(session) == []


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (encoded("last_name\n" + "Li\n" * (MAX_ROWS + 1)), "file"),
        (encoded(""), "file"),
        (encoded("company,email\nAcme,a@example.com\n"), "file"),
        (encoded("last_name,last-name\nLi,Wu\n"), "file"),
        (base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").decode(), "file"),
        (base64.b64encode(b"last_name\n\xff\xfe\xfa\n").decode(), "file"),
        ("not base64!", "file"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_whole(service, session, content, field):
    with pytest.raises(ValidationFailed) as refused:
        service.import_leads(content, {})

    assert list(refused.value.errors) == [field]
    assert count(session, Lead) == 0 and events(session) == []


def test_the_row_limit_is_said_in_the_refusal(service):
    with pytest.raises(ValidationFailed) as refused:
        run(service, "last_name\n" + "Li\n" * (MAX_ROWS + 1))

    assert "5,000" in refused.value.errors["file"][0]
    assert run(service, "last_name\n" + "Li\n" * MAX_ROWS, dry_run=True)["created"] == MAX_ROWS


def test_bad_options_are_refused(service):
    with pytest.raises(ValidationFailed) as refused:
        run(service, "last_name\nLi\n", dry_run="perhaps")

    assert "dry_run" in refused.value.errors
