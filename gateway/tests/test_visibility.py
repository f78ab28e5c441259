"""Who sees what, through the gateway: a sales user reads and changes their own records and
their teams' (a manager, those of the teams they lead; admins, marketing, support and viewers,
everything); any other record is a 404, never a 403 that would confirm it exists. A new record
is its creator's. An admin can open a record type to everyone's reading. Fields only some roles
may set or read."""

import pytest

API = "/api/v1"
CONTACTS, ACCOUNTS, TEAMS = f"{API}/contacts", f"{API}/accounts", f"{API}/teams"


class Users:
    """Users of several roles, each acting through the gateway with their own token."""

    def __init__(self, api):
        self.api = api
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    def add(self, name: str, role: str) -> str:
        email, password = f"{name}@example.com", f"{name}-password-123"
        made = self.api.post(
            f"{API}/users", json={"email": email, "password": password, "role": role}
        )
        assert made.status_code == 201, made.json
        self.ids[name] = made.json["id"]
        self.tokens[name] = self.api.login(email, password).json["access_token"]
        return self.ids[name]

    def call(self, name: str, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.tokens[name]}", **kwargs.pop("headers", {})}
        return self.api.client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def users(api):
    users = Users(api)
    for name, role in (("rita", "sales"), ("rob", "sales"), ("sam", "sales"), ("mona", "manager")):
        users.add(name, role)
    # Rita and Rob work together, led by Mona; Sam works alone.
    team = {
        "name": "North",
        "manager_id": users.ids["mona"],
        "member_ids": [users.ids["rita"], users.ids["rob"]],
    }
    assert api.post(TEAMS, json=team).status_code == 201
    return users


def contact_of(users, name: str, last_name: str) -> dict:
    made = users.call(name, "POST", CONTACTS, json={"last_name": last_name})
    assert made.status_code == 201, made.json
    assert made.json["owner_id"] == users.ids[name]  # its creator's
    return made.json


def listed(users, name: str, path: str = CONTACTS) -> set[str]:
    answer = users.call(name, "GET", path, query_string={"limit": 200})
    assert answer.status_code == 200, answer.json
    return {item["last_name"] for item in answer.json["items"]}


def test_a_user_sees_their_own_and_their_teams_records_and_nothing_else(api, users):
    rita, rob, sam = (contact_of(users, name, name.title()) for name in ("rita", "rob", "sam"))

    assert listed(users, "rita") == {"Rita", "Rob"}
    assert listed(users, "sam") == {"Sam"}
    assert listed(users, "mona") == {"Rita", "Rob"}  # the team she leads
    assert {item["last_name"] for item in api.get(CONTACTS, role="support").json["items"]} >= {
        "Rita",
        "Sam",
    }
    assert {item["last_name"] for item in api.get(CONTACTS).json["items"]} >= {"Rita", "Sam"}

    assert users.call("rita", "GET", f"{CONTACTS}/{rob['id']}").status_code == 200
    for method, body in (("GET", None), ("PATCH", {"title": "CEO"}), ("DELETE", None)):
        hidden = users.call("rita", method, f"{CONTACTS}/{sam['id']}", json=body)
        assert hidden.status_code == 404, (method, hidden.json)  # not 403: it is not there
    assert api.get(f"{CONTACTS}/{sam['id']}").json["title"] is None  # nothing written
    for step in ("timeline", "history", "consents"):  # the record's own pages too
        assert users.call("rita", "GET", f"{CONTACTS}/{sam['id']}/{step}").status_code == 404
    assert users.call("rita", "GET", f"{CONTACTS}/{rob['id']}/timeline").status_code == 200
    export = users.call("rita", "GET", f"{CONTACTS}/export")
    assert "Sam" not in export.get_data(as_text=True) and "Rob" in export.get_data(as_text=True)

    users.call("rita", "PATCH", f"{CONTACTS}/{rita['id']}", json={"owner_id": users.ids["sam"]})
    assert listed(users, "sam") == {"Sam", "Rita"}  # given away: now Sam's
    assert "Rita" not in listed(users, "rita")


def test_a_record_without_an_owner_is_everyones(api, users):
    shared = api.post(CONTACTS, json={"last_name": "Shared"}).json
    assert api.patch(f"{CONTACTS}/{shared['id']}", json={"owner_id": None}).status_code == 200

    assert "Shared" in listed(users, "sam") and "Shared" in listed(users, "rita")


def test_an_admin_opens_a_record_type_to_everyones_reading(api, users):
    sam = contact_of(users, "sam", "Sam")
    assert users.call("rita", "PUT", f"{API}/open-resources/contact").status_code == 403
    assert api.put(f"{API}/open-resources/contact").status_code == 204
    assert api.get(f"{API}/open-resources").json == {"resources": ["contact"]}

    assert users.call("rita", "GET", f"{CONTACTS}/{sam['id']}").status_code == 200
    assert "Sam" in listed(users, "rita")
    changed = users.call("rita", "PATCH", f"{CONTACTS}/{sam['id']}", json={"title": "CEO"})
    assert changed.status_code == 404  # reading is open; changing still follows ownership
    assert api.put(f"{API}/open-resources/nothing").status_code == 404

    assert api.delete(f"{API}/open-resources/contact").status_code == 204
    assert "Sam" not in listed(users, "rita")


def test_team_changes_apply_to_what_members_see(api, users):
    contact_of(users, "sam", "Sam")
    north = api.get(TEAMS).json["items"][0]
    members = [*north["member_ids"], users.ids["sam"]]
    stale = api.patch(
        f"{TEAMS}/{north['id']}", json={"member_ids": members}, headers={"If-Match": '"9"'}
    )
    assert stale.status_code == 412
    moved = api.patch(
        f"{TEAMS}/{north['id']}",
        json={"member_ids": members},
        headers={"If-Match": f'"{north["version"]}"'},
    )
    assert moved.status_code == 200, moved.json

    assert "Sam" in listed(users, "rita")


def test_fields_only_some_roles_may_set_or_read(api, users):
    account = users.call("rita", "POST", ACCOUNTS, json={"name": "Acme"}).json
    path = f"{ACCOUNTS}/{account['id']}"
    credit = {"credit_limit": "50000.00", "credit_currency": "EUR", "payment_terms_days": 30}

    refused = users.call("rita", "PATCH", path, json=credit)
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == set(credit)
    assert api.get(path).json["credit_limit"] is None  # nothing written

    assert users.call("mona", "PATCH", path, json=credit).status_code == 200
    assert users.call("rita", "GET", path).json["credit_limit"] == "50000.00"
    viewer = api.get(path, role="viewer").json
    assert "credit_limit" not in viewer and viewer["payment_terms_days"] == 30
    no_currency = users.call("mona", "PATCH", path, json={"credit_currency": None})
    assert no_currency.status_code == 422 and "credit_currency" in no_currency.json["errors"]


def test_domain_steps_keep_to_what_the_caller_may_change(api, users):
    lead = users.call("sam", "POST", f"{API}/leads", json={"last_name": "Sam's lead"}).json
    assert lead["owner_id"] == users.ids["sam"]
    for step, body in (("assign", {"owner_id": users.ids["rita"]}), ("convert", {})):
        taken = users.call("rita", "POST", f"{API}/leads/{lead['id']}/{step}", json=body)
        assert taken.status_code == 404, (step, taken.json)
    assert api.get(f"{API}/leads/{lead['id']}").json["owner_id"] == users.ids["sam"]
