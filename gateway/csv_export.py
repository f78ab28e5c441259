"""CSV downloads of a list: every page of the list RPC, streamed as it arrives, with a column
per custom field, in UTF-8 with a byte-order mark so spreadsheet programs read Chinese right."""

import csv
import io
from collections.abc import Callable, Iterator

from flask import Response, stream_with_context

PAGE = 200
FORMULA_STARTS = ("=", "@", "\t", "\r")


def cell(value) -> str:
    """A value as a spreadsheet cell; text that a spreadsheet would run as a formula is
    quoted with a leading apostrophe (signed numbers and phone numbers stay as they are)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(item) for item in value)
    text = str(value)
    signed = text[:1] in "+-" and not text[1:2].isdigit() and text[1:2] not in " ("
    return "'" + text if text.startswith(FORMULA_STARTS) or signed else text


def line(values: list) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([cell(value) for value in values])
    return out.getvalue()


def download(
    filename: str,
    columns: list[tuple[str, Callable[[dict], object]]],
    fetch: Callable[[dict], dict],
    params: dict,
) -> Response:
    """`fetch(params)` is one page of the list. The first page is fetched before answering, so
    a bad filter is a 422, not a broken download."""
    params = {**params, "limit": PAGE}
    params.pop("cursor", None)
    first = fetch(params)

    def rows() -> Iterator[str]:
        yield "\ufeff" + line([name for name, _ in columns])
        page = first
        while True:
            for item in page["items"]:
                yield line([value(item) for _, value in columns])
            if not page["next_cursor"]:
                return
            page = fetch({**params, "cursor": page["next_cursor"]})

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
