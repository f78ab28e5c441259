"""Benchmark: contact search and filtered lists over a million contacts in PostgreSQL.

It creates a fresh PostgreSQL database, migrates it to head, bulk-loads --rows generated contacts
(mixed Chinese and Latin names, companies as accounts, one or two emails and phones, tags from a
small skewed vocabulary, created_at spread over eight years) with COPY, ANALYZEs, then times
what the service's list_contacts RPC does, minus the broker (the query schema loads the
parameters, `contacts.get_all` runs, the read schema dumps the first page of 50, newest first,
with each contact's account, emails, phones and tags) --runs times per case with varied terms,
the cases shuffled together, and prints
p50/p95/p99 per case. The database is dropped at the end
unless --keep; --reuse NAME measures a kept database again without loading.

    .venv/bin/python bench/search_contacts.py --rows 1000000
    .venv/bin/python bench/search_contacts.py --rows 1000000 --keep     # prints the name
    .venv/bin/python bench/search_contacts.py --reuse crm_bench_search_1a2b3c4d

Needs PostgreSQL on 127.0.0.1:5432, user postgres without a password (CRM_TEST_POSTGRES_DSN
names another admin connection). Exit code: 0 every p95 under the target, 1 one is not.
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts.customers import contact_query, contact_read
from infra.migrations import upgrade
from infra.testing import POSTGRES_ADMIN_DSN
from services.customers import contacts

TARGET_P95_MS = 50.0
CHUNK = 50_000
LOADED = ("accounts", "contacts", "contact_emails", "contact_phones", "contact_tags")
START = datetime(2018, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=8 * 365)

# Vocabularies: enough distinct values that a term is as selective as in a real customer base.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤欧阮柯易乔庞樊兰殷施甘饶祝"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彬鹏辉建国志宏海波宁浩宇轩子涵欣怡"
    "梓萱晨阳佳琪思远文博雨婷俊丹凤飞想璐鑫淑珍慧颖琳倩雪梅春晓东林嘉悦诗瑶泽瑞昊然一诺安可欢乐峰斌亮"
    "龙云帆航健康永福德荣"
)
BRAND = (
    "易动力昂歌商软冠联通际名网新恒天黄石金承惠派国际华远益鑫源创汇凌云聪百四达东方峻景维旺明富双敏电"
    "泰和盛嘉信诚佳禾中科新世纪汉光晟睿博雅鸿运"
)
INDUSTRIES = ("传媒", "科技", "信息", "网络", "软件", "电子", "贸易", "咨询", "物流", "医药")
CN_SUFFIXES = ("有限公司", "信息有限公司", "集团", "股份有限公司")
FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul "
    "Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy "
    "Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob Amy "
    "Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin "
    "Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel Christine Gregory Debra "
    "Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry "
    "Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary "
    "Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn "
    "Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger Jacqueline Terry Madison "
    "Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice "
    "Bryan Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy "
    "Grace Joe Amber Alan Alice Juan Jean Elijah Denise Willie Frances Albert Danielle Wayne "
    "Marilyn Randy Natalie Mason Beverly Vincent Diana Liam Brittany Roy Theresa Bobby Kayla"
)
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook "
    "Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez "
    "Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan "
    "Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson "
    "Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera "
    "Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison "
    "Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker "
    "Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason "
    "Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox "
    "Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan "
    "Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart "
    "Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews "
    "Ray Berry Perkins Hoffman Johnston Matthews Pena Richards Willis Carpenter Lawrence Sandoval "
    "Müller Schneider Fischer Weber Becker Schäfer Koch Richter Klein Wolf Schröder Neumann"
)
PINYIN = (
    "wei fang na xiu ying min jing li qiang lei jun yang yong yan jie juan tao ming chao lan xia "
    "ping gang gui hua yu hong e ling fen peng hui jian guo zhi hai bo ning hao xuan zi han xin "
    "yi meng chen jia qi si yuan wen ting dan feng fei xiang lu shu zhen xue mei chun dong lin"
)
DOMAINS = (
    "gmail.com yahoo.com hotmail.com outlook.com 163.com qq.com 126.com sina.com web.de gmx.de "
    "icloud.com example.com example.cn mail.com live.com"
)
LATIN_SUFFIXES = ("Inc", "LLC", "Ltd", "Group", "PLC", "and Sons", "GmbH")
TITLES = (
    "Sales manager",
    "Buyer",
    "CEO",
    "CTO",
    "Engineer",
    "Accountant",
    "Consultant",
    "经理",
    "总监",
    "工程师",
    "采购",
    "会计",
)
# (tag, share of contacts): a few common tags, a long tail, one very rare
TAGS = (
    ("newsletter", 0.35),
    ("enterprise", 0.15),
    ("smb", 0.15),
    ("referral", 0.10),
    ("trade-show", 0.08),
    ("重点", 0.06),
    ("渠道", 0.05),
    ("vip", 0.01),
    ("partner", 0.005),
    ("advisory-board", 0.0005),
)
# Given at one event to contacts created that year: the newest of them are years old.
EXPO, EXPO_SHARE = "expo-2019", 0.04
COUNTRIES = (("CN", 38), ("US", 13), ("DE", 13), ("GB", 12), ("AU", 10), ("SG", 10), ("JP", 2))
COUNTRIES += (("FR", 1), ("BR", 1))
STAGES = (("lead", 35), ("prospect", 25), ("customer", 25), ("key_account", 5), ("churned", 10))


class Generator:
    """Deterministic rows for a seed: accounts first, then contacts in creation order."""

    def __init__(self, rows: int, seed: int):
        self.rng = random.Random(seed)
        self.rows = rows
        self.first, self.last = FIRST.split(), LAST.split()
        self.pinyin, self.domains = PINYIN.split(), DOMAINS.split()
        self.surnames = list(SURNAMES)
        self.owners = [self.uuid() for _ in range(25)]
        count = max(1, rows // 10)
        self.accounts = [self.account(START + SPAN * i / count) for i in range(count)]
        # email numbers unique but unrelated to creation order: n -> n * odd % 10^k is one-to-one
        self.modulus = 10 ** len(str(rows))
        self.surname_weights = [1 / (rank + 4) for rank in range(len(SURNAMES))]

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def account(self, created: datetime) -> tuple:
        rng = self.rng
        if rng.random() < 0.45:
            brand = "".join(rng.sample(BRAND, rng.choice((2, 2, 3, 4))))
            name = brand + rng.choice(INDUSTRIES) + rng.choice(CN_SUFFIXES)
            country = "CN"
        elif rng.random() < 0.5:
            name = f"{rng.choice(self.last)}-{rng.choice(self.last)}"
            country = rng.choice(("US", "GB", "AU", "SG"))
        else:
            name = f"{rng.choice(self.last)} {rng.choice(LATIN_SUFFIXES)}"
            country = rng.choice(("US", "DE", "GB", "FR"))
        return self.uuid(), name, country, created

    def contacts(self) -> Iterator[dict]:
        step = SPAN / self.rows
        for n in range(self.rows):
            yield self.contact(n, START + step * n + step * self.rng.random())

    def contact(self, n: int, created: datetime) -> dict:
        rng = self.rng
        country = weighted(rng, COUNTRIES)
        chinese = country == "CN" or rng.random() < 0.05
        if chinese:
            last = rng.choices(self.surnames, self.surname_weights)[0]
            first = "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
            local = "".join(rng.choices(self.pinyin, k=rng.choice((1, 2))))
        else:
            first, last = rng.choice(self.first), rng.choice(self.last)
            local = rng.choice((f"{first}.{last}", first, f"{first[0]}{last}")).lower()
        number = n * 7_777_777 % self.modulus
        emails = [f"{local}{number}@{rng.choice(self.domains)}"]
        if rng.random() < 0.15:
            emails.append(f"{local}.{rng.randrange(100, 999)}{number}@{rng.choice(self.domains)}")
        if rng.random() < 0.03:
            emails = []
        phones = [self.phone(chinese) for _ in range(rng.choice((0, 1, 1, 1, 1, 2)))]
        account = self.account_for(n) if rng.random() < 0.8 else None
        birthday = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        birthday = birthday if rng.random() < 0.6 else None
        tags = [tag for tag, share in TAGS if rng.random() < share]
        if created.year == 2019 and rng.random() < EXPO_SHARE:
            tags.append(EXPO)
        return {
            "id": self.uuid(),
            "created_at": created,
            "updated_at": created + (SPAN - (created - START)) * rng.random() ** 3,
            "first_name": first,
            "last_name": last,
            "emails": emails,
            "phones": phones,
            "title": rng.choice(TITLES),
            "account": account,
            "birthday": birthday,
            "country": country,
            "stage": weighted(rng, STAGES),
            "owner_id": rng.choice(self.owners),
            "tags": tags,
        }

    def account_for(self, n: int) -> tuple:
        """An account created in the two years before the contact: a company's contacts are
        added around the same time, so a company's name is found among contacts of some years
        only, which is what makes the newest matches of a term far from the newest contacts."""
        newest = len(self.accounts) * n // self.rows
        return self.accounts[self.rng.randint(max(0, newest - len(self.accounts) // 4), newest)]

    def phone(self, chinese: bool) -> tuple[str, str]:
        """(as typed, E.164)"""
        rng = self.rng
        if chinese:
            number = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
            return number, f"+86{number}"
        area, exchange, line = (
            rng.randrange(200, 999),
            rng.randrange(200, 999),
            rng.randrange(10**4),
        )
        typed = rng.choice(("({}){}-{:04d}", "{}-{}-{:04d}", "+1-{}-{}-{:04d}", "{}.{}.{:04d}"))
        return typed.format(area, exchange, line), f"+1{area}{exchange}{line:04d}"


def weighted(rng: random.Random, choices: tuple) -> str:
    return rng.choices([value for value, _ in choices], [weight for _, weight in choices])[0]


def search_text(contact: dict) -> str:
    """What the service keeps in `contacts.search_text` (see services/customers/search.py)."""
    first, last = contact["first_name"], contact["last_name"]
    parts = [first, last, f"{first} {last}", *contact["emails"]]
    for typed, _ in contact["phones"]:
        parts += [typed, "".join(ch for ch in typed if ch.isdigit())]
    if contact["account"]:
        parts.append(contact["account"][1])
    return " ".join(parts).lower()


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
    """COPY `rows` in chunks, so memory stays bounded whatever --rows is."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    buffer = io.StringIO()
    for count, row in enumerate(rows, 1):
        buffer.write("\t".join(r"\N" if value is None else str(value) for value in row) + "\n")
        if count % CHUNK == 0:
            flush_copy(cursor, sql, buffer)
            buffer = io.StringIO()
    flush_copy(cursor, sql, buffer)


