"""Benchmark: opportunity lists and forecasts over 200,000 opportunities on PostgreSQL.

It makes a fresh PostgreSQL database, migrates it, bulk-loads opportunities with COPY (owners,
accounts, stages, close dates, currencies and amounts distributed as in a real sales team, from
a fixed random seed), teams of ten and quotas, then times what the list and forecast RPCs do,
minus the broker: load the parameters with the RPC's schema, call the same domain function
(`opportunities.get_all`, `forecast.forecast`) on a session of its own, dump the answer. Every
call asks something different (another owner, stage, account, month or quarter).

It prints p50, p95 and p99 per case against the target (p95 < 50 ms) and drops the database at
the end, also on Ctrl-C or error. `--explain` also prints the plan PostgreSQL chose for one call
of each case (EXPLAIN ANALYZE of the statements it ran).

    .venv/bin/python bench/opportunities.py                 # 200,000 opportunities
    .venv/bin/python bench/opportunities.py --count 50000 --samples 100 --explain

Needs PostgreSQL on 127.0.0.1:5432 that lets the `postgres` user in without a password (the
test suite's `CRM_TEST_POSTGRES_DSN` says otherwise).
"""

import argparse
import calendar
import csv
import io
import math
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, from anywhere

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from contracts.sales import (
    forecast_query,
    forecast_read,
    opportunity_query,
    opportunity_read,
)
from infra.db import engine_for
from infra.errors import load
from infra.migrations import upgrade
from infra.testing import postgres_database
from services.sales import forecast, opportunities, pipelines
from services.sales.models import Opportunity, Quota, Team

TARGET_P95_MS = 50.0
SEED = 2026
OWNERS, TEAM_SIZE, ACCOUNTS = 200, 10, 40_000
CURRENCIES = {"EUR": 50, "USD": 30, "CNY": 10, "GBP": 7, "JPY": 3}
OPEN_STAGES = {"Qualification": 40, "Needs analysis": 25, "Proposal": 20, "Negotiation": 15}
OPEN_SHARE, WON_SHARE_OF_CLOSED = 0.45, 0.4
SOURCES = ["web", "referral", "event", "outbound", "partner", None]
WORDS = ["Cloud", "Fleet", "Retail", "Data", "Security", "Support", "Analytics", "Mobile"]
COLUMNS = [
    "id",
    "name",
    "account_id",
    "primary_contact_id",
    "amount",
    "currency",
    "expected_close_date",
    "pipeline_id",
    "stage_id",
    "probability_override",
    "forecast_category",
    "status",
    "owner_id",
    "source",
    "campaign",
    "next_step",
    "lost_reason",
    "closed_at",
    "lead_id",
    "created_at",
    "updated_at",
    "version",
]


class Population:
    """Who and what the opportunities belong to, and how often each comes up."""

    def __init__(self, rng: random.Random, stages: dict):
        self.rng = rng
        self.stages = stages
        self.owners = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(OWNERS)]
        # A few top sellers carry much of the pipeline, as in any sales team.
        self.owner_weights = [1 / (rank + 1) ** 0.6 for rank in range(OWNERS)]
        self.accounts = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(ACCOUNTS)]
        self.teams = {
            uuid.UUID(int=rng.getrandbits(128)): self.owners[i : i + TEAM_SIZE]
            for i in range(0, OWNERS, TEAM_SIZE)
        }

    def owner(self) -> uuid.UUID:
        return self.rng.choices(self.owners, self.owner_weights)[0]

    def account(self) -> uuid.UUID:
        # Key accounts have a hundred deals; most accounts one or two.
        return self.accounts[int(ACCOUNTS * self.rng.random() ** 3)]


