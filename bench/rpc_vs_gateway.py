"""Benchmark: a bare nameko RPC round trip against a read through the whole gateway.

In one run, on 127.0.0.1 only, it measures:

1. echo RPC: `bench_echo.echo`, the service defined below that does no work, run by `nameko run`
   in its own process and called for --duration seconds (after a 2 s warm-up) by 20 threads of
   this process, each with its own started ClusterRpcProxy kept for the whole run;
2. proxy per call: a few hundred sequential calls, alternately through a kept proxy and through
   a new ClusterRpcProxy per call: the median latency a proxy per call adds;
3. gateway read: `GET /api/v1/contacts/{id}` under 32 concurrent keep-alive clients (after a 2 s
   warm-up), through the real suite: migrations, then the customers service and the gateway
   started with the Procfile's own commands. The load comes from `wrk` if it is installed, else
   from a Python load generator (32 threads, one keep-alive connection each).

It prints requests/s, p50, p99 and errors of each, the ratio gateway/echo, the mean time a read
spends inside the gateway's handler and the customers worker (from their Prometheus histograms),
the CPU each process used while measured, and the verdict against the targets: gateway read
throughput >= 70% of echo throughput, gateway p99 < 100 ms. Exit code: 0 targets met, 1 a target
missed, 2 it could not run. bench/README.md says how to read the figures.

The run is isolated and leaves nothing behind: a temporary RabbitMQ vhost (made and deleted with
rabbitmqctl), a temporary CRM_VAR_DIR for the SQLite files (with --postgres, a temporary
PostgreSQL database for the customers service), and every process it started stopped, by process
group, even on Ctrl-C or error.

Run it (needs RabbitMQ on 127.0.0.1:5672 and rabbitmqctl usable by this user):

    make bench        # = .venv/bin/python bench/rpc_vs_gateway.py
    .venv/bin/python bench/rpc_vs_gateway.py --duration 20 --gateway-workers 2 \
        --gateway-threads 16 --service-instances 2 --postgres
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests
from psycopg2 import sql

# eventlet, which nameko imports, announces its deprecation with a plain Warning subclass that
# `PYTHONWARNINGS=ignore::DeprecationWarning` does not catch.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from nameko.rpc import rpc  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: nameko, gunicorn, python
HOST = "127.0.0.1"

ECHO_CALLERS = 20
GATEWAY_CLIENTS = 32
WARMUP_SECONDS = 2
PER_CALL_SAMPLES = 300
PER_CALL_BUDGET = 60.0  # seconds, at most, for the proxy-per-call comparison
RPC_TIMEOUT = 5.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

# % of one core that neither this run's processes nor RabbitMQ used, above which a note says
# the machine was busy with something else (interrupts take a few %)
OTHERS_NOTICEABLE = 25.0

TARGET_RATIO = 0.70
TARGET_P99_MS = 100.0

# Inherited CRM_* settings that only tune the suite. Every other CRM_* variable of this shell is
# dropped, so the run never touches a database or broker configured there.
PASSED_SETTINGS = ("CRM_MAX_WORKERS", "CRM_RPC_TIMEOUT", "CRM_LOG_LEVEL")

# What echo sends and gets back: a record shaped like the contact the gateway reads.
ECHO_VALUE = {
    "id": "0b6f4a52-3c1e-4d43-9a57-8a1f2f7f9d10",
    "first_name": "Bench",
    "last_name": "Mark",
    "email": None,
    "phone": None,
    "title": None,
    "account_id": None,
    "created_at": "2024-01-01T00:00:00+00:00",
    "updated_at": "2024-01-01T00:00:00+00:00",
    "version": 1,
}

# Counts answers other than 200: wrk itself only counts those outside 2xx and 3xx.
WRK_SCRIPT = """\
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("non200")
  end
  io.write(string.format("non-200 responses: %d\\n", total))
