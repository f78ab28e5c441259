"""The OpenAPI document is a contract clients generate code from (DESIGN.md §6): schemathesis
fuzzes the running suite from `/api/v1/openapi.json` as an admin, a bounded number of requests
per operation with a fixed seed, and fails on any server error, any response that does not
match its schema, and any undocumented status, content type or header. The suite runs as
`make run` starts it, on PostgreSQL databases and a broker vhost of its own."""

import contextlib
import os
import signal
import subprocess
import sys

import pytest
import requests

from infra import config
from infra.config import ROOT
from infra.testing import free_port, own_vhost, postgres_database
from tests.test_make_run import environment, wait_until

# Per operation, beside the cases the coverage phase derives from each schema: about three
# minutes here for the 120 or so operations. README says how to run it longer.
MAX_EXAMPLES = os.environ.get("CRM_CONTRACT_EXAMPLES", "6")
SEED = os.environ.get("CRM_CONTRACT_SEED", "20261203")
TIME_LIMIT = 120 + 30 * int(MAX_EXAMPLES)  # seconds; a longer run by hand gets longer


def ready(url: str, process: subprocess.Popen) -> bool:
    assert process.poll() is None, "make run exited early"
    try:
        return requests.get(f"{url}/readyz", timeout=10).status_code == 200
    except requests.RequestException:  # not listening yet, or a service still starting
        return False


@pytest.fixture
def contract_vhost():
    with own_vhost("crm-contract") as uri:
        yield uri


@pytest.fixture
def suite_url(tmp_path, contract_vhost):
    """`make run` on fresh PostgreSQL databases: the gateway's URL. The suite's log is kept in
    `suite.log` beside the test's other files (a failure shows its end)."""
    port = free_port()
    env = environment(tmp_path, contract_vhost, port)
    with contextlib.ExitStack() as databases, open(tmp_path / "suite.log", "w") as log:
        for name in ("gateway", *config.SERVICES):
            url = databases.enter_context(postgres_database())
            env[f"CRM_{name.upper()}_DATABASE_URL"] = url
        process = subprocess.Popen(
            # -o: a worktree's shared .venv is not rebuilt; a clone's was made by make test
            ["make", "--no-print-directory", "-o", ".venv/bin/activate", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: ready(url, process), "the suite's readiness", timeout=90)
            yield url
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.timeout(TIME_LIMIT + 120)
def test_schemathesis_finds_nothing(suite_url, tmp_path):
    token = requests.post(
        f"{suite_url}/api/v1/auth/token",
        json={"email": "owner@example.com", "password": "owner-password-1"},
        timeout=10,
    ).json()["access_token"]

    run = subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli", "run"),
            f"{suite_url}/api/v1/openapi.json",
            *("--header", f"Authorization: Bearer {token}"),
            *("--max-examples", MAX_EXAMPLES, "--seed", SEED),
            *("--workers", "2", "--no-color"),
        ],
        cwd=ROOT,  # where schemathesis.toml says which checks run, and why not the others
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
    )

    print(run.stdout[-12000:])  # warnings, the phases' times and counts, with -s
    suite_log = (tmp_path / "suite.log").read_text(errors="replace")
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:] + suite_log[-10000:]
