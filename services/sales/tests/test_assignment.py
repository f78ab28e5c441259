"""Lead assignment: teams, rules by territory and source, round robin (also under concurrent
creates, through a running service), manual reassignment; on SQLite and PostgreSQL."""

import uuid
from collections import Counter

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from infra.errors import ValidationFailed
from services.sales import teams
from services.sales.models import AssignmentRule, Lead, Team
from services.sales.service import SalesService
from services.sales.tests.conftest import SALES_REP
from services.sales.tests.test_leads import count, events, types

ANNA, BERT, CARL, DORA = (f"0f8a7c1e-0000-4000-8000-00000000000{n}" for n in range(1, 5))


def team(service, name="DACH", members=(ANNA, BERT)) -> dict:
    """A team of the gateway's directory, as sales knows it from the directory's event."""
    data = {"id": str(uuid.uuid4()), "name": name, "member_ids": list(members)}
    teams.on_team_saved(service.db, {"type": "team_created", "data": data})
    return data


def owners(service, count_: int, **data) -> list[str]:
    return [service.create_lead({"last_name": f"L{i}", **data})["owner_id"] for i in range(count_)]


def test_a_team_takes_turns_in_member_order(service, session):
    dach = team(service, members=(ANNA, BERT, CARL))
    service.create_assignment_rule({"name": "All", "team_id": dach["id"]})

    assert owners(service, 7) == [ANNA, BERT, CARL, ANNA, BERT, CARL, ANNA]
    assigned = [e["data"] for e in events(session) if e["type"] == "lead_assigned"]
    assert len(assigned) == 7
    assert assigned[0]["team_id"] == dach["id"] and assigned[0]["rule_id"]
    assert assigned[0]["previous_owner_id"] is None


def test_rules_apply_by_position_to_country_region_and_source(service):
    dach = team(service, members=(ANNA, BERT))
    service.create_assignment_rule(
        {"name": "Expo", "position": 1, "conditions": {"source": ["Expo"]}, "user_id": DORA}
    )
    service.create_assignment_rule(
        {
            "name": "DACH",
            "position": 2,
            "conditions": {"country": ["de", "AT"]},
            "team_id": dach["id"],
        }
    )
    service.create_assignment_rule(
        {"name": "Bavaria", "position": 0, "conditions": {"region": ["Bayern"]}, "user_id": CARL}
    )

    def owner(**data):
        return service.create_lead({"last_name": "L", **data})["owner_id"]

    assert owner(country="DE", region="bayern") == CARL
    assert owner(country="AT", source="expo") == DORA
    assert owner(country="AT") == ANNA
    assert owner(country="DE") == BERT
    assert owner(country="FR") == SALES_REP.user_id  # no rule: its creator's


