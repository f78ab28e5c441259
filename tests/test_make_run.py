"""The README's `make run`, as a new user runs it: every process comes up behind the gateway,
a service scales to several instances, a killed process is restarted on its own (one that
cannot start, after growing delays), the suite serves again after a broker restart with every
event published, Ctrl-C stops everything, and a missing broker is one clear line instead of a
traceback."""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from datetime import datetime

import pika
import pytest
import requests
from sqlalchemy import select

from infra.config import ROOT
from infra.db import engine_for
from infra.launcher import LaunchError, instance_counts, instances
from infra.outbox import OutboxEvent
from infra.testing import free_port


def environment(tmp_path, amqp_uri: str, port: int) -> dict:
    return {
        **os.environ,
        "CRM_VAR_DIR": str(tmp_path / "var"),
        "CRM_AMQP_URI": amqp_uri,
        "CRM_GATEWAY_BIND": f"127.0.0.1:{port}",
        "CRM_ADMIN_EMAIL": "owner@example.com",
        "CRM_ADMIN_PASSWORD": "owner-password-1",
        "PORT_BASE": str(free_port()),
    }


class MakeRun:
    """`make run` in a session of its own, its output collected line by line as it comes."""

    def __init__(self, env: dict, *args: str):
        self.url = f"http://{env['CRM_GATEWAY_BIND']}"
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def pids(self, name: str) -> list[int]:
        """Every pid supervisor started the process `name` (`customers.1`) with, in order."""
        spawned = rf"spawned: '{re.escape(name)}' with pid (\d+)"
        return [int(pid) for pid in re.findall(spawned, self.output)]

    def ready(self) -> bool:
        assert self.process.poll() is None, f"make run exited early:\n{self.output}"
        try:
            return requests.get(f"{self.url}/readyz", timeout=10).status_code == 200
        except requests.RequestException:  # not listening yet, or a service still starting
            return False

    def log_in(self) -> dict:
        token = requests.post(
            f"{self.url}/api/v1/auth/token",
            timeout=5,
            json={"email": "owner@example.com", "password": "owner-password-1"},
        ).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def ctrl_c(self) -> str:
        """What Ctrl-C in a terminal does: SIGINT to the whole process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            pytest.fail(f"make run did not stop on Ctrl-C:\n{self.output}")
        self.reader.join(timeout=10)
        return self.output


def wait_until(condition, what: str, timeout: float = 60) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what} did not happen in {timeout} s"
        time.sleep(0.5)
    return time.monotonic() - started


def rpc_consumers(amqp_uri: str, queue: str) -> int:
    vhost = amqp_uri.rsplit("/", 1)[1]
    listing = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "consumers"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return next(
        (
            int(line.split()[1])
            for line in listing.splitlines()
            if line.split() and line.split()[0] == queue
        ),
        0,
    )


def test_make_run_starts_the_suite_scales_a_service_and_stops_on_ctrl_c(tmp_path, amqp_uri):
    port = free_port()
    suite = MakeRun(environment(tmp_path, amqp_uri, port), "SCALE=customers=2")
    url = suite.url
    try:
        wait_until(suite.ready, "the suite's readiness")
        auth = suite.log_in()
        created = requests.post(
            f"{url}/api/v1/contacts",
            headers=auth,
            timeout=5,
            json={"first_name": "Ada", "last_name": "Lovelace"},
        )
        assert created.status_code == 201
        read = requests.get(
            f"{url}/api/v1/contacts/{created.json()['id']}", headers=auth, timeout=5
        )
        assert read.json()["last_name"] == "Lovelace"
        assert (tmp_path / "var" / "customers.db").exists()
        assert rpc_consumers(amqp_uri, "rpc-customers") == 2
    finally:
        output = suite.ctrl_c()

    # make reports its own interruption; what matters is that every process stopped cleanly.
    assert suite.process.returncode in (0, -signal.SIGINT), output
    for name in ("customers.1", "customers.2", "sales.1", "gateway.1"):
        assert f"stopped: {name} (exit status 0)" in output, output
    assert f"CRM gateway     http://127.0.0.1:{port}" in output
    assert "Traceback" not in output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)


def test_a_killed_service_process_is_restarted_and_serves_again_the_others_untouched(
    tmp_path, amqp_uri
):
    suite = MakeRun(environment(tmp_path, amqp_uri, free_port()))
    try:
        wait_until(suite.ready, "the suite's readiness")
        [customers], [sales], [gateway] = (
            suite.pids(f"{n}.1") for n in ("customers", "sales", "gateway")
        )

        os.kill(customers, signal.SIGKILL)
        wait_until(lambda: len(suite.pids("customers.1")) == 2, "the restart of customers.1")
        wait_until(suite.ready, "the suite's readiness after the restart")

        created = requests.post(
            f"{suite.url}/api/v1/contacts",
            headers=suite.log_in(),
            timeout=10,
            json={"first_name": "Grace", "last_name": "Hopper"},
        )
        assert created.status_code == 201  # the new customers.1 is the only instance
        assert rpc_consumers(amqp_uri, "rpc-customers") == 1
        assert (suite.pids("sales.1"), suite.pids("gateway.1")) == ([sales], [gateway])
        for untouched in (sales, gateway):
            os.kill(untouched, 0)  # still running
    finally:
        output = suite.ctrl_c()

    assert "exited: customers.1 (terminated by SIGKILL; not expected)" in output, output
    assert "exited: sales.1" not in output and "exited: gateway.1" not in output, output


def supervisor_times(output: str, event: str, name: str) -> list[datetime]:
    """When supervisor logged `event` (exited, spawned) for the process `name`."""
    pattern = rf"^(\S+ \S+) \w+ {event}: '?{re.escape(name)}'? "
    return [
        datetime.strptime(moment, "%Y-%m-%d %H:%M:%S,%f")
        for moment in re.findall(pattern, output, re.MULTILINE)
    ]


@pytest.mark.timeout(300)
def test_a_process_that_fails_to_start_is_retried_after_growing_delays(tmp_path, amqp_uri):
    env = environment(tmp_path, amqp_uri, free_port())
    with socket.socket() as taken:  # customers.1's metrics port: it cannot start
        taken.bind(("127.0.0.1", int(env["PORT_BASE"])))
        taken.listen()
        suite = MakeRun(env)
        try:
            wait_until(lambda: len(suite.pids("customers.1")) == 4, "three failed starts", 240)
        finally:
            taken.close()
        try:
            wait_until(suite.ready, "the suite's readiness once the port is free", 120)
            started = "success: customers.1 entered RUNNING state"
            wait_until(lambda: started in suite.output, "customers.1 counted as started", 60)
        finally:
            output = suite.ctrl_c()

    assert "exited: customers.1 (exit status 1; not expected)" in output, output
    exited = supervisor_times(output, "exited", "customers.1")
    spawned = supervisor_times(output, "spawned", "customers.1")[1:]
    delays = [(start - end).total_seconds() for end, start in zip(exited, spawned, strict=True)]
    assert delays[2] > delays[1] > 0.9, delays  # supervisor waits 1, 2, 3, ... s
    assert "success: customers.1 entered RUNNING state" in output, output


def test_make_run_without_a_broker_says_so_in_one_line(tmp_path):
    env = environment(tmp_path, "amqp://guest:guest@127.0.0.1:1/", free_port())

    result = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    [line] = [text for text in result.stderr.splitlines() if "RabbitMQ" in text]
    assert line.startswith("RabbitMQ is not reachable at amqp://guest:guest@127.0.0.1:1/")
    assert "rabbitmq-server" in line


def test_scale_gives_each_instance_its_own_metrics_port():
    processes = {"customers": "a", "sales": "b", "gateway": "c"}

    counts = instance_counts("customers=2, sales=0", processes)

    assert list(instances(processes, counts, 9100)) == [
        ("customers.1", "a", 9100),
        ("customers.2", "a", 9101),
        ("gateway.1", "c", 9300),
    ]


@pytest.mark.parametrize("scale", ["billing=2", "customers", "customers=two", "customers=-1"])
def test_a_bad_scale_is_refused_naming_the_processes(scale):
    with pytest.raises(LaunchError) as refused:
        instance_counts(scale, ["customers", "sales", "gateway"])

    assert f"SCALE={scale!r}" in str(refused.value)
    assert "customers, sales, gateway" in str(refused.value)


def bind_outside_queue(amqp_uri: str, queue: str) -> None:
    """What an ERP does before it relies on the events: a durable queue on both services'
    event exchanges, which keeps what is published while the consumer is away."""
    with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as connection:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True)
        for exchange in ("customers.events", "sales.events"):
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
            channel.queue_bind(queue, exchange, routing_key="#")


def received_events(amqp_uri: str, queue: str) -> set[tuple[str, int]]:
    received = set()
    with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as connection:
        channel = connection.channel()
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return received
            envelope = json.loads(body)
            received.add((envelope["source"], envelope["sequence"]))


def committed_events(var_dir) -> set[tuple[str, int]]:
    committed = set()
    for service in ("customers", "sales"):
        with engine_for(f"sqlite:///{var_dir / service}.db").connect() as connection:
            sequences = connection.scalars(select(OutboxEvent.sequence))
            committed |= {(f"crm/{service}", sequence) for sequence in sequences}
    return committed


def create_records(url: str, auth: dict, stop: threading.Event, answers: list) -> None:
    """One client creating contacts and leads, at most 400, until told to stop."""
    for number in range(400):
        if stop.is_set():
            return
        path, body = (
            ("contacts", {"first_name": "Ada", "last_name": f"Client {number}"})
            if number % 2
            else ("leads", {"last_name": f"Lead {number}", "company": "Acme"})
        )
        try:
            answers.append(
                requests.post(
                    f"{url}/api/v1/{path}", headers=auth, json=body, timeout=10
                ).status_code
            )
        except requests.RequestException as exc:
            answers.append(type(exc).__name__)
        time.sleep(0.05)


@pytest.mark.timeout(400)
def test_the_suite_serves_again_after_a_broker_restart_and_publishes_every_event(
    tmp_path, own_broker
):
    amqp_uri = own_broker.amqp_uri
    bind_outside_queue(amqp_uri, "erp")
    env = {**environment(tmp_path, amqp_uri, free_port()), "CRM_OUTBOX_SWEEP_SECONDS": "1"}
    suite = MakeRun(env)
    stop, answers = threading.Event(), []
    try:
        wait_until(suite.ready, "the suite's readiness", timeout=120)
        auth = suite.log_in()
        clients = [
            threading.Thread(target=create_records, args=(suite.url, auth, stop, answers))
            for _ in range(4)
        ]
        for client in clients:
            client.start()
        time.sleep(3)

        own_broker.stop_app()
        time.sleep(10)
        own_broker.start_app()
        back_in = wait_until(suite.ready, "the suite's readiness after the broker restart")
        time.sleep(3)  # the clients create a few more records with the broker back
        stop.set()
        for client in clients:
            client.join(timeout=30)

        assert back_in < 30, f"the suite took {back_in:.0f} s to serve again"
        assert answers.count(201) > 0 and 503 in answers, answers  # the outage was felt
        committed = committed_events(tmp_path / "var")
        received: set = set()

        def every_event_received() -> bool:
            received.update(received_events(amqp_uri, "erp"))
            return committed <= received

        wait_until(every_event_received, "the publication of every committed event", timeout=30)
        for name in ("customers.1", "sales.1", "gateway.1"):
            assert len(suite.pids(name)) == 1, f"{name} was restarted:\n{suite.output}"
    finally:
        stop.set()
        output = suite.ctrl_c()

    assert "exited:" not in output, output  # supervisor's word for a process that died
