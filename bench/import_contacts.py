"""Benchmark: importing contacts from CSV files of growing size, on SQLite.

It generates files shaped like the sample in tests/data (`contacts.csv`): a mix of Chinese and Latin
names, companies, phones in many formats, tags, birthdays; about 7% of the rows repeat an
earlier row's email (in another case, or with spaces around it), about 5% are rejected (a bad
email, no name, a birthday like "yesterday"). Each file is imported through the service's own
code path, `services.customers.imports` (upload in chunks, queue, the batches the service's
timer runs), into a fresh SQLite database, in a process of its own per run, so that process's
peak memory is the import's alone.

It prints, per size and run: rows per second, the process's peak resident memory (ru_maxrss),
and how much of it the import added to what the process held before it began. The last column
is the one to compare across sizes: the file is streamed and written in batches of 500, so it
should stay flat whether the file has ten thousand rows or a hundred thousand. Each run's
outcome is checked against what the generator made (created, duplicates, rejected); exit code 1
if one differs.

Events are recorded in the outbox as the service records them, not published (that is the
relay's work, after each batch's commit, and needs a broker).

    make bench      # runs this after bench/rpc_vs_gateway.py
    .venv/bin/python bench/import_contacts.py --sizes 10000 100000 --runs 3 [--tracemalloc]
"""

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATIN_FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Donald",
    "Brianna",
    "William",
    "Heather",
    "Amber",
    "Jennifer",
    "Michael",
    "Sandra",
]
LATIN_LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Chavez",
    "Peterson",
    "Jordan",
    "Landry",
    "Park",
    "Hayden",
    "Hansen",
]
CHINESE_GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
]
CHINESE_FAMILY = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
]
CHINESE_COMPANY = ["华为", "金承", "东方", "峻景", "兰金", "惠派", "天宇", "恒信", "博远", "嘉禾"]
DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "example.cn", "qq.com", "163.com"]
TITLES = ["Analyst", "Sales manager", "钣金工", "系统架构设计师", "Oncologist", "Engineer"]
CITIES = ["Shanghai", "北京", "Lake Kristie", "Edwardsberg", "通辽县", "Berlin"]
TAGS = ["vip", "smb", "enterprise", "newsletter", "referral", "trade-show", "重点", "渠道"]
STAGES = ["lead", "prospect", "customer", "key_account", "churned"]
BAD_EMAILS = ["@b.com", "a@", "not-an-email", "x y@z.com"]
BAD_BIRTHDAYS = ["yesterday", "31/31/1990", "2023-02-30"]
HEADER = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "city",
    "country",
    "birthday",
    "tags",
    "lifecycle_stage",
]
DUPLICATE_SHARE, REJECTED_SHARE = 0.07, 0.05


def contact(rng: random.Random, n: int) -> list[str]:
    chinese = rng.random() < 0.4
    if chinese:
        first, last = rng.choice(CHINESE_GIVEN), rng.choice(CHINESE_FAMILY)
        company = f"{rng.choice(CHINESE_COMPANY)}{rng.choice(CHINESE_COMPANY)}信息有限公司"
        phone, country = f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}", "CN"
    else:
        first, last = rng.choice(LATIN_FIRST), rng.choice(LATIN_LAST)
        company = f"{rng.choice(LATIN_LAST)}-{rng.choice(LATIN_LAST)} Ltd"
        phone = f"({rng.randint(200, 999)}){rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        country = rng.choice(["US", "GB", "DE", "AU", "SG"])
    birthday = f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return [
        first,
        last,
        f"contact{n}@{rng.choice(DOMAINS)}",
        phone,
        company,
        rng.choice(TITLES),
        rng.choice(CITIES),
        country,
        birthday,
        ";".join(rng.sample(TAGS, rng.randint(0, 3))),
        rng.choice(STAGES),
    ]


def spoiled(rng: random.Random, row: list[str]) -> list[str]:
    row = list(row)
    problem = rng.randrange(3)
    if problem == 0:
        row[2] = rng.choice(BAD_EMAILS)
    elif problem == 1:
        row[0] = row[1] = ""
    else:
        row[8] = rng.choice(BAD_BIRTHDAYS)
    return row


