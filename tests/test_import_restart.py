"""An import survives its service stopping: the running service pauses it between two batches
(the shutdown does not wait for the whole file), and the next instance resumes it after the
last committed batch, so the outcome is the same as an import that never stopped."""

import base64
import time
import uuid

from nameko.standalone.rpc import ClusterRpcProxy

from infra.context import CONTEXT_KEY, Actor
from infra.db import session_factory
from infra.testing import TEST_DATA
from services.customers.models import ImportJob
from services.customers.service import CustomersService

UPLOADER = Actor(user_id="7d3b3c1e-0000-4000-8000-000000000001", roles=["sales"], via="api")


def job_after(customers, job_id: str, condition, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = customers.get_import(job_id)
        if condition(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job never got there: {job}")


def test_a_stopped_service_pauses_an_import_and_the_next_instance_resumes_it(
    start_service, amqp_uri, database_url, backend
):
    shared = (TEST_DATA / "contacts.csv").read_bytes()
    rows = shared.partition(b"\r\n")[2]
    content = shared + rows + rows  # three times the rows: a long enough import to stop
    first = start_service(CustomersService)
    context = {CONTEXT_KEY: UPLOADER.as_dict()}
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context) as cluster:
        customers = cluster.customers
        job = customers.create_import({})
        for seq, start in enumerate(range(0, len(content), 256 * 1024)):
            piece = base64.b64encode(content[start : start + 256 * 1024]).decode()
            customers.append_import_chunk(job["id"], seq, piece)
        customers.queue_import(job["id"])
        job_after(customers, job["id"], lambda job: job["processed"] > 0)

        first.stop()

        with session_factory(database_url("customers", backend))() as session:
            paused = session.get(ImportJob, uuid.UUID(job["id"]))
        assert paused.status == "running" and 0 < paused.processed < paused.total
        start_service(CustomersService)
        done = job_after(customers, job["id"], lambda job: job["status"] == "done")

    assert done["total"] == done["processed"] == 3 * 2730
    assert done["created"] == 2400 and done["duplicates"] == 200 + 2 * 2600
    assert len(done["rejected"]) == 3 * 130