def test_inactive_rules_and_empty_teams_pass_the_lead_on(service):
    empty = team(service, name="Nobody", members=())
    service.create_assignment_rule({"name": "Empty", "position": 0, "team_id": empty["id"]})
    service.create_assignment_rule({"name": "Off", "position": 1, "user_id": CARL, "active": False})
    service.create_assignment_rule({"name": "Catch-all", "position": 2, "user_id": DORA})

    assert owners(service, 2) == [DORA, DORA]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"name": "Both", "team_id": "TEAM", "user_id": ANNA}, "team_id"),
        ({"name": "Neither"}, "team_id"),
        ({"name": "Ghost team", "team_id": "0f8a7c1e-0000-4000-8000-0000000000ff"}, "team_id"),
        ({"name": "Bad user", "user_id": "anna"}, "user_id"),
        ({"name": "Bad key", "user_id": ANNA, "conditions": {"city": ["Berlin"]}}, "conditions"),
        (
            {"name": "Bad land", "user_id": ANNA, "conditions": {"country": ["Germany"]}},
            "conditions",
        ),
        ({"name": "No values", "user_id": ANNA, "conditions": {"source": []}}, "conditions"),
        ({"name": "", "user_id": ANNA}, "name"),
        ({"name": "Far", "user_id": ANNA, "position": -1}, "position"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_written(service, session, rule, field):
    dach = team(service)
    rule = {key: dach["id"] if value == "TEAM" else value for key, value in rule.items()}

    with pytest.raises(ValidationFailed) as refused:
        service.create_assignment_rule(rule)

    assert field in refused.value.errors
    assert count(session, AssignmentRule) == 0


def test_a_rule_update_keeps_one_existing_target(service, session):
    dach = team(service)
    rule = service.create_assignment_rule({"name": "R", "user_id": ANNA})

    with pytest.raises(ValidationFailed) as both:
        service.update_assignment_rule(rule["id"], {"team_id": dach["id"]})
    with pytest.raises(ValidationFailed) as ghost:
        service.update_assignment_rule(
            rule["id"], {"team_id": "0f8a7c1e-0000-4000-8000-0000000000ff", "user_id": None}
        )
    assert "team_id" in both.value.errors and "team_id" in ghost.value.errors
    assert service.get_assignment_rule(rule["id"])["user_id"] == ANNA

    moved = service.update_assignment_rule(rule["id"], {"team_id": dach["id"], "user_id": None})
    assert moved["team_id"] == dach["id"] and moved["user_id"] is None
    assert [r["name"] for r in service.list_assignment_rules({})["items"]] == ["R"]
    assert service.list_assignment_rules({"active": False})["items"] == []


def test_a_team_dissolved_in_the_directory_gets_no_more_leads(service, session):
    dach = team(service)
    rule = service.create_assignment_rule({"name": "DACH", "team_id": dach["id"]})
    renamed = {**dach, "name": "Central", "member_ids": [CARL]}
    teams.on_team_saved(session, {"type": "team_updated", "data": renamed})
    assert owners(service, 2) == [CARL, CARL]

    teams.on_team_deleted(session, {"type": "team_deleted", "data": {"id": dach["id"]}})

    assert service.get_assignment_rule(rule["id"])["active"] is False
    assert owners(service, 1) == [SALES_REP.user_id]  # no rule: the creator's
    assert types(session)[-1] == "lead_assigned"
    team(service, name="Central")  # the name is free again
    with pytest.raises(ValidationFailed) as gone:
        service.assign_lead(service.create_lead({"last_name": "X"})["id"], {"team_id": dach["id"]})
    assert "team_id" in gone.value.errors


def test_manual_assignment_to_a_user_or_to_a_team(service, session):
    dach = team(service, members=(ANNA, BERT))
    lead = service.create_lead({"last_name": "Li"})

    to_carl = service.assign_lead(lead["id"], {"owner_id": CARL})
    to_team = service.assign_lead(lead["id"], {"team_id": dach["id"]})

    assert to_carl["owner_id"] == CARL and to_team["owner_id"] == ANNA
    assert types(session) == [
        "lead_created",
        "lead_assigned",  # to its creator
        "lead_updated",
        "lead_assigned",
        "lead_updated",
        "lead_assigned",
    ]
    last = events(session)[-1]["data"]
    assert last["previous_owner_id"] == CARL and last["team_id"] == dach["id"]
    assert last["rule_id"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "owner_id"),
        ({"owner_id": ANNA, "team_id": "TEAM"}, "owner_id"),
        ({"team_id": "0f8a7c1e-0000-4000-8000-0000000000ff"}, "team_id"),
        ({"team_id": "EMPTY"}, "team_id"),
        ({"owner_id": "anna"}, "owner_id"),
    ],
)
def test_bad_assignments_are_refused_and_nothing_changes(service, session, data, field):
    named = {"TEAM": team(service)["id"], "EMPTY": team(service, "Empty", ())["id"]}
    lead = service.create_lead({"last_name": "Li"})
    data = {key: named.get(value, value) for key, value in data.items()}

    with pytest.raises(ValidationFailed) as refused:
        service.assign_lead(lead["id"], data)

    assert field in refused.value.errors
    assert service.get_lead(lead["id"])["owner_id"] == SALES_REP.user_id  # its creator still
    assert types(session) == ["lead_created", "lead_assigned"]


def test_concurrent_creates_take_distinct_turns(start_service, amqp_uri):
    """Twenty leads created at once through a running service (ten workers): each member of
    the team gets exactly its share, so no two creates took the same turn."""
    container = start_service(SalesService)
    Session = next(d for d in container.dependencies if d.attr_name == "db").Session
    dach = {"id": str(uuid.uuid4()), "name": "DACH", "member_ids": [ANNA, BERT, CARL, DORA]}
    with Session.begin() as session:
        teams.on_team_saved(session, {"type": "team_created", "data": dach})
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        sales = cluster.sales
        sales.create_assignment_rule({"name": "All", "team_id": dach["id"]})
        calls = [sales.create_lead.call_async({"last_name": f"L{i}"}) for i in range(20)]
        assigned = Counter(call.result()["owner_id"] for call in calls)

    assert assigned == {ANNA: 5, BERT: 5, CARL: 5, DORA: 5}
    with Session() as session:
        assert session.scalar(select(Team.next_turn)) == 20
        assert session.scalar(select(func.count()).select_from(Lead)) == 20
