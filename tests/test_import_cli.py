"""The command-line import, run as a user runs it: a process of its own uploading over HTTP to
a live gateway (the app served on a port, the services running against the real broker),
showing progress and printing the outcome."""

import subprocess
import sys
import threading

import pytest
from werkzeug.serving import make_server

from infra.config import ROOT
from infra.testing import TEST_DATA


@pytest.fixture
def live_gateway(gateway_app, suite):
    server = make_server("127.0.0.1", 0, gateway_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def api_key(api) -> str:
    created = api.post("/api/v1/api-keys", json={"name": "nightly import", "role": "sales"})
    return created.json["key"]


def import_contacts(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.import_contacts", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_uploads_shows_progress_and_prints_the_outcome(live_gateway, api_key, api):
    result = import_contacts(
        str(TEST_DATA / "contacts_gbk.csv"), "--url", live_gateway, "--api-key", api_key
    )

    assert result.returncode == 0, result.stderr
    assert "done: 2730 of 2730 rows, 2400 created, 200 duplicates (0 merged), 130 rejected" in (
        result.stdout
    )
    for reason, count in (("invalid_email", 60), ("missing_name", 40), ("bad_birthday", 30)):
        assert f"{reason:<20} {count}" in result.stdout
    assert "upload" in result.stderr and "2730/2730" in result.stderr  # the progress bars
    found = api.get("/api/v1/contacts", query_string={"q": "朱飞"}).json["items"]
    assert len(found) == 1


def test_the_cli_prints_why_a_file_is_refused(live_gateway, api_key, tmp_path):
    picture = tmp_path / "photo.csv"
    picture.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(64))

    result = import_contacts(str(picture), "--url", live_gateway, "--api-key", api_key)

    assert result.returncode == 2
    assert "422 Validation failed" in result.stderr and "file: This is not a CSV" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_needs_a_key_or_a_token(tmp_path):
    result = import_contacts(str(TEST_DATA / "contacts.csv"))

    assert result.returncode == 2 and "--api-key" in result.stderr
