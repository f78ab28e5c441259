"""The README's `make run`, as a new user runs it: every process comes up behind the gateway,
a service scales to several instances, Ctrl-C stops everything, and a missing broker is one
clear line instead of a traceback."""

import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from infra.config import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "make run exited early"
        try:
            if requests.get(f"{url}/readyz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a service still starting
            pass
        time.sleep(0.5)
    raise AssertionError("the suite did not become ready in time")


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
    env = environment(tmp_path, amqp_uri, port)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", "SCALE=customers=2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
        token = requests.post(
            f"{url}/api/v1/auth/token",
            timeout=5,
            json={"email": "owner@example.com", "password": "owner-password-1"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
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
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"make run did not stop on Ctrl-C:\n{output}")

    # make reports its own interruption; what matters is that every process stopped cleanly.
    assert process.returncode in (0, -signal.SIGINT), output
    for name in ("customers.1", "customers.2", "gateway.1"):
        assert f"{name} stopped (rc=0)" in output, output
    assert f"CRM gateway     http://127.0.0.1:{port}" in output
    assert "Traceback" not in output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)


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
