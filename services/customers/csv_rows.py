"""Reading a contacts CSV file the way spreadsheet programs write it, from its chunks, never
the whole file at once: the encoding (UTF-8 with or without a byte order mark; else GB18030,
the superset of the GBK that spreadsheets set to Chinese save), the delimiter, the header mapped
to contact fields, and each row as contact data or as the reason it is rejected.

A row is validated by the API's own `contact_create` schema, so the import accepts what the
API accepts. When a row has several problems, its reason is the first of `invalid_email`,
`missing_name`, `bad_birthday`, then `invalid_<field>` in alphabetical order: the email comes
first because it is what duplicates are found by; the message lists every problem. A rejected
row is never a duplicate, nor does it make a later row with its email one: rows are checked
before duplicates are looked for (the 60 invalid emails of tests/data/contacts.csv are 4 values,
repeated, which would otherwise count as 56 duplicates instead of rejections).
"""

import codecs
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from marshmallow import ValidationError

from contracts.customers import IMPORT_FIELDS, account_create, contact_create
from infra.csv_files import Unreadable as Unreadable
from infra.csv_files import column_key, records, sniff
from infra.errors import ValidationFailed
from services.customers.matching import normalize_email

HEAD_BYTES = 64 * 1024  # what the delimiter and header are read from
DETECTED = ("utf-8", "gb18030")
NAME_FIELDS = ("first_name", "last_name")
FIRST_REASONS = ("invalid_email", "missing_name", "bad_birthday")
REASONS = {"email": "invalid_email", "birthday": "bad_birthday"}
# Between tags: ; or , (also the full-width forms a Chinese keyboard types).
CUSTOM_PREFIX = "cf."
TAG_SEPARATORS = re.compile("[;,\uff1b\uff0c]")
# Year first, as spreadsheets set to Chinese write dates: 1990/1/31, 1990.1.31, 1990年1月31日.
YEAR_FIRST = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


@dataclass(frozen=True)
class Layout:
    """How this file's rows read: the delimiter, and which column fills which field."""

    delimiter: str
    width: int
    columns: tuple[tuple[int, str], ...]  # (position in the row, field)


@dataclass(frozen=True)
class Row:
    """One row under the header: contact data to import, or the reason it was rejected."""

    line: int
    data: dict | None = None  # loaded `contact_create` data
    company: str | None = None
    reason: str | None = None
    message: str | None = None

    @property
    def email_key(self) -> str | None:
        """What duplicates are found by: the email, trimmed and lower-cased."""
        email = self.data and self.data.get("email")
        return normalize_email(email) if email else None

    def rejection(self) -> dict:
        return {"line": self.line, "reason": self.reason, "message": self.message}


def codec(encoding: str) -> str:
    """UTF-8 is read as utf-8-sig: the byte order mark Excel writes is not part of the header."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def encodings_of(head: bytes) -> list[str]:
    """The encodings, in the order they are tried, that decode the file's first bytes."""
    fitting = []
    for encoding in DETECTED:
        try:
            codecs.getincrementaldecoder(codec(encoding))().decode(head)
            fitting.append(encoding)
        except UnicodeDecodeError:
            pass
    return fitting


def head_text(head: bytes, encoding: str | None) -> str:
    """The file's first bytes as text, in `encoding` or the first that fits; 422 otherwise."""
    if not head.strip():
        raise refused("file", "The file is empty.")
    if encoding is None:
        fitting = encodings_of(head)
        if not fitting:
            raise refused(
                "file", "This is not a CSV text file: it is neither UTF-8 nor GB18030 text."
            )
        encoding = fitting[0]
    try:
        return codecs.getincrementaldecoder(codec(encoding))().decode(head)
    except UnicodeDecodeError as exc:
        raise refused("encoding", f"The file is not {encoding} text: {exc.reason}.") from None


def layout(text: str, mapping: dict) -> Layout:
    """How the file's rows read, from its first lines (`text`); 422 naming `file` or `mapping`
    when the file cannot be imported."""
    if "\x00" in text:
        raise refused("file", "This is not a CSV text file: it holds binary data.")
    delimiter = sniff(text)
    try:
        header = next(records(io.StringIO(text), delimiter), (1, []))[1]
    except Unreadable as exc:
        raise refused("file", str(exc)) from None
    if not header:
        raise refused("file", "The file is empty.")
    columns = mapped(header, mapping)
    if not any(field in NAME_FIELDS for _, field in columns):
        raise refused(
            "file",
            f"No column is first_name or last_name (the header has: {', '.join(header)}). Every "
            'contact needs a name: name a column so, or map one, e.g. {"姓名": "last_name"}.',
        )
    return Layout(delimiter=delimiter, width=len(header), columns=columns)


