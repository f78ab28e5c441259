"""Engagements from the marketing service's events, through the real broker: a throwaway
nameko service named "marketing" publishes real envelopes from its outbox, as the marketing
service will; the running sales service scores the leads they name."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from infra import outbox
from infra.context import Actor
from infra.db import Base as PlatformBase
from infra.db import engine_for, session_factory
from infra.outbox import EventCounter
from infra.service import CrmService, rpc
from infra.testing import wait_for
from services.sales.models import Engagement
from services.sales.service import SalesService


class MarketingStandIn(CrmService):
    """Publishes what the marketing service will: `email_opened`, `email_clicked`,
    `form_submitted`, each naming a `lead_id` or an `email`."""

    name = "marketing"

    @rpc
    def track(self, type: str, data: dict) -> dict:
        envelope = outbox.record(self.db, "marketing", type, data, Actor().as_dict())
        self.db.commit()
        return envelope


@pytest.fixture(scope="module")
def marketing_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('marketing')}/marketing.db"
    from infra import consumer  # noqa: F401  (its table joins the platform metadata)

    PlatformBase.metadata.create_all(engine_for(url))
    with session_factory(url)() as session:
        session.add(EventCounter(id=1, last_sequence=0))
        session.commit()
    return url


@pytest.fixture
def cluster(start_service, marketing_url, amqp_uri):
    sales = start_service(SalesService)
    start_service(MarketingStandIn, DATABASE_URL=marketing_url)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        yield proxy, sales


def engagements(container) -> list[tuple]:
    Session = next(d for d in container.dependencies if d.attr_name == "db").Session
    with Session() as session:
        rows = session.execute(select(Engagement.lead_id, Engagement.event_type))
        return sorted((str(lead_id), event_type) for lead_id, event_type in rows)


def test_marketing_events_become_engagements_by_lead_id_or_email(cluster):
    proxy, sales = cluster
    for event_type, points in (("email_opened", 1), ("email_clicked", 5), ("form_submitted", 20)):
        proxy.sales.create_scoring_rule(
            {"name": event_type, "event_type": event_type, "points": points, "half_life_days": 30}
        )
    ada = proxy.sales.create_lead({"first_name": "Ada", "email": "Ada@Example.com"})
    grace = proxy.sales.create_lead({"first_name": "Grace", "email": "grace@example.com"})
    stranger = {"email": "nobody@example.com"}

    proxy.marketing.track("email_opened", {"lead_id": ada["id"], "email": "x@example.com"})
    proxy.marketing.track("email_clicked", {"email": " ADA@example.COM "})
    proxy.marketing.track("form_submitted", {"email": "grace@example.com", "form": "demo"})
    proxy.marketing.track("email_opened", stranger)
    proxy.marketing.track("campaign_sent", {"campaign_id": "c1"})
    proxy.marketing.track("email_clicked", {"lead_id": grace["id"], "occurred_at": "garbage"})

    wait_for(lambda: proxy.sales.get_lead(grace["id"])["score"] == 25)
    assert proxy.sales.get_lead(ada["id"])["score"] == 6
    assert engagements(sales) == sorted(
        [
            (ada["id"], "email_opened"),
            (ada["id"], "email_clicked"),
            (grace["id"], "form_submitted"),
            (grace["id"], "email_clicked"),
        ]
    )


def test_a_redelivered_event_counts_once(cluster):
    proxy, sales = cluster
    proxy.sales.create_scoring_rule({"name": "Clicked", "event_type": "email_clicked", "points": 5})
    ada = proxy.sales.create_lead({"first_name": "Ada", "email": "ada@example.com"})
    envelope = proxy.marketing.track("email_clicked", {"lead_id": ada["id"]})
    wait_for(lambda: proxy.sales.get_lead(ada["id"])["score"] == 5)

    relay = outbox.Relay("marketing", sales.config["AMQP_URI"], None, {})
    relay.send(envelope)  # delivered again
    proxy.marketing.track("email_opened", {"lead_id": ada["id"]})  # behind the duplicate

    wait_for(lambda: len(engagements(sales)) == 2)
    assert proxy.sales.get_lead(ada["id"])["score"] == 5
