"""Reading a contacts file: its encoding, its header mapped to contact fields, and each row as
contact data or the reason it is rejected."""

import pytest

from infra.errors import ValidationFailed
from services.customers import csv_rows

CHINESE_HEADER = {"姓": "last_name", "名": "first_name", "邮箱": "email", "公司": "company"}


def layout_of(header: str, mapping: dict | None = None) -> csv_rows.Layout:
    return csv_rows.layout(header + "\n", mapping or {})


def test_headers_that_spell_a_field_fill_it_in_any_case_and_spacing():
    layout = layout_of("First Name;last-name;BIRTHDAY;cf.size;notes")

    assert layout.delimiter == ";" and layout.width == 5
    assert layout.columns == ((0, "first_name"), (1, "last_name"), (2, "birthday"), (3, "cf.size"))


def test_a_mapping_names_other_headers_fields():
    layout = layout_of("姓,名,邮箱,公司", CHINESE_HEADER)

    assert [field for _, field in layout.columns] == ["last_name", "first_name", "email", "company"]


@pytest.mark.parametrize(
    ("header", "mapping", "field", "message"),
    [
        ("email,phone", {}, "file", "No column is first_name or last_name"),
        ("last_name,email", {"mail": "email"}, "mapping", "No column 'mail'"),
        ("last_name,Last Name", {}, "file", "both fill last_name"),
        ("last_name,姓", {"姓": "last_name"}, "mapping", "both fill last_name"),
        ("last_name\x00,email", {}, "file", "binary data"),
    ],
)
def test_a_header_that_cannot_be_imported_is_refused_naming_why(header, mapping, field, message):
    with pytest.raises(ValidationFailed) as refused:
        layout_of(header, mapping)

    assert list(refused.value.errors) == [field] and message in refused.value.errors[field][0]


def test_a_good_row_loads_as_contact_data_with_its_company_apart():
    layout = layout_of("姓,名,邮箱,公司,tags", CHINESE_HEADER)

    values = ["张", " 伟 ", "Zhang.Wei@Example.cn ", "Acme", "vip\uff1bexpo"]

    row = csv_rows.read_row(2, values, layout)

    assert row.reason is None and row.company == "Acme"
    assert row.data == {
        "last_name": "张",
        "first_name": "伟",
        "email": "Zhang.Wei@Example.cn",
        "tags": ["vip", "expo"],
    }
    assert row.email_key == "zhang.wei@example.cn"


def test_custom_field_columns_and_year_first_birthdays_are_read():
    layout = layout_of("last_name,birthday,cf.size")

    row = csv_rows.read_row(2, ["Li", "1990年1月31日", "3"], layout)

    assert row.data["custom_fields"] == {"size": "3"}
    assert row.data["birthday"].isoformat() == "1990-01-31"


@pytest.mark.parametrize(
    ("values", "reason", "named"),
    [
        (["Li", "bad", "yesterday", "XX"], "invalid_email", ["email:", "birthday:", "country:"]),
        (["", "ok@example.com", "", ""], "missing_name", ["first name or a last name"]),
        (["Li", "ok@example.com", "yesterday", "XX"], "bad_birthday", ["birthday:", "country:"]),
        (["Li", "", "", "XX"], "invalid_country", ["country:"]),
        (["Li", "", "", "", "extra"], "too_many_columns", ["5 values under a header of 4"]),
    ],
)
def test_a_rejected_row_gives_the_first_reason_and_names_every_problem(values, reason, named):
    layout = layout_of("last_name,email,birthday,country")

    row = csv_rows.read_row(7, values, layout)

    assert (row.line, row.data, row.reason) == (7, None, reason)
    assert all(part in row.message for part in named), row.message
    assert row.rejection() == {"line": 7, "reason": reason, "message": row.message}


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("vip; 2026\uff0cexpo\uff1bvip ,", ["vip", "2026", "expo"]),  # full-width separators too
        (" ; ", []),
    ],
)
def test_tags_split_on_either_separator_once_each(text, tags):
    assert csv_rows.split_tags(text) == tags


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1990/1/31", "1990-01-31"),
        ("1990.1.31", "1990-01-31"),
        ("1990年1月31日", "1990-01-31"),
        ("1990-01-31", "1990-01-31"),
        ("31/01/1990", "31/01/1990"),  # left to the schema, which refuses it
    ],
)
def test_year_first_dates_become_iso(text, iso):
    assert csv_rows.iso_date(text) == iso


def test_the_encoding_is_utf8_with_or_without_bom_else_gb18030():
    assert csv_rows.encodings_of("张伟".encode())[0] == "utf-8"
    assert csv_rows.encodings_of("张伟".encode("gbk")) == ["gb18030"]
    assert csv_rows.head_text(b"\xef\xbb\xbflast_name\n", None) == "last_name\n"
    assert csv_rows.head_text("姓\n".encode("gbk"), None) == "姓\n"


@pytest.mark.parametrize(
    ("head", "encoding", "field"),
    [
        (b"  \n", None, "file"),
        (b"\x81\x00\xff\xfe", None, "file"),
        ("姓\n".encode("gbk"), "utf-8", "encoding"),
    ],
)
def test_a_head_that_is_not_text_is_refused(head, encoding, field):
    with pytest.raises(ValidationFailed) as refused:
        csv_rows.head_text(head, encoding)

    assert list(refused.value.errors) == [field]


def test_the_text_stream_decodes_a_character_split_between_chunks():
    encoded = "last_name\r\n张\r\n".encode("gb18030")
    split = encoded.index("张".encode("gb18030")) + 1

    text = csv_rows.text_stream([encoded[:split], b"", encoded[split:]], "gb18030").read()

    assert text == "last_name\r\n张\r\n"
