"""Price books, products, quotes, orders, payments and activities through the gateway, with
the sales and customers services running; on SQLite and PostgreSQL."""

import pytest

from tests.test_events import OutsideConsumer

ACCOUNTS = "/api/v1/accounts"
BOOKS = "/api/v1/price-books"
PRODUCTS = "/api/v1/products"
QUOTES = "/api/v1/quotes"
ORDERS = "/api/v1/orders"
ACTIVITIES = "/api/v1/activities"
OPPORTUNITIES = "/api/v1/opportunities"
MISSING = "00000000-0000-4000-8000-00000000dead"


def created(response) -> dict:
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def account(api) -> dict:
    shared = {"name": "Acme Trading", "owner_id": None}  # everyone's: reps and managers use it
    return created(api.post(ACCOUNTS, role="sales", json=shared))


@pytest.fixture
def widget(api) -> dict:
    return created(
        api.post(
            PRODUCTS,
            role="sales",
            json={
                "sku": "W-1",
                "name": "Widget",
                "prices": [{"currency": "EUR", "unit_price": "19.99"}],
            },
        )
    )


def quote(api, account: dict, widget: dict, **fields) -> dict:
    body = {
        "account_id": account["id"],
        "currency": "EUR",
        "lines": [{"product_id": widget["id"], "quantity": "3", "discount_percent": "12.5"}],
        **fields,
    }
    return created(api.post(QUOTES, role="sales", json=body))


def test_admins_manage_price_books_and_editors_products(api):
    assert api.get(BOOKS, role="viewer").json["items"][0]["name"] == "Standard"
    assert api.post(BOOKS, role="sales", json={"name": "Partner"}).status_code == 403
    partner = created(api.post(BOOKS, json={"name": "Partner"}))

    response = api.post(
        PRODUCTS,
        role="sales",
        json={
            "sku": "W-1",
            "name": "Widget",
            "prices": [{"price_book_id": partner["id"], "currency": "EUR", "unit_price": "9.00"}],
        },
    )

    assert response.status_code == 201 and response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"{PRODUCTS}/{response.json['id']}")
    assert api.post(PRODUCTS, role="viewer", json={"sku": "X", "name": "X"}).status_code == 403
    found = api.get(PRODUCTS, query_string={"price_book_id": partner["id"], "q": "widg"})
    assert [p["sku"] for p in found.json["items"]] == ["W-1"]


def test_a_duplicate_sku_is_409_with_the_existing_product(api, widget):
    response = api.post(PRODUCTS, role="sales", json={"sku": "W-1", "name": "Again"})

    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert response.json["errors"]["sku"] and response.json["existing"]["id"] == widget["id"]
    assert len(api.get(PRODUCTS).json["items"]) == 1


def test_a_quote_is_priced_sent_revised_and_accepted_into_an_order(api, account, widget):
    draft = quote(api, account, widget, tax_rate="19")
    assert (draft["subtotal"], draft["discount_total"]) == ("59.97", "7.50")
    assert (draft["tax_total"], draft["total"]) == ("9.97", "62.44")  # 52.47 net, 19% tax

    sent = api.post(f"{QUOTES}/{draft['id']}/send", role="sales", headers={"If-Match": '"1"'})
    assert sent.status_code == 200 and sent.json["status"] == "sent"
    assert sent.headers["ETag"] == '"2"'

    revised = api.patch(f"{QUOTES}/{draft['id']}", role="sales", json={"notes": "Two-year term"})
    assert revised.status_code == 200
    assert (revised.json["revision"], revised.json["previous_id"]) == (2, draft["id"])
    assert api.post(f"{QUOTES}/{draft['id']}/accept", role="sales").status_code == 409
    revision_id = revised.json["id"]
    api.post(f"{QUOTES}/{revision_id}/send", role="sales")

    accepted = api.post(f"{QUOTES}/{revision_id}/accept", role="sales")

    assert accepted.status_code == 201
    order = accepted.json
    assert accepted.headers["Location"].endswith(f"{ORDERS}/{order['id']}")
    assert (order["quote_id"], order["total"], order["status"]) == (revision_id, "62.44", "pending")
    assert api.get(f"{QUOTES}/{revision_id}").json["status"] == "accepted"
    again = api.post(f"{QUOTES}/{revision_id}/accept", role="sales")
    assert again.status_code == 422 and "status" in again.json["errors"]
    assert len(api.get(ORDERS).json["items"]) == 1