def mapped(header: list[str], mapping: dict) -> tuple[tuple[int, str], ...]:
    """Which column fills which field: the mapping's choice, else the header's own name."""
    chosen = {column_key(column): field for column, field in mapping.items()}
    keys = [column_key(column) for column in header]
    missing = [column for column in mapping if column_key(column) not in keys]
    if missing:
        raise refused(
            "mapping",
            f"No column {', '.join(map(repr, missing))} in the header "
            f"(it has: {', '.join(header)}).",
        )
    columns, taken = [], {}
    for position, key in enumerate(keys):
        field = chosen.get(key, key if key in IMPORT_FIELDS or is_custom(key) else None)
        if field is None:
            continue
        if field in taken:
            raise refused(
                "mapping" if mapping else "file",
                f"Columns {header[taken[field]]!r} and {header[position]!r} both fill {field}.",
            )
        taken[field] = position
        columns.append((position, field))
    return tuple(columns)


def text_stream(chunks: Iterable[bytes], encoding: str) -> io.TextIOBase:
    """The file as text, decoded as it is read; lines keep their endings, as csv wants."""
    raw = io.BufferedReader(ChunkStream(chunks))
    return io.TextIOWrapper(raw, encoding=codec(encoding), newline="")


class ChunkStream(io.RawIOBase):
    """The file as a byte stream over its chunks, each fetched when the reader gets to it."""

    def __init__(self, chunks: Iterable[bytes]):
        self.chunks = iter(chunks)
        self.current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.current:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.current = memoryview(chunk)
        size = min(len(buffer), len(self.current))
        buffer[:size] = self.current[:size]
        self.current = self.current[size:]
        return size


def is_custom(field: str) -> bool:
    """`cf.<name>`: a custom field's column, as the export names it."""
    return field.startswith(CUSTOM_PREFIX) and len(field) > len(CUSTOM_PREFIX)


def read_row(line: int, values: list[str], layout: Layout) -> Row:
    """The row as `contact_create` data, or the reason it is rejected."""
    if len(values) > layout.width:
        message = f"{len(values)} values under a header of {layout.width} columns."
        return Row(line, reason="too_many_columns", message=message)
    raw = {
        field: values[position].strip()
        for position, field in layout.columns
        if position < len(values) and values[position].strip()
    }
    company = raw.pop("company", None)
    custom = {
        field[len(CUSTOM_PREFIX) :]: raw.pop(field) for field in list(raw) if is_custom(field)
    }
    if custom:
        raw["custom_fields"] = custom  # as text; the importer reads them by their definitions
    if "tags" in raw:
        raw["tags"] = split_tags(raw["tags"])
    if "birthday" in raw:
        raw["birthday"] = iso_date(raw["birthday"])
    errors = {}
    try:
        data = contact_create.load(raw)
    except ValidationError as exc:
        errors.update(exc.messages)
    if company is not None:
        try:
            account_create.fields["name"].deserialize(company)  # the account's name, as the API
        except ValidationError as exc:
            errors["company"] = exc.messages
    if errors:
        reason, message = _reason(errors, raw)
        return Row(line, reason=reason, message=message)
    return Row(line, data=data, company=company)


def split_tags(text: str) -> list[str]:
    return list(dict.fromkeys(tag.strip() for tag in TAG_SEPARATORS.split(text) if tag.strip()))


def iso_date(text: str) -> str:
    found = YEAR_FIRST.fullmatch(text)
    return f"{found[1]}-{int(found[2]):02d}-{int(found[3]):02d}" if found else text


def _reason(errors: dict, raw: dict) -> tuple[str, str]:
    """The row's reason (the first by precedence) and a message naming every problem."""
    nameless = not any(raw.get(field) for field in NAME_FIELDS)
    problems: dict[str, list[str]] = {}
    for field, messages in errors.items():
        if field in NAME_FIELDS and nameless:
            problems["missing_name"] = ["A contact needs a first name or a last name."]
        else:
            reason = REASONS.get(field, f"invalid_{field}")
            problems.setdefault(reason, []).extend(f"{field}: {m}" for m in _flat(messages))
    ordered = sorted(
        problems, key=lambda r: (FIRST_REASONS.index(r) if r in FIRST_REASONS else 3, r)
    )
    return ordered[0], " ".join(message for reason in ordered for message in problems[reason])


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flat(value)]
    return [str(messages)]


def refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field: [message]})