end
"""


class EchoService:
    """What the echo benchmark calls: one round trip through RabbitMQ and nameko, no work."""

    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


class BenchError(Exception):
    """A step failed; the message says which and why."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """One load run: the calls that succeeded inside the measured window, and the errors."""

    ok: int
    seconds: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu: dict[str, float] = field(default_factory=dict)  # % of one core, by process
    server_ms: dict[str, float] = field(default_factory=dict)  # mean time inside, by server

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


@dataclass
class PerCall:
    """Median latency of sequential calls through a kept proxy and a new proxy per call."""

    samples: int
    pooled_ms: float
    new_proxy_ms: float

    @property
    def added_ms(self) -> float:
        return self.new_proxy_ms - self.pooled_ms


@dataclass(frozen=True)
class Window:
    """The measured interval: the calls that complete inside it count."""

    start: float
    end: float

    @classmethod
    def after_warmup(cls, duration: float) -> "Window":
        start = time.perf_counter() + WARMUP_SECONDS
        return cls(start, start + duration)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds
    errors: int = 0


def percentile(ascending: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not ascending:
        return math.nan
    return ascending[max(1, math.ceil(fraction * len(ascending))) - 1]


def figures(tally: Tally, seconds: float, cpu: "CpuMeter", times: "ServerTimes | None" = None):
    ms = sorted(latency * 1000 for latency in tally.latencies)
    mean = statistics.fmean(ms) if ms else math.nan
    p50, p99 = percentile(ms, 0.50), percentile(ms, 0.99)
    server_ms = times.means if times else {}
    return Figures(len(ms), seconds, mean, p50, p99, tally.errors, cpu.shares, server_ms)


def run_until(window: Window, call: Callable[[], object]) -> Tally:
    """Make calls back to back until the window ends; count those that end inside it."""
    tally = Tally()
    while (started := time.perf_counter()) < window.end:
        try:
            call()
        except Exception:
            if window.start <= time.perf_counter() <= window.end:
                tally.errors += 1
            time.sleep(0.01)  # never spin on a broken connection
            continue
        finished = time.perf_counter()
        if window.start <= finished <= window.end:
            tally.latencies.append(finished - started)
    return tally


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.perf_counter()))


def run_concurrently(window: Window, calls: list[Callable[[], object]], *meters) -> Tally:
    """One thread per caller, each calling until the window ends; the meters (CpuMeter,
    ServerTimes) measure over the window."""
    tallies = [Tally() for _ in calls]

    def caller(index: int) -> None:
        tallies[index] = run_until(window, calls[index])

    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    sleep_until(window.start)
    for meter in meters:
        meter.start()
    sleep_until(window.end)
    for meter in meters:
        meter.stop()
    for thread in threads:
        thread.join(RPC_TIMEOUT + 5)  # a call in flight ends within its timeout
    return Tally(
        latencies=[latency for tally in tallies for latency in tally.latencies],
        errors=sum(tally.errors for tally in tallies),
    )


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


# --- CPU accounting (Linux /proc; nothing elsewhere) ------------------------------------------


def proc_stat(stat: Path) -> tuple[str, int, int]:
    """(command, process group, CPU ticks used) of one /proc/PID/stat."""
    text = stat.read_text()
    command = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return command, int(fields[2]), int(fields[11]) + int(fields[12])


def machine_busy_ticks() -> int:
    """CPU ticks all cores spent on anything but idling, from the first line of /proc/stat:
    user nice system idle iowait irq softirq steal ..."""
    try:
        line = Path("/proc/stat").read_text().splitlines()[0]
    except (OSError, IndexError):
        return 0
    ticks = [int(field) for field in line.split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4]


class CpuMeter:
    """CPU used between start() and stop(), in % of one core, by label: the processes of the
    given process groups, this process, RabbitMQ and PostgreSQL, every other process by command
    (label OTHER + command), and the whole machine (MACHINE)."""

    MACHINE = "machine"
    OTHER = "other: "
    SERVERS = {"beam.smp": "rabbitmq", "postgres": "postgresql"}

    def __init__(self, groups: dict[int, str], me: str = "this process"):
        self.groups = groups
        self.me = me
        self.shares: dict[str, float] = {}

    def _label(self, pid: int, command: str, group: int) -> str:
        if pid == os.getpid():
            return self.me
        if command in self.SERVERS:
            return self.SERVERS[command]
        if group == 0:
            return self.OTHER + "kernel threads"
        return self.groups.get(group, self.OTHER + command)

    def _snapshot(self) -> tuple[int, dict[int, tuple[str, int]]]:
        """The machine's busy ticks, and each process's label and ticks, by PID."""
        processes = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                command, group, ticks = proc_stat(stat)
            except (OSError, ValueError):
                continue  # it ended meanwhile
            pid = int(stat.parent.name)
            processes[pid] = (self._label(pid, command, group), ticks)
        return machine_busy_ticks(), processes

    def start(self) -> None:
        self._before, self._started = self._snapshot(), time.perf_counter()

    def stop(self) -> dict[str, float]:
        seconds = time.perf_counter() - self._started
        per_tick = 100 / os.sysconf("SC_CLK_TCK") / seconds
        (machine_before, before), (machine, after) = self._before, self._snapshot()
        self.shares[self.MACHINE] = (machine - machine_before) * per_tick
        for pid, (label, ticks) in after.items():
            used = ticks - before.get(pid, (label, 0))[1]
            self.shares[label] = self.shares.get(label, 0.0) + used * per_tick
        return self.shares


# --- time spent inside the servers, from their Prometheus histograms ----------------------------


@dataclass
class Histogram:
    """The series of one Prometheus histogram whose labels include `labels`, summed over the
    endpoints at `urls`."""

    urls: list[str]
    metric: str
    labels: dict[str, str]

    def totals(self) -> tuple[float, float]:
        """(seconds, observations) so far; zeros where an endpoint does not answer."""
        found = {"sum": 0.0, "count": 0.0}
        series = re.compile(rf"^{self.metric}_(sum|count)\{{([^}}]*)\}} (\S+)$", re.MULTILINE)
        for url in self.urls:
            try:
                text = requests.get(url, timeout=5).text
            except requests.RequestException:
                continue
            for kind, labels, value in series.findall(text):
                if self.labels.items() <= dict(re.findall(r'(\w+)="([^"]*)"', labels)).items():
                    found[kind] += float(value)
        return found["sum"], found["count"]


class ServerTimes:
    """Mean time per request inside each server between start() and stop(), in ms by label."""

    def __init__(self, histograms: dict[str, Histogram]):
        self.histograms = histograms
        self.means: dict[str, float] = {}

    def start(self) -> None:
        self._before = {label: h.totals() for label, h in self.histograms.items()}

    def stop(self) -> dict[str, float]:
        for label, histogram in self.histograms.items():
            seconds, count = histogram.totals()
            seconds_before, count_before = self._before[label]
            if count > count_before:
                self.means[label] = (seconds - seconds_before) / (count - count_before) * 1000
        return self.means


# --- processes ----------------------------------------------------------------------------------


class Processes:
    """The processes this run started, each in its own session (process group), logging to a
    file. Leaving the `with` block stops every one still running."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, *exc_info) -> None:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits
        try:
            for name in reversed(list(self.running)):
                try:
                    self.stop(name)
                except (OSError, subprocess.SubprocessError) as exc:
                    say(f"warning: could not stop {name}: {exc}")
        finally:
            signal.signal(signal.SIGINT, previous)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tail(self, name: str, lines: int = 25) -> str:
        return "\n".join(f"  | {line}" for line in self.log(name).splitlines()[-lines:])

    def check(self, skip: str | None = None) -> None:
        """Raise if a process ended before its time, with the end of its log."""
        for name, process in self.running.items():
            if name != skip and process.poll() is not None:
                code = process.returncode
                raise BenchError(f"{name} exited (code {code}):\n{self.tail(name)}")

    def wait(self, name: str, timeout: float) -> int:
        """Wait for `name` to end, checking meanwhile that the others still run."""
        deadline = time.monotonic() + timeout
        process = self.running[name]
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise BenchError(f"{name} did not finish within {timeout:.0f} s")
            self.check(skip=name)
            time.sleep(0.1)
        del self.running[name]
        return process.returncode

    def stop(self, name: str) -> None:
        """SIGTERM to the process group, then SIGKILL if its leader has not ended in time."""
        process = self.running.pop(name)
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop within {STOP_TIMEOUT:.0f} s: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)


