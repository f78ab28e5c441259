"""Orders: placed directly or once per external id, moved one allowed step at a time, paid in
parts, idempotently per payment reference; on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest

from infra.db import utcnow
from infra.errors import Conflict, ValidationFailed
from services.sales.models import Order, OrderLine, Payment
from services.sales.tests.commerce import count, event_types, events

MISSING = "00000000-0000-4000-8000-00000000dead"


@pytest.fixture
def account(customers_proxy) -> dict:
    return customers_proxy.create_account({"name": "Acme Trading"})


@pytest.fixture
def contact(customers_proxy, account) -> dict:
    return customers_proxy.create_contact({"last_name": "Coyote", "account_id": account["id"]})


def order_request(account: dict, **fields) -> dict:
    return {
        "account_id": account["id"],
        "currency": "EUR",
        "lines": [{"description": "Anvil", "quantity": "2", "unit_price": "50.00"}],
        **fields,
    }


def place(sales, account, **fields) -> dict:
    answer = sales.create_order(order_request(account, **fields))
    assert answer["created"] is True
    return answer["record"]


def test_an_order_placed_directly_is_pending_and_unpaid(sales, session, account, contact):
    order = place(sales, account, contact_id=contact["id"], tax_rate="10")

    assert (order["number"], order["status"], order["payment_status"]) == (
        "SO-000001",
        "pending",
        "unpaid",
    )
    assert (order["total"], order["amount_due"]) == ("110.00", "110.00")
    assert order["next_statuses"] == ["confirmed", "cancelled"]
    placed = events(session)[-1]
    assert placed["type"] == "order_placed"
    assert placed["data"]["account_id"] == account["id"]
    assert placed["data"]["contact_id"] == contact["id"]


def test_the_same_external_id_places_one_order(sales, session, account):
    request = order_request(account, external_id="shop-1001")
    first = sales.create_order(request)

    again = sales.create_order({**request, "lines": [{**request["lines"][0], "quantity": 2.0}]})

    assert first["created"] is True and again["created"] is False
    assert again["record"]["id"] == first["record"]["id"]
    with pytest.raises(Conflict) as refused:
        sales.create_order({**request, "currency": "USD"})
    assert "external_id" in refused.value.errors
    assert refused.value.extra["existing"]["id"] == first["record"]["id"]
    assert count(session, Order) == 1 and event_types(session).count("order_placed") == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"account_id": MISSING}, "account_id"),
        ({"contact_id": MISSING}, "contact_id"),
        ({"lines": []}, "lines"),
        ({"currency": "EURO"}, "currency"),
        ({"lines": [{"description": "Anvil", "quantity": "-1", "unit_price": "5"}]}, "lines"),
        ({"lines": [{"product_id": MISSING, "quantity": "1"}]}, "lines"),
        ({"lines": [{"description": "x", "quantity": 1, "unit_price": "-5.00"}]}, "lines"),
    ],
)
def test_bad_orders_are_refused_and_nothing_is_written(sales, session, account, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        sales.create_order(order_request(account, **fields))

    assert field in refused.value.errors
    assert count(session, Order) == 0 and count(session, OrderLine) == 0
    assert "order_placed" not in event_types(session)


def test_an_order_moves_one_allowed_step_at_a_time(sales, session, account):
    order = place(sales, account)

    with pytest.raises(ValidationFailed) as refused:
        sales.transition_order(order["id"], {"status": "shipped"})
    assert refused.value.errors == {
        "status": ["A pending order can move to confirmed or cancelled, not to shipped."]
    }
    for status in ("confirmed", "shipped"):
        sales.transition_order(order["id"], {"status": status})
    delivered = sales.update_order(order["id"], {"status": "delivered"})

    assert delivered["status"] == "delivered" and delivered["next_statuses"] == []
    assert event_types(session)[-3:] == ["order_confirmed", "order_shipped", "order_delivered"]
    with pytest.raises(ValidationFailed) as refused:
        sales.update_order(order["id"], {"status": "cancelled", "owner_id": None})
    assert "no other status" in refused.value.errors["status"][0]
    with pytest.raises(ValidationFailed):
        sales.transition_order(order["id"], {"status": "lost"})
    assert sales.get_order(order["id"])["version"] == delivered["version"]


def test_payments_make_an_order_partially_paid_then_paid(sales, session, account):
    order = place(sales, account)

    first = sales.add_payment(order["id"], {"amount": "30.00", "reference": "pay_1"})
    assert first["created"] is True
    assert first["record"]["payment_status"] == "partially_paid"
    assert first["record"]["amount_due"] == "70.00"
    rest = sales.add_payment(order["id"], {"amount": "70.00", "reference": "pay_2"})

    assert rest["record"]["payment_status"] == "paid"
    paid = sales.get_order(order["id"])
    assert (paid["paid_amount"], paid["amount_due"], paid["payment_status"]) == (
        "100.00",
        "0.00",
        "paid",
    )
    assert [p["reference"] for p in paid["payments"]] == ["pay_1", "pay_2"]
    assert event_types(session)[-3:] == ["payment_received", "payment_received", "order_paid"]
    received = events(session)[-2]["data"]
    assert (received["number"], received["amount"], received["account_id"]) == (
        "SO-000001",
        "70.00",
        account["id"],
    )


def test_the_same_payment_reference_is_one_payment(sales, session, account):
    order = place(sales, account)
    sales.add_payment(order["id"], {"amount": "30.00", "reference": "pay_1"})

    again = sales.add_payment(order["id"], {"amount": "30", "reference": "pay_1"})

    assert again["created"] is False and again["record"]["paid_amount"] == "30.00"
    with pytest.raises(Conflict) as refused:
        sales.add_payment(order["id"], {"amount": "31.00", "reference": "pay_1"})
    assert "reference" in refused.value.errors
    assert count(session, Payment) == 1
    assert event_types(session).count("payment_received") == 1


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        ({"amount": "100.01"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": 5.0}, "amount"),
        ({"reference": "no amount"}, "amount"),
        ({"amount": "5.00", "paid_at": (utcnow() + timedelta(days=1)).isoformat()}, "paid_at"),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_written(sales, session, account, payment, field):
    order = place(sales, account)

    with pytest.raises(ValidationFailed) as refused:
        sales.add_payment(order["id"], payment)

    assert field in refused.value.errors
    assert count(session, Payment) == 0
    assert sales.get_order(order["id"])["version"] == 1


def test_a_cancelled_order_takes_no_payment_and_a_started_one_is_not_deleted(sales, account):
    order = place(sales, account)
    sales.transition_order(order["id"], {"status": "cancelled"})

    with pytest.raises(Conflict):
        sales.add_payment(order["id"], {"amount": "1.00"})
    with pytest.raises(Conflict):
        sales.delete_order(order["id"])

    mistake = place(sales, account)
    sales.delete_order(mistake["id"])
    assert [o["id"] for o in sales.list_orders({})["items"]] == [order["id"]]


def test_a_customers_orders_are_their_history_newest_first(
    sales, customers_proxy, account, contact
):
    other = customers_proxy.create_account({"name": "Other"})
    older = place(sales, account, contact_id=contact["id"])
    place(sales, other)
    newer = place(sales, account)

    mine = sales.list_orders({"account_id": account["id"]})["items"]
    theirs = sales.list_orders({"contact_id": contact["id"]})["items"]

    assert [o["id"] for o in mine] == [newer["id"], older["id"]]
    assert [o["id"] for o in theirs] == [older["id"]]
    assert sales.list_orders({"payment_status": "paid"})["items"] == []
