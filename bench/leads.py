"""Benchmark: the lead work that grows with the number of leads, in process, on a real database.

1. CSV import: a file of --rows leads (the limit is 5,000) checked with `dry_run`, then imported:
   each row validated, assigned (a round-robin team rule) and scored (four attribute rules),
   written with its `lead_created` and `lead_assigned` events, committed.
2. A scoring rule added: every open lead scored again, `lead_scored` for each whose score
   changed, in the rule's one transaction.
3. The daily rescoring: the same leads, each with an engagement of a type whose rule fades.

These run inside a service's RPC or timer, so (1) and (2) must stay well within the gateway's
RPC timeout (`CRM_RPC_TIMEOUT`, 5 s by default). It prints seconds and rows per second. It uses a
temporary SQLite file (or, with --postgres, a temporary PostgreSQL database) and no broker: the
events are written to the outbox, never published.

    .venv/bin/python bench/leads.py [--rows 5000] [--postgres]
"""

import argparse
import base64
import contextlib
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import infra  # noqa: F401  (first: it quiets eventlet's import-time notice)
from infra.context import Actor
from infra.db import session_factory, utcnow
from infra.migrations import upgrade
from infra.testing import postgres_database
from services.sales import assignment, lead_imports, leads, scoring

ADMIN = Actor(user_id=str(uuid.uuid4()), roles=["admin"], via="api")
TITLES = ("CTO", "Chief Executive", "Engineer", "Intern", "Head of IT", "Buyer")
COUNTRIES = ("DE", "AT", "CN", "US", "FR", "GB")
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+")


def csv_file(rows: int) -> bytes:
    lines = ["first_name,last_name,email,company,title,country,company_size,source"]
    for i in range(rows):
        lines.append(
            f"Ada{i},Lovelace{i},ada{i}@example.com,Company {i % 900},"
            f"{random.choice(TITLES)},{random.choice(COUNTRIES)},{random.choice(SIZES)},expo"
        )
    return ("\n".join(lines) + "\n").encode()


@contextlib.contextmanager
def database(postgres: bool) -> Iterator[str]:
    if postgres:
        with postgres_database() as url:
            upgrade("sales", url)
            yield url
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/sales.db"
            upgrade("sales", url)
            yield url


def configure(Session) -> None:
    with Session() as session:
        members = [uuid.uuid4() for _ in range(5)]
        team = assignment.create_team(session=session, data={"name": "All", "member_ids": members})
        assignment.create_rule(session=session, data={"name": "All", "team_id": team.id})
        for name, field, operator, value, points in (
            ("CxO", "title", "contains", "chief", 30),
            ("CTO", "title", "equals", "cto", 30),
            ("Big", "company_size", "equals", "1001-5000", 15),
            ("DACH", "country", "equals", "de", 10),
        ):
            rule = {"name": name, "field": field, "operator": operator, "value": value}
            scoring.create_rule(session=session, data={**rule, "points": points})
        session.commit()


def timed(label: str, rows: int, work) -> float:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"{label:<48} {seconds:7.2f} s  {rows / seconds:8.0f} leads/s")
    return seconds


def run_import(Session, content: bytes, dry_run: bool) -> None:
    with Session() as session:
        result = lead_imports.run(session=session, content=content, dry_run=dry_run, actor=ADMIN)
        session.commit()
    assert not result["rejected"], result["rejected"][:3]


def add_rule(Session) -> None:
    with Session() as session:
        data = {"name": "Expo", "field": "source", "operator": "equals", "value": "expo"}
        scoring.create_rule(session=session, data={**data, "points": 5})
        leads.rescore_open(session, ADMIN)
        session.commit()


def engage_all(Session) -> None:
    with Session() as session:
        rule = {"name": "Clicked", "event_type": "email_clicked", "points": 40}
        scoring.create_rule(session=session, data={**rule, "half_life_days": 7})
        session.commit()
    with Session() as session:
        session.execute(
            leads.Engagement.__table__.insert(),
            [
                {
                    "lead_id": lead_id,
                    "event_type": "email_clicked",
                    "event_id": str(uuid.uuid4()),
                    "occurred_at": utcnow(),
                }
                for lead_id in session.scalars(leads.select(leads.Lead.id))
            ],
        )
        session.commit()


def rescore_daily(Session) -> None:
    with Session() as session:
        after = leads.rescore_fading(session, None)
        while after is not None:
            session.commit()
            after = leads.rescore_fading(session, after)
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=lead_imports.MAX_ROWS)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    random.seed(7)
    content = csv_file(args.rows)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{args.rows} leads, {len(content) / 1024:.0f} KiB CSV "
        f"({len(base64.b64encode(content)) / 1024:.0f} KiB over RPC), {backend}"
    )
    with database(args.postgres) as url:
        Session = session_factory(url)
        configure(Session)
        timed(
            "import, dry run (parse and validate)",
            args.rows,
            lambda: run_import(Session, content, True),
        )
        timed(
            "import (validate, assign, score, write, events)",
            args.rows,
            lambda: run_import(Session, content, False),
        )
        timed(
            "a scoring rule added: every open lead rescored", args.rows, lambda: add_rule(Session)
        )
        engage_all(Session)
        timed(
            "daily rescoring of leads with fading engagements",
            args.rows,
            lambda: rescore_daily(Session),
        )


if __name__ == "__main__":
    main()