def flush_copy(cursor, sql: str, buffer: io.StringIO) -> None:
    buffer.seek(0)
    cursor.copy_expert(sql, buffer)


def load(dsn: str, rows: int, seed: int) -> None:
    """Loads the tables with their secondary indexes dropped and rebuilds those afterwards,
    the way one restores a dump: far faster than keeping a million-row index up to date."""
    generator = Generator(rows, seed)
    connection = psycopg2.connect(dsn)
    cursor = connection.cursor()
    cursor.execute("SET session_replication_role = replica")  # no foreign key triggers
    cursor.execute("SET maintenance_work_mem = '256MB'")
    indexes = secondary_indexes(cursor)
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    started = time.perf_counter()
    copy_rows(
        cursor,
        "accounts",
        ("id", "name", "country", "created_at", "updated_at", "version", "custom_fields"),
        ((*account, account[3], 1, "{}") for account in generator.accounts),
    )
    contacts, emails, phones, tags = [], [], [], []
    for contact in generator.contacts():
        contacts.append(contact_row(contact))
        emails += [email_row(contact, i) for i in range(len(contact["emails"]))]
        phones += [phone_row(contact, i) for i in range(len(contact["phones"]))]
        tags += [
            (contact["id"], tag, contact["created_at"], contact["country"])
            for tag in contact["tags"]
        ]
        if len(contacts) == CHUNK:
            copy_contacts(cursor, contacts, emails, phones, tags)
            contacts, emails, phones, tags = [], [], [], []
    copy_contacts(cursor, contacts, emails, phones, tags)
    say(f"copied {rows} contacts in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    for _, definition in indexes:
        cursor.execute(definition)
    connection.commit()
    say(f"built {len(indexes)} indexes in {time.perf_counter() - started:.0f} s")
    connection.autocommit = True
    started = time.perf_counter()
    cursor.execute("VACUUM ANALYZE")
    say(f"vacuum analyze in {time.perf_counter() - started:.0f} s")
    connection.close()


def secondary_indexes(cursor) -> list[tuple[str, str]]:
    """The loaded tables' indexes that back no constraint: (name, CREATE INDEX statement)."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid LEFT JOIN pg_constraint c ON c.conindid = "
        "i.indexrelid WHERE t.relname = ANY(%s) AND c.oid IS NULL",
        (list(LOADED),),
    )
    return cursor.fetchall()


def copy_contacts(cursor, contacts, emails, phones, tags) -> None:
    copy_rows(cursor, "contacts", CONTACT_COLUMNS, iter(contacts))
    copy_rows(cursor, "contact_emails", EMAIL_COLUMNS, iter(emails))
    copy_rows(cursor, "contact_phones", PHONE_COLUMNS, iter(phones))
    copy_rows(cursor, "contact_tags", ("contact_id", "tag", "created_at", "country"), iter(tags))


CONTACT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "account_id",
    "birthday",
    "birthday_md",
    "lifecycle_stage",
    "search_text",
    "owner_id",
    "country",
    "custom_fields",
)
EMAIL_COLUMNS = ("contact_id", "address", "normalized", "is_primary")
PHONE_COLUMNS = ("contact_id", "number", "normalized", "is_primary")


def contact_row(contact: dict) -> tuple:
    birthday = contact["birthday"]
    return (
        contact["id"],
        contact["created_at"],
        contact["updated_at"],
        1,
        contact["first_name"],
        contact["last_name"],
        contact["emails"][0] if contact["emails"] else None,
        contact["phones"][0][0] if contact["phones"] else None,
        contact["title"],
        contact["account"][0] if contact["account"] else None,
        birthday,
        birthday.month * 100 + birthday.day if birthday else None,
        contact["stage"],
        search_text(contact),
        contact["owner_id"],
        contact["country"],
        "{}",
    )


def email_row(contact: dict, i: int) -> tuple:
    address = contact["emails"][i]
    return contact["id"], address, address.lower(), "t" if i == 0 else "f"


def phone_row(contact: dict, i: int) -> tuple:
    typed, e164 = contact["phones"][i]
    return contact["id"], typed, e164, "t" if i == 0 else "f"


def sample(session: Session, seed: int) -> list[tuple]:
    """Contacts to take search terms from: (first, last, email, phone, search_text)."""
    rows = session.execute(
        text(
            "SELECT first_name, last_name, email, phone, search_text FROM contacts "
            "TABLESAMPLE SYSTEM (1) REPEATABLE (:seed) LIMIT 5000"
        ),
        {"seed": seed},
    ).all()
    return [tuple(row) for row in rows]


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def cjk_runs(contacts: list[tuple], length: int) -> list[str]:
    """Substrings of `length` Chinese characters found in the sampled contacts' search text."""
    found = []
    for *_, searched in contacts:
        for word in searched.split():
            found += [
                word[i : i + length]
                for i in range(len(word) - length + 1)
                if all(map(is_cjk, word[i : i + length]))
            ]
    return found


def cases(contacts: list[tuple], rng: random.Random) -> dict[str, Callable[[], dict]]:
    """Each case: a function giving the next list request's filters, a different term each run."""
    latin = [c for c in contacts if c[1] and c[1].isascii()]
    emails = [c[2] for c in contacts if c[2]]
    phones = [c[3] for c in contacts if c[3]]
    one, two, more = cjk_runs(contacts, 1), cjk_runs(contacts, 2), cjk_runs(contacts, 4)
    tags = [tag for tag, _ in TAGS] + [EXPO]
    countries = [country for country, _ in COUNTRIES]
    return {
        "no filter": lambda: {},
        "name prefix (Latin, 3-5 letters)": lambda: {
            "q": rng.choice(latin)[1][: rng.randint(3, 5)]
        },
        "email, the full address": lambda: {"q": rng.choice(emails)},
        "email, a prefix of 6+ chars": lambda: {
            "q": (e := rng.choice(emails))[: rng.randint(6, max(6, e.index("@")))]
        },
        "phone, as typed": lambda: {"q": rng.choice(phones)},
        "Chinese, 1 character": lambda: {"q": rng.choice(one)},
        "Chinese, 2 characters": lambda: {"q": rng.choice(two)},
        "Chinese, 3-4 characters": lambda: {"q": rng.choice(more)[: rng.randint(3, 4)]},
        "tag": lambda: {"tag": [rng.choice(tags)]},
        "tag + country": lambda: {"tag": [rng.choice(tags)], "country": rng.choice(countries)},
    }


def list_contacts(session: Session, filters: dict) -> list:
    """What the list_contacts RPC does, minus the broker."""
    items, _ = contacts.get_all(session=session, params=contact_query.load(filters))
    return contact_read.dump(items, many=True)


def measure(url: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """Times `args.runs` list requests per case, the cases shuffled together so that whatever
    else the machine does weighs on each alike; a tenth as many first, untimed, to warm up."""
    engine = create_engine(url, pool_size=1, connect_args={"options": args.options})
    rng = random.Random(args.seed)
    with Session(engine) as session:
        requests = cases(sample(session, args.seed), rng)
    timings = {name: [] for name in requests}
    for runs, timed in ((args.runs // 10, False), (args.runs, True)):
        order = [name for name in requests for _ in range(runs)]
        rng.shuffle(order)
        for name in order:
            filters = requests[name]()
            with Session(engine) as session:
                started = time.perf_counter()
                list_contacts(session, filters)
                if timed:
                    timings[name].append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return timings


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(timings: dict[str, list[float]]) -> bool:
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    print(f"\nload average at the end (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    print(f"{'case':<36}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  p95 < 50 ms")
    met = True
    for name, values in timings.items():
        p95 = percentile(values, 95)
        met &= p95 < TARGET_P95_MS
        print(
            f"{name:<36}{percentile(values, 50):>9.1f}{p95:>9.1f}{percentile(values, 99):>9.1f}"
            f"{max(values):>9.1f}  {'PASS' if p95 < TARGET_P95_MS else 'FAIL'}"
        )
    return met


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def admin():
    connection = psycopg2.connect(POSTGRES_ADMIN_DSN)
    connection.autocommit = True
    return connection


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts to load")
    parser.add_argument("--runs", type=int, default=200, help="measured requests per case")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--options", default="", help="libpq options of the measuring connection, e.g. -c jit=off"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", metavar="NAME", help="measure this kept database again")
    args = parser.parse_args()
    name = args.reuse or f"crm_bench_search_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    if not args.reuse:
        admin().cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        if not args.reuse:
            upgrade("customers", url)
            load(f"host=127.0.0.1 user=postgres dbname={name}", args.rows, args.seed)
        met = report(measure(url, args))
    finally:
        if args.keep or args.reuse:
            say(f"kept database {name}")
        else:
            admin().cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
