"""CSV import of leads, read and written in one request for files of at most MAX_ROWS rows.
Each row is validated by the API's own `lead_create` schema, and each new lead is assigned and
scored as one created through the API. Owners are left to the assignment rules: the file's
users cannot be checked here (the gateway has the users)."""

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from contracts.sales import lead_create
from infra import csv_files
from infra.context import Actor
from infra.errors import ValidationFailed
from services.sales import leads

MAX_ROWS = 5_000
COLUMNS = tuple(name for name in lead_create.fields if name != "owner_id")


def run(*, session: Session, content: bytes, dry_run: bool, actor: Actor) -> dict:
    """`{created, rejected: [{line, reason}], ignored_columns, dry_run}`; with `dry_run`,
    what the import would create, nothing written. An unreadable file is a 422 naming `file`."""
    table = readable(content)
    accepted, rejected = [], []
    for row in table.rows:
        data, reason = lead_data(row)
        if reason is None:
            accepted.append(data)
        else:
            rejected.append({"line": row.line, "reason": reason})
    if not dry_run:
        leads.add_all(session, [leads.build(data) for data in accepted], actor)
    return {
        "created": len(accepted),
        "rejected": rejected,
        "ignored_columns": [name for name in table.columns if name not in COLUMNS],
        "dry_run": dry_run,
    }


def readable(content: bytes) -> csv_files.Table:
    try:
        table = csv_files.read(content, MAX_ROWS)
    except csv_files.Unreadable as exc:
        raise refused(str(exc)) from None
    if not {"first_name", "last_name"} & set(table.columns):
        raise refused(
            f"No column is first_name or last_name (the header has: {', '.join(table.columns)}):"
            " every lead needs a name."
        )
    return table


def lead_data(row: csv_files.Row) -> tuple[dict | None, str | None]:
    """The row as loaded `lead_create` data, or why it is rejected."""
    if row.extra:
        return None, f"{row.extra} more values than the header has columns."
    try:
        return lead_create.load({k: v for k, v in row.values.items() if k in COLUMNS}), None
    except ValidationError as exc:
        problems = sorted(exc.messages.items())
        return None, " ".join(f"{field}: {' '.join(messages)}" for field, messages in problems)


def refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, {"file": [message]})