def wait_until(ready: Callable[[], bool], what: str, processes: Processes) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        processes.check()
        if time.monotonic() > deadline:
            logs = "\n".join(f"{name}:\n{processes.tail(name)}" for name in processes.running)
            raise BenchError(f"{what} not ready after {START_TIMEOUT:.0f} s\n{logs}")
        time.sleep(0.25)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def base_env() -> dict[str, str]:
    """This environment without its CRM_* settings, with the venv's bin first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CRM_") or key in PASSED_SETTINGS
    }
    for key in ("PORT", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(key, None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


# --- isolated broker and database ---------------------------------------------------------------


def rabbitmqctl(*args: str) -> None:
    if shutil.which("rabbitmqctl") is None:
        raise BenchError("rabbitmqctl is not on PATH: it makes the benchmark's own vhost")
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode:
        raise BenchError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}")


@contextlib.contextmanager
def rabbitmq_vhost(name: str) -> Iterator[str]:
    """A vhost of its own for the run, deleted (with its queues) at the end."""
    rabbitmqctl("add_vhost", name)
    try:
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@{HOST}:5672/{name}"
    finally:
        try:
            rabbitmqctl("delete_vhost", name)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            say(f"warning: could not delete the vhost {name}: {exc}")


def postgres(statement: sql.Composable) -> None:
    connection = psycopg2.connect(
        host=HOST, port=5432, user="postgres", dbname="postgres", connect_timeout=5
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A database of its own for the customers service, dropped at the end."""
    try:
        postgres(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg2.Error as exc:
        raise BenchError(f"cannot create a database on {HOST}:5432 as postgres: {exc}") from None
    try:
        yield f"postgresql+psycopg2://postgres@{HOST}:5432/{name}"
    finally:
        try:
            postgres(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        except psycopg2.Error as exc:
            say(f"warning: could not drop the database {name}: {exc}")


# --- 1 and 2: echo RPC --------------------------------------------------------------------------


@contextlib.contextmanager
def started_proxies(config: dict, count: int) -> Iterator[list]:
    """`count` started cluster proxies, each kept until the block ends."""
    standalones, proxies = [], []
    try:
        for _ in range(count):
            standalone = ClusterRpcProxy(config, timeout=RPC_TIMEOUT)
            proxies.append(standalone.start())
            standalones.append(standalone)
        yield proxies
    finally:
        for standalone in standalones:
            with contextlib.suppress(Exception):
                standalone.stop()


def echo_through(proxy) -> None:
    if proxy.bench_echo.echo(ECHO_VALUE) != ECHO_VALUE:
        raise BenchError("bench_echo.echo answered something else")


def echo_with_new_proxy(config: dict) -> None:
    with ClusterRpcProxy(config, timeout=RPC_TIMEOUT) as proxy:
        echo_through(proxy)


def echo_answers(config: dict) -> bool:
    try:
        echo_with_new_proxy(config)
    except Exception:
        return False
    return True


def proxy_per_call_cost(config: dict, pooled) -> PerCall:
    """Sequential calls, alternating the kept proxy and a new proxy per call."""
    kept, fresh = [], []
    deadline = time.perf_counter() + PER_CALL_BUDGET
    while len(kept) < PER_CALL_SAMPLES and time.perf_counter() < deadline:
        kept.append(timed(lambda: echo_through(pooled)))
        fresh.append(timed(lambda: echo_with_new_proxy(config)))
    ms = 1000
    return PerCall(len(kept), statistics.median(kept) * ms, statistics.median(fresh) * ms)


def bench_echo(
    processes: Processes, env: dict, workdir: Path, duration: int
) -> tuple[Figures, PerCall]:
    config = {"AMQP_URI": env["CRM_AMQP_URI"]}
    config_file = workdir / "echo.yaml"  # JSON is YAML; the customers service's worker count
    config_file.write_text(json.dumps({**config, "max_workers": max_workers(env)}))
    module = f"{Path(__file__).parent.name}.{Path(__file__).stem}:EchoService"
    say(f"echo: starting `nameko run {module}`")
    service = processes.start(
        "echo-service", [str(BIN / "nameko"), "run", "--config", str(config_file), module], env
    )
    wait_until(
        # Asked before its queue exists, amqp logs the returned request as a warning.
        lambda: "Connected to" in processes.log("echo-service") and echo_answers(config),
        "the echo service",
        processes,
    )
    with started_proxies(config, ECHO_CALLERS) as proxies:
        say(f"echo: {ECHO_CALLERS} callers, {WARMUP_SECONDS} s warm-up + {duration} s")
        cpu = CpuMeter({service.pid: "echo service (nameko)"}, me="echo callers (this process)")
        calls = [lambda proxy=proxy: echo_through(proxy) for proxy in proxies]
        tally = run_concurrently(Window.after_warmup(duration), calls, cpu)
        say(f"echo: {PER_CALL_SAMPLES} sequential calls, kept proxy vs new proxy per call")
        per_call = proxy_per_call_cost(config, proxies[0])
    processes.stop("echo-service")
    return figures(tally, duration, cpu), per_call


def max_workers(env: dict) -> int:
    return int(env.get("CRM_MAX_WORKERS") or "10")


# --- 3: the gateway read ------------------------------------------------------------------------


@dataclass
class Suite:
    base_url: str
    token: str
    contact_id: str
    groups: dict[int, str]  # process group -> label, for the CPU figures
    histograms: dict[str, Histogram]  # where a read's time goes, by label

    @property
    def read_url(self) -> str:
        return f"{self.base_url}/api/v1/contacts/{self.contact_id}"


def procfile() -> dict[str, str]:
    """The Procfile's commands by process type; honcho runs each one with the shell."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match:
            commands[match[1]] = match[2]
    for needed in ("customers", "gateway"):
        if needed not in commands:
            raise BenchError(f"the Procfile has no `{needed}` process")
    return commands


def suite_env(args: argparse.Namespace, env: dict, workdir: Path, database_url: str | None):
    port = free_port()
    env = {
        **env,
        "CRM_VAR_DIR": str(workdir / "var"),
        "CRM_GATEWAY_BIND": f"{HOST}:{port}",
        "CRM_ADMIN_EMAIL": "bench@example.com",
        "CRM_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "CRM_SECRET_KEY": secrets.token_urlsafe(32),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }
    if args.gateway_workers:
        env["CRM_GATEWAY_WORKERS"] = str(args.gateway_workers)
    if args.gateway_threads:
        env["CRM_GATEWAY_THREADS"] = str(args.gateway_threads)
    if database_url:
        env["CRM_CUSTOMERS_DATABASE_URL"] = database_url
    return env


def run_step(what: str, command: list[str], env: dict) -> None:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode:
        raise BenchError(f"{what} failed:\n{done.stdout}{done.stderr}")


def migrate(env: dict) -> None:
    say("gateway: migrating the databases")
    run_step("migrations", [str(BIN / "python"), "-m", "infra.migrations"], env)


def seed_admin(env: dict) -> None:
    """Create the admin user once, before gunicorn starts. Every gateway worker creates it on a
    fresh database, and on SQLite their simultaneous inserts fail with "database is locked"
    (not the IntegrityError `gateway.db.ensure_admin` expects): a worker fails to boot and
    gunicorn shuts down."""
    create_app = "from gateway.app import create_app; create_app()"
    run_step("creating the admin user", [str(BIN / "python"), "-c", create_app], env)


def gateway_ready(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/readyz", timeout=3).status_code == 200
    except requests.RequestException:
        return False


def expect(response: requests.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response.json()


def log_in_and_create_contact(base_url: str, env: dict) -> tuple[str, str]:
    credentials = {"email": env["CRM_ADMIN_EMAIL"], "password": env["CRM_ADMIN_PASSWORD"]}
    answer = requests.post(f"{base_url}/api/v1/auth/token", json=credentials, timeout=10)
    token = expect(answer, 200, "logging in")["access_token"]
    answer = requests.post(
        f"{base_url}/api/v1/contacts",
        json={"first_name": "Bench", "last_name": "Mark"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return token, expect(answer, 201, "creating the contact")["id"]


def start_suite(processes: Processes, env: dict, instances: int) -> Suite:
    migrate(env)
    seed_admin(env)
    commands = procfile()
    groups, service_metrics = {}, []
    # Every service of the Procfile, as `make run` starts them: /readyz waits for them all.
    others = [name for name in commands if name not in ("customers", "gateway")]
    say(
        f"gateway: starting {instances} customers service(s), {', '.join(others) or 'no other'} "
        "service(s) and the gateway (Procfile commands)"
    )
    for name, count in [("customers", instances), *((other, 1) for other in others)]:
        label = "customers service(s)" if name == "customers" else f"{name} service"
        for number in range(1, count + 1):
            port = free_port()  # honcho's $PORT: the instance's metrics port
            command = ["sh", "-c", commands[name]]
            service = processes.start(f"{name}-{number}", command, {**env, "PORT": str(port)})
            groups[service.pid] = label
            if name == "customers":
                service_metrics.append(f"http://{HOST}:{port}/metrics")
    gateway = processes.start("gateway", ["sh", "-c", commands["gateway"]], env)
    groups[gateway.pid] = "gateway (gunicorn)"
    base_url = f"http://{env['CRM_GATEWAY_BIND']}"
    wait_until(lambda: gateway_ready(base_url), "the gateway's /readyz", processes)
    token, contact_id = log_in_and_create_contact(base_url, env)
    histograms = {
        "gateway's Flask handler": Histogram(
            [f"{base_url}/metrics"],
            "crm_http_request_duration_seconds",
            {"route": "/api/v1/contacts/<record_id>", "method": "GET"},
        ),
        "customers worker": Histogram(
            service_metrics, "crm_rpc_duration_seconds", {"method": "get_contact"}
        ),
    }
    return Suite(base_url, token, contact_id, groups, histograms)


WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_figure(pattern: str, output: str) -> re.Match:
    match = re.search(pattern, output, re.MULTILINE)
    if match is None:
        raise BenchError(f"cannot read wrk's output (no {pattern!r}):\n{output}")
    return match


def parse_wrk(output: str, cpu: CpuMeter, times: ServerTimes) -> Figures:
    def latency_ms(row: str) -> float:
        match = wrk_figure(rf"^\s*{row}\s+([\d.]+)(us|ms|s|m)\b", output)
        return float(match[1]) * WRK_UNITS_MS[match[2]]

    done = wrk_figure(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    non_200 = int(wrk_figure(r"^non-200 responses: (\d+)", output)[1])
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = non_200 + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
    return Figures(
        ok=int(done[1]) - non_200,
        seconds=float(done[2]) * WRK_UNITS_MS[done[3]] / 1000,
        mean_ms=latency_ms("Latency"),
        p50_ms=latency_ms("50%"),
        p99_ms=latency_ms("99%"),
        errors=errors,
        cpu=cpu.shares,
        server_ms=times.means,
    )


def run_wrk(processes: Processes, suite: Suite, script: Path, seconds: int, name: str) -> Figures:
    command = [
        "wrk",
        "-t2",
        f"-c{GATEWAY_CLIENTS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        f"{RPC_TIMEOUT:.0f}s",
        "-s",
        str(script),
        "-H",
        f"Authorization: Bearer {suite.token}",
        suite.read_url,
    ]
    wrk = processes.start(name, command, base_env())
    meters = CpuMeter({**suite.groups, wrk.pid: "wrk"}), ServerTimes(suite.histograms)
    for meter in meters:
        meter.start()
    time.sleep(max(0.0, seconds - 0.5))
    for meter in meters:
        meter.stop()  # while wrk still runs: an ended process is gone from /proc
    code = processes.wait(name, 30)
    if code:
        raise BenchError(f"wrk failed (code {code}):\n{processes.tail(name)}")
    return parse_wrk(processes.log(name), *meters)


class KeepAliveClient:
    """One HTTP/1.1 keep-alive connection; get() raises unless the answer is 200."""

    def __init__(self, suite: Suite):
        host, port = suite.base_url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=RPC_TIMEOUT + 5)
        self.path = suite.read_url.removeprefix(suite.base_url)
        self.headers = {"Authorization": f"Bearer {suite.token}"}

    def get(self) -> None:
        try:
            self.connection.request("GET", self.path, headers=self.headers)
            response = self.connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request reconnects
            raise
        if response.status != 200:
            raise BenchError(f"HTTP {response.status}")

    def close(self) -> None:
        self.connection.close()


def run_python_load(suite: Suite, duration: int) -> Figures:
    clients = [KeepAliveClient(suite) for _ in range(GATEWAY_CLIENTS)]
    cpu = CpuMeter(suite.groups, me="load generator (this process)")
    times = ServerTimes(suite.histograms)
    try:
        calls = [client.get for client in clients]
        tally = run_concurrently(Window.after_warmup(duration), calls, cpu, times)
    finally:
        for client in clients:
            client.close()
    return figures(tally, duration, cpu, times)


def load_gateway(processes: Processes, suite: Suite, workdir: Path, duration: int) -> Figures:
    say(f"gateway: GET {suite.read_url.removeprefix(suite.base_url)}, {GATEWAY_CLIENTS} clients")
    if shutil.which("wrk") is None:
        say(
            "wrk is not installed: the figures come from a Python load generator, which competes "
            "with the gateway for CPU. Install wrk (`apt-get install wrk`, `brew install wrk`) "
            "for a lighter, more exact load."
        )
        return run_python_load(suite, duration)
    script = workdir / "non200.lua"
    script.write_text(WRK_SCRIPT)
    run_wrk(processes, suite, script, WARMUP_SECONDS, "wrk-warmup")
    return run_wrk(processes, suite, script, duration, "wrk")


# --- the report ---------------------------------------------------------------------------------


def describe(args: argparse.Namespace) -> str:
    load = f"wrk -t2 -c{GATEWAY_CLIENTS}" if shutil.which("wrk") else "Python threads"
    gunicorn = f"{args.gateway_workers or 'default'} workers x {args.gateway_threads or 'default'}"
    database = "PostgreSQL" if args.postgres else "SQLite"
    return (
        f"{args.duration} s measured after {WARMUP_SECONDS} s of warm-up, "
        f"{os.cpu_count()} CPUs, load from {load}\n"
        f"gateway: {gunicorn} threads (default: as gateway/gunicorn.conf.py says); "
        f"customers: {args.service_instances} instance(s) on {database}"
    )


def ranked(shares: dict[str, float]) -> str:
    busiest = sorted(((k, v) for k, v in shares.items() if v >= 0.5), key=lambda item: -item[1])
    return ", ".join(f"{label} {share:.0f}%" for label, share in busiest)


def print_cpu(title: str, shares: dict[str, float]) -> float:
    """Print where the CPU went; returns the share this run's processes did not use."""
    machine = shares.get(CpuMeter.MACHINE, math.nan)
    ours = {k: v for k, v in shares.items() if k != CpuMeter.MACHINE and CpuMeter.OTHER not in k}
    others = {k.removeprefix(CpuMeter.OTHER): v for k, v in shares.items() if CpuMeter.OTHER in k}
    busiest_others = ranked({k: v for k, v in others.items() if v >= 3})
    unattributed = machine - sum(ours.values()) - sum(others.values())
    print(f"  {title:<9}all {machine:.0f}% of {100 * (os.cpu_count() or 1)}%: {ranked(ours)}")
    print(
        f"  {'':9}other processes {sum(others.values()):.0f}%"
        f"{' (' + busiest_others + ')' if busiest_others else ''}, unattributed "
        f"{unattributed:.0f}% (interrupts, processes that came and went)"
    )
    return sum(others.values()) + max(0.0, unattributed)


def report(args: argparse.Namespace, echo: Figures, per_call: PerCall, gateway: Figures) -> bool:
    """Print the figures and the verdict; True when every target is met."""
    ratio = gateway.rate / echo.rate if echo.rate else math.nan
    print(f"\n{describe(args)}\n")
    print(f"{'':36}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label, row in (
        (f"echo RPC ({ECHO_CALLERS} callers, kept proxies)", echo),
        (f"gateway GET contact ({GATEWAY_CLIENTS} clients)", gateway),
    ):
        print(f"{label:36}{row.rate:9.1f}{row.p50_ms:9.2f}{row.p99_ms:9.2f}{row.errors:8d}")
    print(f"\nratio gateway/echo: {ratio:.2f}")
    print(
        f"new ClusterRpcProxy per call: median {per_call.new_proxy_ms:.2f} ms against "
        f"{per_call.pooled_ms:.2f} ms through a kept proxy: +{per_call.added_ms:.2f} ms per call "
        f"({per_call.samples} sequential calls each)"
    )
    inside = ", ".join(f"in the {label} {ms:.1f} ms" for label, ms in gateway.server_ms.items())
    print(f"mean time of a gateway read: {gateway.mean_ms:.1f} ms at the client, {inside or '?'}")
    print("\nCPU used while measured, in % of one core (Linux only):")
    disturbed = max(print_cpu("echo", echo.cpu), print_cpu("gateway", gateway.cpu))
    if disturbed > OTHERS_NOTICEABLE:
        print(
            f"  note: something else took up to {disturbed:.0f}% of a core while measuring: "
            "on a quiet machine these figures would be better"
        )
    checks = [
        (
            f"gateway throughput >= {TARGET_RATIO:.0%} of echo",
            f"{ratio:.0%}",
            ratio >= TARGET_RATIO,
        ),
        (
            f"gateway p99 < {TARGET_P99_MS:.0f} ms",
            f"{gateway.p99_ms:.1f} ms",
            gateway.p99_ms < TARGET_P99_MS,
        ),
        ("no errors", f"{echo.errors + gateway.errors}", echo.errors + gateway.errors == 0),
    ]
    print("\nverdict:")
    for target, measured, met in checks:
        print(f"  {target:40}{measured:>10}  {'PASS' if met else 'FAIL'}")
    return all(met for _, _, met in checks)


# --- main ---------------------------------------------------------------------------------------


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Echo nameko RPC against GET /api/v1/contacts/{id} through the gateway."
    )
    parser.add_argument("--duration", type=positive, default=10, help="measured seconds (10)")
    parser.add_argument("--gateway-workers", type=positive, help="CRM_GATEWAY_WORKERS")
    parser.add_argument("--gateway-threads", type=positive, help="CRM_GATEWAY_THREADS")
    parser.add_argument(
        "--service-instances", type=positive, default=1, help="customers processes (1)"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="customers on a temporary PostgreSQL database"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> tuple[Figures, PerCall, Figures]:
    name = f"crm_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with contextlib.ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="crm-bench-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        say(f"setup: RabbitMQ vhost {name}, files in {workdir}")
        env = {**base_env(), "CRM_AMQP_URI": cleanup.enter_context(rabbitmq_vhost(name))}
        database_url = cleanup.enter_context(postgres_database(name)) if args.postgres else None
        processes = cleanup.enter_context(Processes(workdir))
        echo, per_call = bench_echo(processes, env, workdir, args.duration)
        env = suite_env(args, env, workdir, database_url)
        suite = start_suite(processes, env, args.service_instances)
        gateway = load_gateway(processes, suite, workdir, args.duration)
        say("done: stopping everything")
    return echo, per_call, gateway


def interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        echo, per_call, gateway = run(args)
    except BenchError as exc:
        say(f"benchmark failed: {exc}")
        return 2
    except KeyboardInterrupt:
        say("interrupted: everything it started is stopped")
        return 2
    return 0 if report(args, echo, per_call, gateway) else 1


if __name__ == "__main__":
    sys.exit(main())
