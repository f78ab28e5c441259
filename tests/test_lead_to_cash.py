"""The whole sales journey through the gateway, with every service running on the real broker
(SQLite and PostgreSQL): a new lead, qualified and converted into a contact, an account and an
opportunity; a quote, sent and accepted into an order (winning the opportunity); the order
confirmed and paid. An ERP's plain pika consumer sees each step's event, and the customer's
timeline shows them."""

from infra.testing import wait_for
from tests.test_events import OutsideConsumer

STEPS = [
    "lead_created",
    "lead_converted",
    "opportunity_created",
    "quote_created",
    "quote_sent",
    "quote_accepted",
    "order_placed",
    "opportunity_won",
    "order_confirmed",
    "payment_received",
    "order_paid",
]


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json
    return response.json


def timeline_types(api, path: str) -> set[str]:
    items = api.get(f"{path}/timeline", query_string={"limit": 200}).json["items"]
    return {item["type"] for item in items}


def test_from_a_new_lead_to_a_paid_order(api, amqp_uri):
    erp = OutsideConsumer(amqp_uri, "sales.events", "#")
    try:
        lead = ok(
            api.post(
                "/api/v1/leads",
                role="sales",
                json={
                    "first_name": "Wei",
                    "last_name": "Zhang",
                    "email": "wei.zhang@example.cn",
                    "company": "黄石金承传媒有限公司",
                    "country": "CN",
                    "source": "web",
                },
            ),
            201,
        )
        ok(api.patch(f"/api/v1/leads/{lead['id']}", role="sales", json={"status": "qualified"}))
        converted = ok(
            api.post(
                f"/api/v1/leads/{lead['id']}/convert",
                role="sales",
                json={"opportunity": {"amount": "1200.00", "currency": "CNY"}},
            )
        )
        contact_id, account_id = converted["contact_id"], converted["account_id"]

        product = ok(
            api.post(
                "/api/v1/products",
                role="sales",
                json={
                    "sku": "CRM-SEAT",
                    "name": "CRM seat, one year",
                    "prices": [{"currency": "CNY", "unit_price": "400.00"}],
                },
            ),
            201,
        )
        quote = ok(
            api.post(
                "/api/v1/quotes",
                role="sales",
                json={
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "opportunity_id": converted["opportunity_id"],
                    "currency": "CNY",
                    "tax_rate": "6",
                    "lines": [{"product_id": product["id"], "quantity": "3"}],
                },
            ),
            201,
        )
        assert quote["total"] == "1272.00"  # 3 x 400.00, and 6% tax
        ok(api.post(f"/api/v1/quotes/{quote['id']}/send", role="sales"))
        order = ok(api.post(f"/api/v1/quotes/{quote['id']}/accept", role="sales"), 201)
        order_url = f"/api/v1/orders/{order['id']}"
        ok(api.post(f"{order_url}/transition", role="sales", json={"status": "confirmed"}))
        payment = {"amount": "1272.00", "reference": "alipay-2026-0001"}
        ok(api.post(f"{order_url}/payments", role="sales", json=payment), 201)

        paid = ok(api.get(order_url))
        assert (paid["payment_status"], paid["account_id"]) == ("paid", account_id)

        seen = [event["type"] for _, event in erp.receive(count=40, timeout=10)]
        assert [step for step in STEPS if step in seen] == STEPS
    finally:
        erp.close()

    contact_path = f"/api/v1/contacts/{contact_id}"
    shown = {"lead_converted", "quote_accepted", "order_placed", "order_paid"}
    wait_for(lambda: shown <= timeline_types(api, contact_path))
    wait_for(lambda: "order_paid" in timeline_types(api, f"/api/v1/accounts/{account_id}"))
