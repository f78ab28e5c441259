"""Leads, teams, assignment and scoring rules, and the CSV import through the gateway, with the
sales service running on the real broker, on SQLite and PostgreSQL."""

import io
import uuid

LEADS = "/api/v1/leads"
TEAMS = "/api/v1/teams"
ASSIGNMENT_RULES = "/api/v1/assignment-rules"
SCORING_RULES = "/api/v1/scoring-rules"


def user_id(api, role: str) -> str:
    api.headers(role)  # makes the user on first use
    users = api.get("/api/v1/users").json
    return next(user["id"] for user in users if user["email"] == f"{role}@example.com")


def lead_count(api) -> int:
    return len(api.get(LEADS, query_string={"limit": 200}).json["items"])


def test_create_read_update_delete_a_lead(api):
    created = api.post(
        LEADS,
        role="sales",
        json={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    )
    assert created.status_code == 201, created.json
    assert created.headers["ETag"] == '"1"'
    url = created.headers["Location"]
    assert url.endswith(f"{LEADS}/{created.json['id']}")

    read = api.get(url, role="viewer")
    assert read.status_code == 200 and read.json["status"] == "new"
    updated = api.patch(
        url, role="sales", headers={"If-Match": read.headers["ETag"]}, json={"status": "contacted"}
    )
    stale = api.patch(url, role="sales", headers={"If-Match": '"1"'}, json={"title": "CTO"})
    assert updated.status_code == 200 and updated.headers["ETag"] == '"2"'
    assert stale.status_code == 412

    assert api.post(LEADS, role="viewer", json={"last_name": "X"}).status_code == 403
    assert api.delete(url, role="sales").status_code == 204
    assert api.get(url).status_code == 404


def test_bad_leads_are_422_naming_the_field_and_write_nothing(api):
    for body, field in [
        ({"last_name": "Li", "owner_id": str(uuid.uuid4())}, "owner_id"),
        ({"last_name": "Li", "email": "not-an-email"}, "email"),
        ({"last_name": "Li", "status": "hot"}, "status"),
        ({"last_name": "Li", "score": -3}, "score"),
    ]:
        response = api.post(LEADS, role="sales", json=body)
        assert response.status_code == 422, (body, response.json)
        assert response.mimetype == "application/problem+json"
        assert list(response.json["errors"]) == [field]
    assert lead_count(api) == 0


def test_admins_configure_teams_and_rules_that_assign_new_leads(api):
    sales, manager = user_id(api, "sales"), user_id(api, "manager")
    team = {"name": "DACH", "member_ids": [sales, manager]}
    assert api.post(TEAMS, role="sales", json=team).status_code == 403
    ghost = api.post(TEAMS, json={"name": "Ghosts", "member_ids": [str(uuid.uuid4())]})
    assert ghost.status_code == 422 and list(ghost.json["errors"]) == ["member_ids"]
    dach = api.post(TEAMS, json=team)
    assert dach.status_code == 201, dach.json

    for rule, field in [
        ({"name": "Ghost", "user_id": str(uuid.uuid4())}, "user_id"),
        ({"name": "No team", "team_id": str(uuid.uuid4())}, "team_id"),
        ({"name": "Both", "team_id": dach.json["id"], "user_id": sales}, "team_id"),
        ({"name": "Land", "user_id": sales, "conditions": {"country": ["XX"]}}, "conditions"),
    ]:
        refused = api.post(ASSIGNMENT_RULES, json=rule)
        assert refused.status_code == 422 and list(refused.json["errors"]) == [field], rule
    assert api.get(ASSIGNMENT_RULES).json["items"] == []
    rule = {"name": "DACH", "conditions": {"country": ["DE", "AT"]}, "team_id": dach.json["id"]}
    assert api.post(ASSIGNMENT_RULES, json=rule).status_code == 201

    owners = [
        api.post(LEADS, role="sales", json={"last_name": "L", "country": country}).json["owner_id"]
        for country in ("DE", "AT", "FR", "de")
    ]
    assert owners == [sales, manager, sales, sales]  # no rule for FR: the creator's


def test_a_lead_is_reassigned_to_a_user_or_a_team(api):
    sales, manager = user_id(api, "sales"), user_id(api, "manager")
    team = api.post(TEAMS, json={"name": "Inside", "member_ids": [manager]}).json
    lead = api.post(LEADS, role="sales", json={"last_name": "Li"}).json
    assign = f"{LEADS}/{lead['id']}/assign"

    to_sales = api.post(assign, role="sales", json={"owner_id": sales})
    to_team = api.post(assign, role="sales", json={"team_id": team["id"]})

    assert to_sales.status_code == 200 and to_sales.json["owner_id"] == sales
    assert to_team.status_code == 200 and to_team.json["owner_id"] == manager
    assert to_team.headers["ETag"] == '"2"'  # created as its creator's: one move, not two
    # The manager's now, outside the sales user's teams: theirs to change no more (404).
    assert api.post(assign, role="sales", json={"owner_id": sales}).status_code == 404
    for body, field in [
        ({"owner_id": str(uuid.uuid4())}, "owner_id"),
        ({"team_id": str(uuid.uuid4())}, "team_id"),
        ({}, "owner_id"),
    ]:
        refused = api.post(assign, role="manager", json=body)
        assert refused.status_code == 422 and list(refused.json["errors"]) == [field], body
    assert api.get(f"{LEADS}/{lead['id']}").json["owner_id"] == manager
    assert api.post(assign, role="viewer", json={"owner_id": sales}).status_code == 403


def test_scores_follow_the_rules_and_sort_the_list(api):
    rule = {"name": "CxO", "field": "title", "operator": "contains", "value": "chief", "points": 30}
    assert api.post(SCORING_RULES, role="sales", json=rule).status_code == 403
    bad = api.post(SCORING_RULES, json={**rule, "operator": "like"})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["operator"]
    assert api.post(SCORING_RULES, json=rule).status_code == 201
    for name, title in (("Low", "Intern"), ("High", "Chief Executive"), ("Mid", None)):
        api.post(LEADS, role="sales", json={"last_name": name, "title": title})

    ranked = api.get(LEADS, role="viewer", query_string={"sort": "-score"}).json["items"]
    hot = api.get(LEADS, query_string={"score_min": 30}).json["items"]

    assert ranked[0]["last_name"] == "High" and ranked[0]["score"] == 30
    assert ranked[0]["score_reasons"] == [
        {"rule_id": ranked[0]["score_reasons"][0]["rule_id"], "rule": "CxO", "points": 30}
    ]
    assert [lead["last_name"] for lead in hot] == ["High"]


def upload(api, content: bytes, role: str = "sales", **form):
    return api.post(
        f"{LEADS}/import",
        role=role,
        data={"file": (io.BytesIO(content), "leads.csv"), **form},
        content_type="multipart/form-data",
    )


def test_a_csv_file_is_imported_with_rejections_by_line(api):
    content = (
        "\ufefffirst_name,last_name,email,company\r\n"
        "伟,张,zhang@example.cn,华为\r\n"
        "Ada,Lovelace,not-an-email,Engines\r\n"
        "Grace,Hopper,grace@example.com,Navy\r\n"
    ).encode()

    checked = upload(api, content, dry_run="true")
    assert checked.status_code == 200, checked.json
    assert checked.json["created"] == 2 and checked.json["dry_run"] is True
    assert lead_count(api) == 0

    imported = upload(api, content)
    assert imported.status_code == 200
    assert imported.json["created"] == 2
    assert [r["line"] for r in imported.json["rejected"]] == [3]
    assert imported.json["rejected"][0]["reason"].startswith("email:")
    assert {lead["last_name"] for lead in api.get(LEADS).json["items"]} == {"张", "Hopper"}


def test_files_that_cannot_be_imported_are_refused_whole(api):
    too_many = ("last_name\n" + "Li\n" * 5001).encode()
    for response, field in [
        (upload(api, too_many), "file"),
        (upload(api, b"\x00\x01binary"), "file"),
        (upload(api, b"last_name\nLi\n", dry_run="perhaps"), "dry_run"),
        (api.post(f"{LEADS}/import", role="sales", data={}), "file"),
        (api.post(f"{LEADS}/import", role="sales", json={"file": "last_name\nLi\n"}), "file"),
    ]:
        assert response.status_code == 422, response.json
        assert list(response.json["errors"]) == [field]
    assert "5,000" in upload(api, too_many).json["detail"]
    assert upload(api, b"last_name\nLi\n", role="viewer").status_code == 403
    assert lead_count(api) == 0


def test_the_openapi_document_describes_the_lead_routes(api):
    spec = api.get("/api/v1/openapi.json").json
    paths = spec["paths"]

    for path in (
        "/api/v1/leads",
        "/api/v1/leads/{record_id}",
        "/api/v1/leads/{record_id}/assign",
        "/api/v1/leads/{record_id}/convert",
        "/api/v1/teams",
        "/api/v1/assignment-rules",
        "/api/v1/scoring-rules",
    ):
        assert path in paths, path
    body = paths["/api/v1/leads/import"]["post"]["requestBody"]["content"]
    form = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schemas = spec["components"]["schemas"]
    assert set(schemas[form]["properties"]) == {"file", "dry_run"}
    assert "score" not in schemas["LeadCreate"]["properties"]
