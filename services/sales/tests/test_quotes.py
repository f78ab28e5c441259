"""Quotes: totals, defaults from products, revisions, the lifecycle, expiry and the printable
document, against the real customers service, on SQLite and PostgreSQL."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from infra.db import utcnow
from infra.errors import Conflict, ValidationFailed
from services.sales.models import Order, Quote, QuoteLine
from services.sales.tests.commerce import count, event_types, events

MISSING = "00000000-0000-4000-8000-00000000dead"


@pytest.fixture
def account(customers_proxy) -> dict:
    return customers_proxy.create_account({"name": "Acme Trading"})


@pytest.fixture
def widget(sales) -> dict:
    return sales.create_product(
        {"sku": "W-1", "name": "Widget", "prices": [{"currency": "EUR", "unit_price": "19.99"}]}
    )


def quote_of(sales, account, *lines, **fields) -> dict:
    return sales.create_quote(
        {"account_id": account["id"], "currency": "EUR", "lines": list(lines), **fields}
    )


def sent_quote(sales, account, widget) -> dict:
    quote = quote_of(sales, account, {"product_id": widget["id"], "quantity": "2"})
    return sales.send_quote(quote["id"])


def test_totals_round_each_line_half_up_and_tax_the_discounted_net(sales, account, widget):
    quote = quote_of(
        sales,
        account,
        {"description": "Cable, per metre", "quantity": "0.333", "unit_price": "3.00"},
        {"description": "Sample", "quantity": "1", "unit_price": "0.60", "discount_percent": 12.5},
        {"product_id": widget["id"], "quantity": "7", "discount_percent": "12.5"},
        tax_rate="19",
    )

    # 0.999 -> 1.00; 0.525 -> 0.53 (half up, not half even); 139.93 * 0.875 = 122.43875 -> 122.44
    assert [line["line_total"] for line in quote["lines"]] == ["1.00", "0.53", "122.44"]
    assert quote["subtotal"] == "141.53"  # 1.00 + 0.60 + 139.93, before discounts
    assert quote["discount_total"] == "17.56"  # 141.53 - 123.97
    assert quote["tax_total"] == "23.55"  # 19% of 123.97 = 23.5543
    assert quote["total"] == "147.52"  # 123.97 + 23.55 = 141.53 - 17.56 + 23.55


def test_three_lines_of_a_third_are_rounded_each_not_in_sum(sales, account):
    third = {"description": "A third", "quantity": "0.333", "unit_price": "1.00"}

    quote = quote_of(sales, account, third, third, third, tax_rate="5")

    assert [line["line_total"] for line in quote["lines"]] == ["0.33"] * 3
    assert (quote["subtotal"], quote["tax_total"], quote["total"]) == ("0.99", "0.05", "1.04")


def test_a_line_takes_its_products_name_and_price_and_the_quote_its_defaults(
    sales, session, account, widget
):
    quote = quote_of(sales, account, {"product_id": widget["id"], "quantity": 3})

    line = quote["lines"][0]
    assert (line["description"], line["unit_price"], line["quantity"]) == ("Widget", "19.99", "3")
    assert line["discount_percent"] == "0" and quote["total"] == "59.97"
    assert quote["number"] == "Q-000001" and quote["revision"] == 1
    assert quote["status"] == "draft" and quote["tax_rate"] == "0"
    assert quote["valid_until"] == (utcnow().date() + timedelta(days=30)).isoformat()
    assert quote["owner_id"] == "7d3b3c1e-0000-4000-8000-000000000001"
    assert events(session)[-1]["data"]["account_id"] == account["id"]
    assert quote_of(sales, account, {"product_id": widget["id"], "quantity": 1})["number"] == (
        "Q-000002"
    )


def test_a_price_book_other_than_the_default_prices_the_lines(sales, account):
    partner = sales.create_price_book({"name": "Partner"})
    product = sales.create_product(
        {
            "sku": "P-1",
            "name": "Part",
            "prices": [
                {"currency": "USD", "unit_price": "10.00"},
                {"price_book_id": partner["id"], "currency": "USD", "unit_price": "8.00"},
            ],
        }
    )

    quote = sales.create_quote(
        {
            "account_id": account["id"],
            "currency": "USD",
            "price_book_id": partner["id"],
            "lines": [{"product_id": product["id"], "quantity": "1"}],
        }
    )

    assert quote["lines"][0]["unit_price"] == "8.00"
    assert quote["price_book_id"] == partner["id"]


def bad_quotes(widget: dict, inactive: dict) -> list:
    product_line = {"product_id": widget["id"], "quantity": "1"}
    return [
        ({"account_id": MISSING}, "account_id"),
        ({"contact_id": MISSING}, "contact_id"),
        ({"opportunity_id": MISSING}, "opportunity_id"),
        ({"price_book_id": MISSING}, "price_book_id"),
        ({"lines": []}, "lines"),
        ({"lines": None}, "lines"),
        ({"currency": "ABC"}, "currency"),
        ({"tax_rate": "-1"}, "tax_rate"),
        ({"lines": [{**product_line, "quantity": "-2"}]}, "lines.0.quantity"),
        ({"lines": [{**product_line, "quantity": "0"}]}, "lines.0.quantity"),
        ({"lines": [{**product_line, "discount_percent": "100.01"}]}, "lines.0.discount_percent"),
        ({"lines": [{**product_line, "unit_price": "0.333"}]}, "lines.0.unit_price"),
        ({"lines": [product_line, {"product_id": MISSING, "quantity": 1}]}, "lines.1.product_id"),
        (
            {"lines": [product_line, {"product_id": inactive["id"], "quantity": 1}]},
            "lines.1.product_id",
        ),
        ({"currency": "USD", "lines": [product_line]}, "lines.0.unit_price"),
        ({"lines": [{"description": "Consulting", "quantity": 1}]}, "lines.0.unit_price"),
        ({"lines": [{"quantity": 1, "unit_price": "5.00"}]}, "lines.0.description"),
    ]


def field_named(errors: dict, path: str) -> bool:
    for key in path.split("."):
        if not isinstance(errors, dict) or not (
            {key, int(key) if key.isdigit() else key} & set(errors)
        ):
            return False
        errors = errors[key] if key in errors else errors[int(key)]
    return True


def test_bad_quotes_are_refused_naming_the_field_and_nothing_is_written(
    sales, session, account, widget
):
    inactive = sales.create_product(
        {"sku": "OLD", "name": "Retired", "active": False, "prices": widget["prices"]}
    )
    written = event_types(session)
    for changes, path in bad_quotes(widget, inactive):
        data = {
            "account_id": account["id"],
            "currency": "EUR",
            "lines": [{"product_id": widget["id"], "quantity": "1"}],
            **changes,
        }
        with pytest.raises(ValidationFailed) as refused:
            sales.create_quote(data)
        assert field_named(refused.value.errors, path), (path, refused.value.errors)
    assert count(session, Quote) == 0 and count(session, QuoteLine) == 0
    assert event_types(session) == written


def test_an_inactive_products_line_names_the_product(sales, account, widget):
    sales.update_product(widget["id"], {"active": False})

    with pytest.raises(ValidationFailed) as refused:
        quote_of(sales, account, {"product_id": widget["id"], "quantity": 1})

    assert refused.value.errors == {"lines": {"0": {"product_id": ["W-1 (Widget) is inactive."]}}}


def test_a_draft_is_edited_in_place_and_its_totals_follow(sales, session, account, widget):
    quote = quote_of(sales, account, {"product_id": widget["id"], "quantity": "1"})

    edited = sales.update_quote(quote["id"], {"tax_rate": "10", "notes": "Net 30"}, 1)

    assert edited["id"] == quote["id"] and edited["version"] == 2
    assert (edited["tax_total"], edited["total"]) == ("2.00", "21.99")
    relined = sales.update_quote(
        quote["id"], {"lines": [{"description": "Setup", "quantity": 1, "unit_price": "100.00"}]}
    )
    assert relined["total"] == "110.00" and relined["lines"][0]["description"] == "Setup"
    update_event = events(session)[-1]
    assert update_event["type"] == "quote_updated"
    assert update_event["data"]["changes"]["lines"][1][0]["unit_price"] == "100.00"
    assert count(session, QuoteLine) == 1


def test_changing_the_currency_needs_the_lines_again(sales, account, widget):
    quote = quote_of(sales, account, {"product_id": widget["id"], "quantity": "1"})

    with pytest.raises(ValidationFailed) as refused:
        sales.update_quote(quote["id"], {"currency": "USD"})

    assert "lines" in refused.value.errors
    assert sales.get_quote(quote["id"])["currency"] == "EUR"


def test_editing_a_sent_quote_makes_the_next_revision_and_keeps_the_old_one(
    sales, session, account, widget
):
    sent = sent_quote(sales, account, widget)

    revision = sales.update_quote(sent["id"], {"notes": "10% off for a two-year term"})

    assert revision["id"] != sent["id"] and revision["number"] == sent["number"]
    assert (revision["revision"], revision["previous_id"]) == (2, sent["id"])
    assert revision["status"] == "draft" and revision["total"] == sent["total"]
    old = sales.get_quote(sent["id"])
    assert old["status"] == "sent" and old["superseded_by_id"] == revision["id"]
    assert old["notes"] is None
    for step in (
        lambda: sales.update_quote(sent["id"], {"notes": "again"}),
        lambda: sales.accept_quote(sent["id"]),
        lambda: sales.delete_quote(sent["id"]),
    ):
        with pytest.raises(Conflict):
            step()
    assert event_types(session)[-1] == "quote_revised"
    assert [q["revision"] for q in sales.list_quotes({"current": True})["items"]] == [2]

    sales.delete_quote(revision["id"])
    assert sales.get_quote(sent["id"])["superseded_by_id"] is None


def test_sending_then_accepting_places_the_order_with_the_same_lines_and_totals(
    sales, session, account, widget
):
    quote = quote_of(
        sales,
        account,
        {"product_id": widget["id"], "quantity": "3", "discount_percent": "12.5"},
        tax_rate="19",
    )
    sent = sales.send_quote(quote["id"], 1)
    assert sent["status"] == "sent" and sent["sent_at"]

    order = sales.accept_quote(quote["id"])

    assert order["quote_id"] == quote["id"] and order["number"] == "SO-000001"
    assert order["status"] == "pending" and order["payment_status"] == "unpaid"
    assert order["account_id"] == account["id"]
    for field in ("currency", "tax_rate", "subtotal", "discount_total", "tax_total", "total"):
        assert order[field] == quote[field], field
    assert order["lines"] == quote["lines"]
    accepted = sales.get_quote(quote["id"])
    assert accepted["status"] == "accepted" and accepted["decided_at"]
    assert event_types(session)[-3:] == ["quote_sent", "quote_accepted", "order_placed"]
    assert events(session)[-2]["data"]["order_id"] == order["id"]

    with pytest.raises(ValidationFailed) as again:
        sales.accept_quote(quote["id"])
    assert "status" in again.value.errors
    with pytest.raises(Conflict):
        sales.update_quote(quote["id"], {"notes": "too late"})
    assert count(session, Order) == 1


def test_only_a_sent_quote_is_accepted_or_rejected(sales, session, account, widget):
    draft = quote_of(sales, account, {"product_id": widget["id"], "quantity": "1"})
    for step in (sales.accept_quote, sales.reject_quote):
        with pytest.raises(ValidationFailed) as refused:
            step(draft["id"])
        assert "status" in refused.value.errors

    sales.send_quote(draft["id"])
    rejected = sales.reject_quote(draft["id"])

    assert rejected["status"] == "rejected" and rejected["decided_at"]
    assert event_types(session)[-1] == "quote_rejected"
    with pytest.raises(Conflict):
        sales.update_quote(draft["id"], {"notes": "reconsider?"})
    with pytest.raises(ValidationFailed):
        sales.send_quote(draft["id"])
    assert count(session, Order) == 0


def expire(session, quote: dict) -> None:
    yesterday = utcnow().date() - timedelta(days=1)
    quote_id = uuid.UUID(quote["id"])
    session.execute(update(Quote).where(Quote.id == quote_id).values(valid_until=yesterday))


def test_a_sent_quote_expires_after_its_last_valid_day(sales, session, account, widget):
    quote = sent_quote(sales, account, widget)
    expire(session, quote)

    assert sales.get_quote(quote["id"])["status"] == "expired"
    assert [q["id"] for q in sales.list_quotes({"status": "expired"})["items"]] == [quote["id"]]
    assert sales.list_quotes({"status": "sent"})["items"] == []
    with pytest.raises(ValidationFailed) as refused:
        sales.accept_quote(quote["id"])
    assert "valid until" in refused.value.errors["status"][0]

    assert sales.expire_quotes() == 1
    assert sales.expire_quotes() == 0
    assert event_types(session).count("quote_expired") == 1

    revision = sales.update_quote(quote["id"], {"notes": "Extended"})
    assert revision["valid_until"] == (utcnow().date() + timedelta(days=30)).isoformat()


def test_a_draft_past_its_date_is_not_sent(sales, session, account, widget):
    quote = quote_of(sales, account, {"product_id": widget["id"], "quantity": "1"})
    expire(session, quote)

    with pytest.raises(ValidationFailed) as refused:
        sales.send_quote(quote["id"])

    assert "valid_until" in refused.value.errors
    assert sales.get_quote(quote["id"])["status"] == "draft"


def test_the_document_is_a_printable_page_with_every_user_text_escaped(
    sales, customers_proxy, widget
):
    account = customers_proxy.create_account({"name": "Smith & <Sons>"})
    contact = customers_proxy.create_contact(
        {"first_name": "伟", "last_name": "张", "email": "zhang.wei@example.cn"}
    )
    quote = quote_of(
        sales,
        account,
        {"product_id": widget["id"], "quantity": "1500", "discount_percent": "12.5"},
        {"description": "<script>alert(1)</script>", "quantity": 1, "unit_price": "5.00"},
        contact_id=contact["id"],
        notes='Delivery "ex works"',
        tax_rate="19",
    )

    page = sales.quote_document(quote["id"])

    assert page.startswith("<!DOCTYPE html>")
    assert "Smith &amp; &lt;Sons&gt;" in page and "<Sons>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "Delivery &#34;ex works&#34;" in page
    assert "伟 张" in page and "zhang.wei@example.cn" in page
    assert "Quote Q-000001" in page and "W-1" in page and "1,500" in page
    assert "26,236.88" in page and "31,227.84" in page and quote["total"] == "31227.84"
    assert "EUR" in page
    assert quote["valid_until"] in page
