"""Import contacts from a CSV file through the CRM's API, with progress bars.

    python -m cli.import_contacts contacts.csv --url http://127.0.0.1:8000 --api-key crm_... \\
        [--dry-run] [--on-duplicate merge] [--encoding gbk] [--mapping '{"姓": "last_name"}']

The file is streamed to the gateway, never read whole into memory. The job is then polled, its
rows processed of its total shown, and its outcome printed: counts, rejections by reason, the
first rejected rows. Exit code: 0 the import is done, 1 it failed, 2 it could not start (the
API's answer is printed).
"""

import argparse
import io
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin

import requests
from tqdm import tqdm

POLL_SECONDS = 0.5
SHOWN_REJECTIONS = 20


class MultipartBody:
    """A multipart/form-data body read from the file as it is sent; its length is known up
    front, so requests streams it with a Content-Length."""

    def __init__(self, fields: dict[str, str], path: Path, progress: tqdm):
        boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={boundary}"
        name = path.name.replace('"', "")
        head = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n{value}\r\n'
            for field, value in fields.items()
        ) + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        )
        tail = f"\r\n--{boundary}--\r\n".encode()
        self.parts = [io.BytesIO(head.encode()), path.open("rb"), io.BytesIO(tail)]
        self.length = len(head.encode()) + path.stat().st_size + len(tail)
        self.progress = progress

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        while self.parts:
            data = self.parts[0].read(size)
            if data:
                self.progress.update(len(data))
                return data
            self.parts.pop(0).close()
        return b""


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cli.import_contacts", description="Import contacts from a CSV file."
    )
    parser.add_argument("file", type=Path, help="the CSV file (UTF-8 or GBK), a header first")
    parser.add_argument("--url", default=os.environ.get("CRM_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--api-key", default=os.environ.get("CRM_API_KEY"), help="or CRM_API_KEY")
    parser.add_argument("--token", default=os.environ.get("CRM_TOKEN"), help="or CRM_TOKEN")
    parser.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    parser.add_argument("--on-duplicate", choices=("skip", "merge"), default="skip")
    parser.add_argument("--encoding", help="the file's encoding (default: detected)")
    parser.add_argument("--mapping", help='JSON: {"CSV header": "contact field"}')
    args = parser.parse_args(argv)
    if not (args.api_key or args.token):
        parser.error("give --api-key (or CRM_API_KEY) or --token (or CRM_TOKEN)")
    if not args.file.is_file():
        parser.error(f"no file {args.file}")
    return args


def options(args: argparse.Namespace) -> dict[str, str]:
    chosen = {"dry_run": str(args.dry_run).lower(), "on_duplicate": args.on_duplicate}
    if args.encoding:
        chosen["encoding"] = args.encoding
    if args.mapping:
        chosen["mapping"] = args.mapping
    return chosen


def upload(session: requests.Session, args: argparse.Namespace) -> requests.Response:
    with tqdm(total=args.file.stat().st_size, unit="B", unit_scale=True, desc="upload") as bar:
        body = MultipartBody(options(args), args.file, bar)
        return session.post(
            f"{args.url}/api/v1/contacts/import",
            data=body,
            headers={"Content-Type": body.content_type},
            timeout=600,
        )


def follow(session: requests.Session, url: str, job: dict) -> dict:
    """Poll the job until it ends, showing rows processed of the total."""
    with tqdm(total=job["total"] or None, unit="rows", desc="import") as bar:
        while job["status"] in ("queued", "running"):
            time.sleep(POLL_SECONDS)
            response = session.get(url, timeout=30)
            response.raise_for_status()
            job = response.json()
            bar.total = job["total"] or None
            bar.update(job["processed"] - bar.n)
    return job


def summary(job: dict) -> str:
    rejected = job["processed"] - job["created"] - job["duplicates"]
    lines = [
        f"{job['status']}{' (dry run: nothing written)' if job['dry_run'] else ''}: "
        f"{job['processed']} of {job['total']} rows, {job['created']} created, "
        f"{job['duplicates']} duplicates ({job['merged']} merged), {rejected} rejected"
    ]
    if job.get("error"):
        lines.append(f"error: {job['error']}")
    for reason, count in Counter(r["reason"] for r in job["rejected"]).most_common():
        lines.append(f"  {reason:<20} {count}")
    for row in job["rejected"][:SHOWN_REJECTIONS]:
        lines.append(f"  line {row['line']}: {row['reason']}: {row['message']}")
    if rejected > SHOWN_REJECTIONS:
        lines.append(f"  ... {rejected - SHOWN_REJECTIONS} more rejected rows in the job")
    return "\n".join(lines)


def problem(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:500]}"
    lines = [f"{response.status_code} {body.get('title', '')}: {body.get('detail', '')}"]
    for field, messages in (body.get("errors") or {}).items():
        lines.append(f"  {field}: {' '.join(map(str, messages))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = arguments(sys.argv[1:] if argv is None else argv)
    session = requests.Session()
    session.headers.update(
        {"X-API-Key": args.api_key} if args.api_key else {"Authorization": f"Bearer {args.token}"}
    )
    try:
        response = upload(session, args)
        if response.status_code != 202:
            print(problem(response), file=sys.stderr)
            return 2
        job = follow(session, urljoin(args.url, response.headers["Location"]), response.json())
    except requests.RequestException as exc:
        print(f"The CRM at {args.url} did not answer: {exc}", file=sys.stderr)
        return 2
    print(summary(job))
    return 0 if job["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
