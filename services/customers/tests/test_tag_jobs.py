"""Tagging many records: a small selection at once, a large one as a job run in batches by the
service's timer, resumed after its last batch when its process ended."""

import uuid

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from infra import locks
from infra.context import Actor
from infra.errors import NotFound, ValidationFailed
from infra.outbox import OutboxEvent
from services.customers import tag_jobs
from services.customers.models import Account, TagJob
from services.customers.service import CustomersService
from services.customers.tests.conftest import SALES_REP


@pytest.fixture
def service(session):
    return worker_factory(CustomersService, db=session, caller=SALES_REP, stopping=lambda: False)


@pytest.fixture
def five_accounts(service) -> list[dict]:
    return [service.create_account({"name": f"Account {n}"}) for n in range(5)]


def tags_of(service, accounts: list[dict]) -> list[list[str]]:
    return [service.get_account(account["id"])["tags"] for account in accounts]


def updates(session) -> int:
    return session.scalar(
        select(func.count()).where(OutboxEvent.type == "account_updated").select_from(OutboxEvent)
    )


def test_a_small_selection_is_tagged_at_once(service, five_accounts):
    answer = service.tag_accounts({"operation": "add", "tags": ["vip"], "filter": {}})

    assert answer == {"result": {"matched": 5, "changed": 5}}
    assert tags_of(service, five_accounts) == [["vip"]] * 5


def test_a_large_selection_becomes_a_job_that_tags_in_batches_and_resumes(
    service, session, five_accounts, monkeypatch
):
    monkeypatch.setattr(tag_jobs, "AT_ONCE", 2)
    service.tag_accounts({"operation": "add", "tags": ["old"], "ids": [five_accounts[0]["id"]]})

    job = service.tag_accounts({"operation": "add", "tags": ["expo", "old"], "filter": {}})["job"]

    assert (job["status"], job["total"], job["processed"]) == ("queued", 5, 0)
    assert tags_of(service, five_accounts)[1] == []  # nothing yet: the timer runs it
    stored = session.get(TagJob, uuid.UUID(job["id"]))
    tag_jobs.run(session, stored, stopping=iter([False, True]).__next__, batch_size=2)
    halfway = service.get_tag_job(job["id"])
    assert (halfway["status"], halfway["processed"], halfway["changed"]) == ("running", 2, 2)
    with locks.held(session.get_bind().engine, f"tag-job-{job['id']}"):
        service.run_tag_jobs()  # another process holds the job: this one leaves it alone
    assert service.get_tag_job(job["id"])["processed"] == 2

    service.run_tag_jobs()

    done = service.get_tag_job(job["id"])
    assert (done["status"], done["processed"], done["changed"]) == ("done", 5, 5)
    assert done["finished_at"] is not None
    assert tags_of(service, five_accounts) == [["expo", "old"]] * 5
    assert updates(session) == 1 + 5


def test_a_bad_filter_is_refused_before_any_job_exists(service, session, five_accounts):
    with pytest.raises(ValidationFailed) as refused:
        service.tag_accounts({"operation": "add", "tags": ["x"], "filter": {"country": "XX"}})

    assert "country" in refused.value.errors
    assert session.scalar(select(func.count()).select_from(TagJob)) == 0
    assert session.scalar(select(func.count()).select_from(Account)) == 5


def test_a_job_is_seen_by_its_creator_admins_and_managers_only(
    service, session, five_accounts, monkeypatch
):
    monkeypatch.setattr(tag_jobs, "AT_ONCE", 2)
    job = service.tag_accounts({"operation": "remove", "tags": ["x"], "filter": {}})["job"]
    other = Actor(user_id="7d3b3c1e-0000-4000-8000-000000000002", roles=["sales"])

    with pytest.raises(NotFound):
        worker_factory(CustomersService, db=session, caller=other).get_tag_job(job["id"])
    admin = Actor(user_id=None, roles=["admin"])
    assert worker_factory(CustomersService, db=session, caller=admin).get_tag_job(job["id"])