def opportunity_row(population: Population, today: date, number: int) -> list:
    rng = population.rng
    created = datetime.combine(today, clock(), tzinfo=UTC) - timedelta(days=rng.uniform(0, 1095))
    is_open = rng.random() < OPEN_SHARE
    if is_open:
        stage = population.stages[rng.choices(*zip(*OPEN_STAGES.items(), strict=True))[0]]
        closes = today + timedelta(days=int(rng.triangular(-30, 365, 30)))
        closed_at = None
    else:
        won = rng.random() < WON_SHARE_OF_CLOSED
        stage = population.stages["Closed won" if won else "Closed lost"]
        closes = min(created.date() + timedelta(days=rng.randint(15, 180)), today)
        moment = datetime.combine(closes, clock(), tzinfo=UTC)
        closed_at = moment + timedelta(seconds=rng.randint(8 * 3600, 18 * 3600))
    category = opportunities.default_category(stage)
    if is_open and rng.random() < 0.1:
        category = rng.choice(["pipeline", "best_case", "commit", "omitted"])
    override = rng.randint(5, 95) if is_open and rng.random() < 0.05 else None
    amount = Decimal(max(100.0, rng.lognormvariate(math.log(15_000), 1.1))).quantize(Decimal("1"))
    source = rng.choice(SOURCES)
    updated = max(created, closed_at or created)
    return [
        uuid.UUID(int=rng.getrandbits(128)),
        f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} deal {number}",
        population.account(),
        uuid.UUID(int=rng.getrandbits(128)) if rng.random() < 0.6 else None,
        amount,
        rng.choices(list(CURRENCIES), list(CURRENCIES.values()))[0],
        closes,
        stage.pipeline_id,
        stage.id,
        override,
        category,
        stage.outcome,
        population.owner(),
        source,
        f"{source}-{created.year}" if source else None,
        None,
        "price" if stage.outcome == "lost" else None,
        closed_at,
        None,
        created,
        updated,
        1,
    ]


def copy_opportunities(engine, population: Population, today: date, count: int) -> None:
    """COPY in chunks: a CSV of each chunk streamed to PostgreSQL."""
    chunk = 20_000
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for start in range(0, count, chunk):
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                for number in range(start, min(start + chunk, count)):
                    writer.writerow(
                        "" if value is None else value
                        for value in opportunity_row(population, today, number)
                    )
                buffer.seek(0)
                cursor.copy_expert(
                    f"COPY opportunities ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)",
                    buffer,
                )
        raw.commit()
    finally:
        raw.close()


def add_teams_and_quotas(session: Session, population: Population, years: range) -> None:
    rng = population.rng
    for number, (team_id, members) in enumerate(population.teams.items()):
        session.add(Team(id=team_id, name=f"Team {number + 1}", member_ids=list(map(str, members))))
    for owner in population.owners:
        currency = rng.choices(list(CURRENCIES), list(CURRENCIES.values()))[0]
        monthly = rng.random() < 0.5
        for year in years:
            for quarter in range(1, 5):
                target = Decimal(rng.randint(50, 400) * 1000)
                periods = (
                    [f"{year}-{month:02d}" for month in range(quarter * 3 - 2, quarter * 3 + 1)]
                    if monthly
                    else [f"{year}-Q{quarter}"]
                )
                for period in periods:
                    amount = target / len(periods)
                    session.add(
                        Quota(user_id=owner, period=period, amount=amount, currency=currency)
                    )


def load_data(url: str, count: int) -> tuple[Population, float]:
    """Migrate, seed, bulk-load; returns the population and the load's seconds."""
    upgrade("sales", url)
    engine = engine_for(url)
    rng = random.Random(SEED)
    today = date.today()
    with Session(engine, expire_on_commit=False) as session:
        stages = {stage.name: stage for stage in pipelines.default(session).stages}
        session.commit()
        population = Population(rng, stages)
        started = time.perf_counter()
        copy_opportunities(engine, population, today, count)
        add_teams_and_quotas(session, population, range(today.year - 1, today.year + 2))
        session.commit()
    # What autovacuum would have done to a table this size by the time anyone reads it: the
    # planner's statistics, and the visibility map index-only scans rely on.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return population, time.perf_counter() - started


def months_around(today: date) -> list[tuple[date, date]]:
    """The first and the next month's first day of each month from 3 months ago to 9 ahead."""
    months = []
    for offset in range(-3, 10):
        year, month = divmod(today.month - 1 + offset, 12)
        first = date(today.year + year, month + 1, 1)
        days = calendar.monthrange(first.year, first.month)[1]
        months.append((first, first + timedelta(days=days)))
    return months


