"""Price books and products, on SQLite and PostgreSQL."""

import pytest

from infra.errors import Conflict, ValidationFailed
from services.sales import price_books
from services.sales.models import PriceBook, Product
from services.sales.tests.commerce import count, event_types

WIDGET = {"sku": "W-1", "name": "Widget", "prices": [{"currency": "EUR", "unit_price": "9.50"}]}


def test_the_default_price_book_is_made_once_on_first_use(service, session):
    first = service.list_price_books({})["items"]
    again = service.list_price_books({})["items"]

    assert [book["name"] for book in first] == ["Standard"] and again == first
    assert first[0]["is_default"] and first[0]["id"] == str(price_books.DEFAULT_ID)
    assert event_types(session) == ["price_book_created"]


def test_seeding_skips_a_default_another_instance_made_first(service, session):
    price_books.seed_default(session)
    price_books.seed_default(session)

    assert count(session, PriceBook) == 1
    assert event_types(session) == ["price_book_created"]


def test_a_new_default_book_takes_over_and_the_old_one_stops_being_it(service, session):
    partner = service.create_price_book({"name": "Partner", "is_default": True})

    books = {book["name"]: book for book in service.list_price_books({"sort": "name"})["items"]}
    assert books["Partner"]["is_default"] and not books["Standard"]["is_default"]
    assert partner["is_default"]
    assert event_types(session)[-2:] == ["price_book_updated", "price_book_created"]

    service.update_price_book(books["Standard"]["id"], {"is_default": True})
    assert not service.get_price_book(partner["id"])["is_default"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"is_default": False}, "is_default"), ({"active": False}, "active")],
)
def test_the_default_book_stays_the_default_and_active(service, session, changes, field):
    default = service.list_price_books({})["items"][0]

    with pytest.raises(ValidationFailed) as refused:
        service.update_price_book(default["id"], changes)

    assert field in refused.value.errors
    assert service.get_price_book(default["id"])["version"] == 1


def test_a_price_book_name_is_unique_and_the_default_is_not_deleted(service, session):
    service.create_price_book({"name": "Partner"})
    default = service.list_price_books({"q": "stand"})["items"][0]

    with pytest.raises(Conflict) as refused:
        service.create_price_book({"name": "partner"})
    assert "name" in refused.value.errors
    with pytest.raises(Conflict):
        service.delete_price_book(default["id"])
    assert count(session, PriceBook) == 2


def test_a_product_has_a_price_per_book_and_currency(service, session):
    partner = service.create_price_book({"name": "Partner"})

    product = service.create_product(
        {
            **WIDGET,
            "sku": "  W-1 ",
            "prices": [
                {"currency": "eur", "unit_price": "9.5"},
                {"currency": "CNY", "unit_price": "72.00"},
                {"price_book_id": partner["id"], "currency": "EUR", "unit_price": "8.00"},
            ],
        }
    )

    assert product["sku"] == "W-1" and product["active"] is True
    prices = {(p["price_book_id"], p["currency"]): p["unit_price"] for p in product["prices"]}
    default_id = str(price_books.DEFAULT_ID)
    assert prices == {
        (default_id, "EUR"): "9.50",
        (default_id, "CNY"): "72.00",
        (partner["id"], "EUR"): "8.00",
    }
    assert event_types(session)[-1] == "product_created"


def test_changing_prices_keeps_the_rows_that_stay_and_reports_the_change(service, session):
    product = service.create_product(WIDGET)

    updated = service.update_product(
        product["id"],
        {
            "prices": [
                {"currency": "EUR", "unit_price": "10.00"},
                {"currency": "USD", "unit_price": "11.00"},
            ]
        },
        1,
    )

    assert {p["currency"]: p["unit_price"] for p in updated["prices"]} == {
        "EUR": "10.00",
        "USD": "11.00",
    }
    assert updated["version"] == 2
    unchanged = service.update_product(product["id"], {"prices": updated["prices"]})
    assert unchanged["version"] == 2
    assert event_types(session)[-1] == "product_updated"


def test_a_duplicate_sku_is_a_conflict_with_the_existing_product(service, session):
    existing = service.create_product(WIDGET)

    with pytest.raises(Conflict) as refused:
        service.create_product({**WIDGET, "name": "Another"})

    assert refused.value.errors == {"sku": ["Another product has the SKU 'W-1'."]}
    assert refused.value.extra["existing"]["id"] == existing["id"]
    other = service.create_product({"sku": "W-2", "name": "Other"})
    with pytest.raises(Conflict):
        service.update_product(other["id"], {"sku": "W-1"})
    assert count(session, Product) == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "No SKU"}, "sku"),
        ({**WIDGET, "sku": "   "}, "sku"),
        ({**WIDGET, "prices": [{"currency": "EURO", "unit_price": "1.00"}]}, "prices"),
        ({**WIDGET, "prices": [{"currency": "XAU", "unit_price": "1.00"}]}, "prices"),
        ({**WIDGET, "prices": [{"currency": "EUR", "unit_price": "-1.00"}]}, "prices"),
        ({**WIDGET, "prices": [{"currency": "EUR", "unit_price": 1.5}]}, "prices"),
        ({**WIDGET, "prices": [{"currency": "EUR", "unit_price": "1.005"}]}, "prices"),
        ({**WIDGET, "prices": [WIDGET["prices"][0]] * 2}, "prices"),
        (
            {
                **WIDGET,
                "prices": [
                    {
                        "price_book_id": "5a1e5b00-0000-4000-8000-00000000ffff",
                        "currency": "EUR",
                        "unit_price": "1.00",
                    }
                ],
            },
            "prices",
        ),
    ],
)
def test_bad_products_are_refused_and_nothing_is_written(service, session, data, field):
    with pytest.raises(ValidationFailed) as refused:
        service.create_product(data)

    assert field in refused.value.errors
    assert count(session, Product) == 0
    assert "product_created" not in event_types(session)


def test_products_filter_by_activity_text_and_priced_book_or_currency(service):
    partner = service.create_price_book({"name": "Partner"})
    service.create_product(WIDGET)
    service.create_product(
        {
            "sku": "G-7",
            "name": "Gadget 小工具",
            "prices": [{"price_book_id": partner["id"], "currency": "CNY", "unit_price": "70.00"}],
        }
    )
    service.create_product({"sku": "OLD", "name": "Retired widget", "active": False})

    def skus(**params) -> list[str]:
        return [p["sku"] for p in service.list_products({**params, "sort": "sku"})["items"]]

    assert skus(active=True) == ["G-7", "W-1"]
    assert skus(q="widget") == ["OLD", "W-1"]
    assert skus(q="工具") == ["G-7"]
    assert skus(currency="CNY") == ["G-7"]
    assert skus(price_book_id=partner["id"], currency="EUR") == []
    assert skus(price_book_id=str(price_books.DEFAULT_ID)) == ["W-1"]


def test_a_product_on_no_quote_is_deleted(service, session):
    product = service.create_product(WIDGET)

    service.delete_product(product["id"], 1)

    assert count(session, Product) == 0
    assert event_types(session)[-1] == "product_deleted"