@pytest.fixture
def deal(api, account) -> dict:
    body = {"name": "Acme rollout", "account_id": account["id"], "amount": "52.47"}
    return created(api.post(OPPORTUNITIES, role="sales", json={**body, "currency": "EUR"}))


@pytest.fixture
def erp(amqp_uri):
    """`erp()`: an outside consumer of the sales events, seeing those published from then on."""
    bound = []

    def bind() -> OutsideConsumer:
        bound.append(OutsideConsumer(amqp_uri, "sales.events", "#"))
        return bound[-1]

    yield bind
    for consumer in bound:
        consumer.close()


def sent_quote(api, account: dict, widget: dict, deal: dict) -> dict:
    draft = quote(api, account, widget, opportunity_id=deal["id"])
    return api.post(f"{QUOTES}/{draft['id']}/send", role="sales").json


def published(listener: OutsideConsumer) -> list[str]:
    """The event types published so far: an RPC answers after its events are published."""
    return [envelope["type"] for envelope in listener.receive_events(20, timeout=1)]


def test_accepting_a_quote_wins_its_open_opportunity(api, account, widget, deal, erp):
    sent = sent_quote(api, account, widget, deal)
    listener = erp()

    accepted = api.post(f"{QUOTES}/{sent['id']}/accept", role="sales")

    assert accepted.status_code == 201
    won = api.get(f"{OPPORTUNITIES}/{deal['id']}").json
    assert (won["status"], won["stage_name"], won["probability"]) == ("won", "Closed won", 100)
    assert won["closed_at"] and won["version"] == deal["version"] + 1
    history = api.get(f"{OPPORTUNITIES}/{deal['id']}/stage-history").json["items"]
    assert [h["to_stage"] for h in history] == ["Qualification", "Closed won"]
    assert published(listener) == [
        "quote_accepted",
        "order_placed",
        "opportunity_updated",
        "opportunity_stage_changed",
        "opportunity_won",
    ]


def test_accepting_a_quote_can_leave_its_opportunity_open(api, account, widget, deal, erp):
    sent = sent_quote(api, account, widget, deal)
    listener = erp()

    accepted = api.post(
        f"{QUOTES}/{sent['id']}/accept", role="sales", json={"mark_opportunity_won": False}
    )

    assert accepted.status_code == 201
    kept = api.get(f"{OPPORTUNITIES}/{deal['id']}").json
    assert (kept["status"], kept["version"]) == ("open", deal["version"])
    assert published(listener) == ["quote_accepted", "order_placed"]


def test_a_quote_of_a_lost_opportunity_is_accepted_only_when_told_to_leave_it(
    api, account, widget, deal
):
    sent = sent_quote(api, account, widget, deal)
    lost_stage = next(
        stage["id"]
        for stage in api.get(f"/api/v1/pipelines/{deal['pipeline_id']}").json["stages"]
        if stage["outcome"] == "lost"
    )
    lost = api.patch(
        f"{OPPORTUNITIES}/{deal['id']}",
        role="sales",
        json={"stage_id": lost_stage, "lost_reason": "Went with a competitor"},
    ).json
    logged = len(api.events("sales"))

    refused = api.post(f"{QUOTES}/{sent['id']}/accept", role="sales")

    assert refused.status_code == 422 and list(refused.json["errors"]) == ["mark_opportunity_won"]
    assert api.get(f"{QUOTES}/{sent['id']}").json["status"] == "sent"
    assert api.get(ORDERS).json["items"] == []
    assert api.get(f"{OPPORTUNITIES}/{deal['id']}").json == lost
    assert len(api.events("sales")) == logged

    accepted = api.post(
        f"{QUOTES}/{sent['id']}/accept", role="sales", json={"mark_opportunity_won": False}
    )
    assert accepted.status_code == 201
    assert api.get(f"{OPPORTUNITIES}/{deal['id']}").json == lost