def generate(path: Path, rows: int, seed: int = 42) -> dict:
    """Write a file of `rows` rows; returns the outcome an import must report."""
    rng = random.Random(seed)
    expected = {"created": 0, "duplicates": 0, "rejected": 0}
    earlier: list[list[str]] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for n in range(rows):
            draw = rng.random()
            if draw < DUPLICATE_SHARE and earlier:
                row = list(rng.choice(earlier))
                row[2] = rng.choice([row[2].upper(), f"  {row[2]} ", row[2].title()])
                expected["duplicates"] += 1
            elif draw < DUPLICATE_SHARE + REJECTED_SHARE:
                row = spoiled(rng, contact(rng, n))
                expected["rejected"] += 1
            else:
                row = contact(rng, n)
                if len(earlier) < 1000:  # duplicates repeat from a bounded pool
                    earlier.append(row)
                expected["created"] += 1
            writer.writerow(row)
    return expected


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(path: Path, trace: bool) -> dict:
    """One import of `path` into a fresh database, in this process: its figures as a dict."""
    from sqlalchemy import event

    from infra import outbox
    from infra.context import Actor
    from infra.db import session_factory
    from infra.migrations import upgrade
    from services.customers import imports

    url = f"sqlite:///{tempfile.mkdtemp(prefix='crm-bench-import-')}/customers.db"
    upgrade("customers", url)
    Session = session_factory(url)
    # The relay would take each batch's envelopes after its commit and publish them.
    event.listen(
        Session, "after_commit", lambda session: session.info.pop(outbox.PENDING_KEY, None)
    )
    actor = Actor(user_id="7d3b3c1e-0000-4000-8000-000000000001", roles=["sales"], via="api")
    with Session() as session:
        options = {"dry_run": False, "on_duplicate": "skip", "mapping": {}}
        job = imports.create(session=session, options=options, actor=actor)
        with path.open("rb") as file:
            for seq, chunk in enumerate(iter(lambda: file.read(256 * 1024), b"")):
                imports.append_chunk(
                    session=session, job_id=job.id, seq=seq, data=chunk, actor=actor
                )
        imports.queue(session=session, job_id=job.id, actor=actor)
        session.commit()
        before = max_rss_mib()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        imports.run_waiting(session=session, stopping=lambda: False)
        seconds = time.perf_counter() - started
        heap_peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        return {
            "status": job.status,
            "rows": job.processed,
            "created": job.created,
            "duplicates": job.duplicates,
            "rejected": job.processed - job.created - job.duplicates,
            "seconds": seconds,
            "rss_before": before,
            "rss_peak": max_rss_mib(),
            "heap_peak": heap_peak,
        }


def run_child(path: Path, trace: bool) -> dict:
    command = [sys.executable, __file__, "--measure", str(path)] + (
        ["--tracemalloc"] if trace else []
    )
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the import run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def report(size: int, runs: list[dict], traced: dict | None) -> None:
    rates = [run["rows"] / run["seconds"] for run in runs]
    growth = [run["rss_peak"] - run["rss_before"] for run in runs]
    for number, (run, rate, grew) in enumerate(zip(runs, rates, growth, strict=True), start=1):
        print(
            f"{size:>8} rows  run {number}  {rate:8.0f} rows/s  {run['seconds']:7.1f} s  "
            f"peak RSS {run['rss_peak']:6.1f} MiB  added by the import {grew:5.1f} MiB"
        )
    line = (
        f"{size:>8} rows  median   {statistics.median(rates):8.0f} rows/s  "
        f"peak RSS {statistics.median(r['rss_peak'] for r in runs):6.1f} MiB  "
        f"added by the import {statistics.median(growth):5.1f} MiB"
    )
    if traced:
        line += f"  Python heap peak {traced['heap_peak']:.1f} MiB (tracemalloc)"
    print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tracemalloc", action="store_true", help="also one traced run a size")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.tracemalloc)))
        return 0
    correct = True
    with tempfile.TemporaryDirectory(prefix="crm-bench-files-") as folder:
        for size in args.sizes:
            path = Path(folder) / f"contacts_{size}.csv"
            expected = generate(path, size)
            print(f"{size} rows, {path.stat().st_size / 2**20:.1f} MiB: expecting {expected}")
            runs = [run_child(path, trace=False) for _ in range(args.runs)]
            traced = run_child(path, trace=True) if args.tracemalloc else None
            for run in runs:
                got = {key: run[key] for key in expected}
                if run["status"] != "done" or got != expected:
                    print(f"  WRONG outcome: {run['status']} {got}")
                    correct = False
            report(size, runs, traced)
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