def quarters_around(today: date) -> list[str]:
    quarters = []
    for offset in range(-2, 3):
        index = today.year * 4 + (today.month - 1) // 3 + offset
        quarters.append(f"{index // 4}-Q{index % 4 + 1}")
    return quarters


def cases(population: Population, today: date) -> dict[str, Callable[[], tuple]]:
    """Each case: a function giving the RPC's schema, raw parameters, and domain call."""
    rng, stages = population.rng, population.stages
    open_stages = [str(stages[name].id) for name in OPEN_STAGES]
    months, quarters = months_around(today), quarters_around(today)

    def listing(params: dict) -> tuple:
        return opportunity_query, params, opportunities.get_all, opportunity_read, True

    def forecasting(params: dict) -> tuple:
        return forecast_query, params, forecast.forecast, forecast_read, False

    def close_range() -> dict:
        first, after_last = rng.choice(months)
        return {"close_after": str(first), "close_before": str(after_last), "sort": "-amount"}

    return {
        "list: owner + status": lambda: listing(
            {"owner_id": str(population.owner()), "status": rng.choice(["open", "won"])}
        ),
        "list: stage": lambda: listing({"stage_id": rng.choice(open_stages)}),
        "list: close range by amount": lambda: listing(close_range()),
        "list: account": lambda: listing({"account_id": str(population.account())}),
        "list: all by amount": lambda: listing({"sort": rng.choice(["amount", "-amount"])}),
        "forecast: quarter, one owner": lambda: forecasting(
            {"period": rng.choice(quarters), "owner_id": str(population.owner())}
        ),
        "forecast: quarter, team of 10": lambda: forecasting(
            {"period": rng.choice(quarters), "team_id": str(rng.choice(list(population.teams)))}
        ),
        "forecast: quarter, everyone": lambda: forecasting({"period": rng.choice(quarters)}),
    }


def call(engine, case: tuple) -> int:
    """What the RPC does, minus the broker; returns how many items (or blocks) it answered."""
    schema, raw, domain, read, paged = case
    with Session(engine) as session:
        answer = domain(session=session, params=load(schema, raw))
        if paged:
            items, _ = answer
            return len(read.dump(items, many=True))
        return len(read.dump(answer)["currencies"])


def measure(engine, make: Callable[[], tuple], samples: int, warmup: int) -> tuple[list, float]:
    for _ in range(warmup):
        call(engine, make())
    timings, sizes = [], []
    for _ in range(samples):
        case = make()
        started = time.perf_counter()
        sizes.append(call(engine, case))
        timings.append((time.perf_counter() - started) * 1000)
    return timings, statistics.mean(sizes)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def explain(engine, case: tuple) -> None:
    """Run the case once, capturing its statements, and print PostgreSQL's plan of each."""
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call(engine, case)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("\n".join(f"    {row[0]}" for row in cursor.fetchall()))
    finally:
        raw.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200_000, help="opportunities (200,000)")
    parser.add_argument("--samples", type=int, default=200, help="timed calls per case (200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls first (20)")
    parser.add_argument("--explain", action="store_true", help="print each case's plan")
    parser.add_argument("--only", default="", help="only the cases whose name has this text")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    today = date.today()
    with postgres_database() as url:
        print(f"loading {args.count:,} opportunities into a fresh PostgreSQL database ...")
        population, seconds = load_data(url, args.count)
        engine = engine_for(url)
        with Session(engine) as session:
            total = session.scalar(select(func.count()).select_from(Opportunity))
        print(f"loaded {total:,} in {seconds:.1f} s (COPY, teams, quotas, VACUUM ANALYZE)\n")
        print(f"{'case':<32}{'items':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  p95 < 50 ms")
        met = True
        for name, make in cases(population, today).items():
            if args.only not in name:
                continue
            timings, size = measure(engine, make, args.samples, args.warmup)
            p95 = percentile(timings, 0.95)
            met = met and p95 < TARGET_P95_MS
            print(
                f"{name:<32}{size:>8.1f}{percentile(timings, 0.5):>9.2f}{p95:>9.2f}"
                f"{percentile(timings, 0.99):>9.2f}  {'PASS' if p95 < TARGET_P95_MS else 'FAIL'}"
            )
            if args.explain:
                explain(engine, make())
        engine.dispose()
    print("\nthe database is dropped.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
