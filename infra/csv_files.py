"""Reading a CSV file as spreadsheet programs write it: UTF-8 with or without the byte order
mark Excel puts first, else GB18030 (the superset of the GBK that a spreadsheet set to Chinese
saves); separated by commas, semicolons, tabs or pipes; a header row naming the columns.

`read` takes an upload of a bounded size whole; `records` streams the lines of a file of any
size. Each row keeps the line it starts on in the file (a quoted value may span lines), so a
rejection can point at it.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = ",;\t|"
SAMPLE_LINES = 20


class Unreadable(ValueError):
    """The file is not CSV text this module reads, or has too many rows; the message says why."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]  # column key -> the cell, stripped; empty cells left out
    extra: int = 0  # cells beyond the header's columns


@dataclass(frozen=True)
class Table:
    columns: list[str]  # the header's column keys, in order
    rows: list[Row]


def read(content: bytes, max_rows: int) -> Table:
    """The file's header and rows that are not blank; `Unreadable` past `max_rows` rows."""
    text = decode(content)
    rows_of_text = records(io.StringIO(text, newline=""), sniff(text))
    header = next(rows_of_text, None)
    if header is None:
        raise Unreadable("The file is empty.")
    columns = [column_key(name) for name in header[1]]
    repeated = sorted({key for key in columns if key and columns.count(key) > 1})
    if repeated:
        raise Unreadable(f"The header names {', '.join(repeated)} more than once.")
    rows = []
    for line, cells in rows_of_text:
        if len(rows) == max_rows:
            raise Unreadable(f"The file has more than {max_rows:,} rows: send at most that many.")
        rows.append(_row(line, cells, columns))
    return Table(columns=columns, rows=rows)


def decode(content: bytes) -> str:
    if b"\x00" in content:
        raise Unreadable("This is not a CSV text file: it holds binary data.")
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable("This is not a CSV text file: it is neither UTF-8 nor GB18030 (GBK) text.")


def sniff(text: str) -> str:
    """The delimiter: what csv.Sniffer finds in the first lines, else the candidate the
    header uses most (a one-column file has none, and reads as comma-separated)."""
    lines = text.splitlines(keepends=True)
    sample = "".join(lines[: min(SAMPLE_LINES, max(1, len(lines) - 1))])  # the last may be cut
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        return max(DELIMITERS, key=first.count)


def column_key(name: str) -> str:
    """`First Name`, `first-name` and `first_name` are the same column."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def records(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record that is not blank, header first: (the line it starts on, its cells).
    Lines count as in the file, a quoted value spanning lines included; blank lines and rows
    of empty cells (spreadsheets write them) are skipped."""
    reader = csv.reader(_text_lines(lines), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise Unreadable(f"Line {start} is not CSV: {exc}.") from None
    except UnicodeDecodeError as exc:
        raise Unreadable(
            f"From around line {reader.line_num + 1}, the file is not text in its encoding "
            f"({exc.reason}): give the right `encoding`."
        ) from None


def _text_lines(lines: Iterable[str]) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise Unreadable(f"Line {number} holds binary data: this is not a CSV text file.")
        yield line


def _row(line: int, cells: list[str], columns: list[str]) -> Row:
    values = {
        key: cell.strip() for key, cell in zip(columns, cells, strict=False) if key and cell.strip()
    }
    return Row(line=line, values=values, extra=max(0, len(cells) - len(columns)))