def test_a_bad_acceptance_is_422_naming_the_field_and_writes_nothing(api, account, widget, deal):
    sent = sent_quote(api, account, widget, deal)
    logged = len(api.events("sales"))

    refused = api.post(
        f"{QUOTES}/{sent['id']}/accept", role="sales", json={"mark_opportunity_won": "perhaps"}
    )

    assert refused.status_code == 422 and list(refused.json["errors"]) == ["mark_opportunity_won"]
    assert api.get(f"{QUOTES}/{sent['id']}").json["status"] == "sent"
    assert api.get(ORDERS).json["items"] == []
    assert api.get(f"{OPPORTUNITIES}/{deal['id']}").json["status"] == "open"
    assert len(api.events("sales")) == logged


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"lines": []}, ["lines"]),
        ({"account_id": MISSING}, ["account_id"]),
        ({"currency": "XYZ"}, ["currency"]),
        (
            {"lines": [{"description": "Setup", "quantity": "-1", "unit_price": "9"}]},
            ["lines", "0", "quantity"],
        ),
        (
            {
                "lines": [
                    {
                        "description": "Setup",
                        "quantity": 1,
                        "unit_price": "9",
                        "discount_percent": 120,
                    }
                ]
            },
            ["lines", "0", "discount_percent"],
        ),
        ({"lines": [{"product_id": MISSING, "quantity": 1}]}, ["lines", "0", "product_id"]),
        ({"lines": [{"description": "Setup", "quantity": 1}]}, ["lines", "0", "unit_price"]),
    ],
)
def test_a_bad_quote_is_422_naming_the_field_and_writes_nothing(api, account, fields, path):
    line = {"description": "Setup", "quantity": 1, "unit_price": "9.00"}
    body = {"account_id": account["id"], "currency": "EUR", "lines": [line], **fields}

    response = api.post(QUOTES, role="sales", json=body)

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = response.json["errors"]
    for key in path:
        errors = errors[key]
    assert errors
    assert api.get(QUOTES).json["items"] == []


def test_the_quote_document_is_escaped_html(api, widget):
    account = created(api.post(ACCOUNTS, role="sales", json={"name": "Bits & <Bytes>"}))
    draft = quote(api, account, widget, notes="<b>bold</b>")

    page = api.get(f"{QUOTES}/{draft['id']}/document", role="viewer")

    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Bits &amp; &lt;Bytes&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>" not in html and draft["number"] in html and "52.47" in html
    assert api.get(f"{QUOTES}/{MISSING}/document").status_code == 404


def test_an_order_with_an_external_id_is_placed_once(api, account):
    body = {
        "external_id": "shop-1001",
        "account_id": account["id"],
        "currency": "EUR",
        "lines": [{"description": "Anvil", "quantity": 2, "unit_price": "50.00"}],
    }
    first = api.post(ORDERS, role="sales", json=body)
    again = api.post(ORDERS, role="sales", json=body)

    assert first.status_code == 201 and again.status_code == 200
    assert again.json["id"] == first.json["id"] and again.json["number"] == "SO-000001"
    conflict = api.post(ORDERS, role="sales", json={**body, "currency": "USD"})
    assert conflict.status_code == 409 and "external_id" in conflict.json["errors"]
    assert len(api.get(ORDERS, query_string={"account_id": account["id"]}).json["items"]) == 1


