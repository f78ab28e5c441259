"""CSV files as spreadsheets write them: encodings, delimiters, headers, and the line each row
starts on."""

import io

import pytest

from infra import csv_files


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("\ufeffname\n".encode(), "name\n"),  # the byte order mark Excel writes
        ("姓名\n".encode(), "姓名\n"),
        ("姓名\n".encode("gbk"), "姓名\n"),
    ],
)
def test_utf8_with_or_without_bom_else_gb18030(content, text):
    assert csv_files.decode(content) == text


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a;b;c\n1;2;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n", "|"),
        ("name\nLi\n", ","),  # one column: read as comma-separated
    ],
)
def test_the_delimiter_is_sniffed(text, delimiter):
    assert csv_files.sniff(text) == delimiter


def test_column_keys_ignore_case_spaces_and_hyphens():
    assert {csv_files.column_key(name) for name in (" First  Name ", "first-name")} == {
        "first_name"
    }


def test_records_skip_blank_rows_and_keep_the_line_each_starts_on():
    lines = io.StringIO('a,b\n\n1,"two\nlines"\n,\n2,3\n', newline="")

    assert list(csv_files.records(lines, ",")) == [
        (1, ["a", "b"]),
        (3, ["1", "two\nlines"]),
        (6, ["2", "3"]),
    ]


def test_a_table_keys_cells_by_column_and_counts_extra_ones():
    table = csv_files.read(b"Name,E-mail\nLi,li@example.cn\nWu,,z,w\n", max_rows=10)

    assert table.columns == ["name", "e_mail"]
    assert table.rows == [
        csv_files.Row(line=2, values={"name": "Li", "e_mail": "li@example.cn"}),
        csv_files.Row(line=3, values={"name": "Wu"}, extra=2),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"a,A\n1,2\n", "names a more than once"),
        (b"a\x00\n", "binary data"),
        (b"a\n1\n2\n", "more than 1 rows"),
        (b"\xff\xfe\x81", "neither UTF-8 nor GB18030"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(content, message):
    with pytest.raises(csv_files.Unreadable, match=message):
        csv_files.read(content, max_rows=1)