def test_an_order_moves_by_allowed_steps_and_is_paid_once_per_reference(api, account):
    order = created(
        api.post(
            ORDERS,
            role="sales",
            json={
                "account_id": account["id"],
                "currency": "EUR",
                "lines": [{"description": "Anvil", "quantity": 1, "unit_price": "100.00"}],
            },
        )
    )
    url = f"{ORDERS}/{order['id']}"

    wrong = api.post(f"{url}/transition", role="sales", json={"status": "delivered"})
    assert wrong.status_code == 422
    assert "confirmed or cancelled" in wrong.json["errors"]["status"][0]
    assert (
        api.post(f"{url}/transition", role="sales", json={"status": "confirmed"}).json["status"]
        == "confirmed"
    )
    assert api.patch(url, role="sales", json={"status": "shipped"}).json["status"] == "shipped"

    payment = {"amount": "40.00", "reference": "psp_1", "paid_at": "2026-11-20T10:00:00Z"}
    first = api.post(f"{url}/payments", role="sales", json=payment)
    again = api.post(f"{url}/payments", role="sales", json=payment)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["id"] == first.json["id"] and again.json["amount_due"] == "60.00"
    too_much = api.post(f"{url}/payments", role="sales", json={"amount": "60.01"})
    assert too_much.status_code == 422 and "amount" in too_much.json["errors"]
    negative = api.post(f"{url}/payments", role="sales", json={"amount": "-1.00"})
    assert negative.status_code == 422 and "amount" in negative.json["errors"]
    rest = api.post(f"{url}/payments", role="sales", json={"amount": "60.00"})
    assert rest.json["payment_status"] == "paid"
    assert len(api.get(url).json["payments"]) == 2


def test_activities_mine_open_and_overdue(api, account):
    linked = {"account_id": account["id"]}
    nothing = api.post(ACTIVITIES, role="sales", json={"type": "call", "subject": "Who?"})
    assert nothing.status_code == 422
    assert {"lead_id", "contact_id", "account_id", "opportunity_id"} <= set(nothing.json["errors"])
    late = created(
        api.post(
            ACTIVITIES,
            role="sales",
            json={
                "type": "task",
                "subject": "Send deck",
                "due_at": "2026-01-01T09:00:00Z",
                **linked,
            },
        )
    )
    created(
        api.post(ACTIVITIES, role="manager", json={"type": "call", "subject": "Boss", **linked})
    )

    mine = api.get(f"{ACTIVITIES}/mine", role="sales").json["items"]
    assert [a["subject"] for a in mine] == ["Send deck"]
    assert [
        a["id"] for a in api.get(ACTIVITIES, query_string={"overdue": "true"}).json["items"]
    ] == [late["id"]]
    unknown_user = api.patch(f"{ACTIVITIES}/{late['id']}", json={"assignee_id": MISSING})
    assert unknown_user.status_code == 422 and "assignee_id" in unknown_user.json["errors"]

    done = api.post(f"{ACTIVITIES}/{late['id']}/complete", role="sales")
    assert done.status_code == 200 and done.json["completed_at"] and not done.json["overdue"]
    assert api.get(f"{ACTIVITIES}/mine", role="sales").json["items"] == []


@pytest.mark.parametrize(
    ("contact_id", "message"),
    [(MISSING, "No contact"), ("not-an-id", "Not a valid UUID")],
)
def test_an_order_given_a_contact_that_does_not_exist_is_422_and_unchanged(
    api, account, contact_id, message
):
    body = {
        "account_id": account["id"],
        "currency": "EUR",
        "lines": [{"description": "Anvil", "quantity": "1", "unit_price": "50.00"}],
    }
    url = api.post(ORDERS, role="sales", json=body).headers["Location"]

    refused = api.patch(url, role="sales", json={"contact_id": contact_id})

    assert refused.status_code == 422, refused.json
    assert message in refused.json["errors"]["contact_id"][0]
    order = api.get(url).json
    assert (order["contact_id"], order["version"]) == (None, 1)


def test_text_with_a_nul_character_is_422_naming_the_field_and_writes_nothing(api):
    book = created(api.post(BOOKS, json={"name": "Wholesale"}))

    renamed = api.patch(f"{BOOKS}/{book['id']}", json={"name": "Whole\u0000sale"})
    priced = api.post(
        PRODUCTS,
        role="sales",
        json={"sku": "N-1", "name": "Nul", "prices": [{"currency": "EUR", "unit_price": "1.00"}]},
    )
    tagged = api.patch(priced.headers["Location"], role="sales", json={"description": "\u0000"})

    assert renamed.status_code == 422 and renamed.json["errors"] == {
        "name": ["Must not contain a NUL character."]
    }
    assert tagged.status_code == 422 and "description" in tagged.json["errors"]
    assert api.get(f"{BOOKS}/{book['id']}").json["name"] == "Wholesale"
    assert api.get(priced.headers["Location"]).json["version"] == 1
