"""The sales service's RPC entrypoints: validate, call the domain, commit, dump."""

from nameko.rpc import RpcProxy
from nameko.timer import timer

from infra import config
from infra.errors import load
from infra.service import CrmService, rpc
from services.sales import activities, orders, price_books, products, quote_documents, quotes
from services.sales.schemas import (
    activity_complete,
    activity_create,
    activity_query,
    activity_read,
    activity_update,
    order_create,
    order_query,
    order_read,
    order_transition,
    order_update,
    payment_create,
    payment_receipt,
    price_book_create,
    price_book_query,
    price_book_read,
    price_book_update,
    product_create,
    product_query,
    product_read,
    product_update,
    quote_create,
    quote_query,
    quote_read,
    quote_update,
)


def page_of(schema, page) -> dict:
    items, next_cursor = page
    return {"items": schema.dump(items, many=True), "next_cursor": next_cursor}


QUOTE_EXPIRY_SECONDS = float(config.env("CRM_QUOTE_EXPIRY_SECONDS", "300"))
ACTIVITY_DUE_SECONDS = float(config.env("CRM_ACTIVITY_DUE_SECONDS", "60"))


class SalesService(CrmService):
    name = "sales"

    customers = RpcProxy("customers")  # accounts and contacts live there

    # --- Commerce: price books, products, quotes, orders, payments, activities --------------

    @rpc
    def create_price_book(self, data: dict) -> dict:
        book = price_books.create(
            session=self.db, data=load(price_book_create, data), actor=self.caller
        )
        self.db.commit()
        return price_book_read.dump(book)

    @rpc
    def get_price_book(self, price_book_id: str) -> dict:
        return price_book_read.dump(price_books.get(session=self.db, price_book_id=price_book_id))

    @rpc
    def list_price_books(self, params: dict) -> dict:
        query = load(price_book_query, params)
        page = price_books.get_all(session=self.db, params=query)
        self.db.commit()  # the default book, made on first use
        return page_of(price_book_read, page)

    @rpc
    def update_price_book(self, price_book_id: str, changes: dict, expected_version=None) -> dict:
        book = price_books.update(
            session=self.db,
            price_book_id=price_book_id,
            changes=load(price_book_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return price_book_read.dump(book)

    @rpc
    def delete_price_book(self, price_book_id: str, expected_version=None) -> None:
        price_books.delete(
            session=self.db,
            price_book_id=price_book_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def create_product(self, data: dict) -> dict:
        product = products.create(
            session=self.db, data=load(product_create, data), actor=self.caller
        )
        self.db.commit()
        return product_read.dump(product)

    @rpc
    def get_product(self, product_id: str) -> dict:
        return product_read.dump(products.get(session=self.db, product_id=product_id))

    @rpc
    def list_products(self, params: dict) -> dict:
        query = load(product_query, params)
        return page_of(product_read, products.get_all(session=self.db, params=query))

    @rpc
    def update_product(self, product_id: str, changes: dict, expected_version=None) -> dict:
        product = products.update(
            session=self.db,
            product_id=product_id,
            changes=load(product_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return product_read.dump(product)

    @rpc
    def delete_product(self, product_id: str, expected_version=None) -> None:
        products.delete(
            session=self.db,
            product_id=product_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def create_quote(self, data: dict) -> dict:
        quote = quotes.create(
            session=self.db,
            data=load(quote_create, data),
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return quote_read.dump(quote)

    @rpc
    def get_quote(self, quote_id: str) -> dict:
        return quote_read.dump(quotes.get(session=self.db, quote_id=quote_id))

    @rpc
    def list_quotes(self, params: dict) -> dict:
        query = load(quote_query, params)
        return page_of(quote_read, quotes.get_all(session=self.db, params=query))

    @rpc
    def update_quote(self, quote_id: str, changes: dict, expected_version=None) -> dict:
        """A draft changes in place; a sent or expired quote answers with its new revision."""
        quote = quotes.update(
            session=self.db,
            quote_id=quote_id,
            changes=load(quote_update, changes),
            expected_version=expected_version,
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return quote_read.dump(quote)

    @rpc
    def delete_quote(self, quote_id: str, expected_version=None) -> None:
        quotes.delete(
            session=self.db,
            quote_id=quote_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def send_quote(self, quote_id: str, expected_version=None) -> dict:
        quote = quotes.send(
            session=self.db,
            quote_id=quote_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return quote_read.dump(quote)

    @rpc
    def accept_quote(self, quote_id: str, expected_version=None) -> dict:
        """Answers the order the accepted quote placed."""
        order = quotes.accept(
            session=self.db,
            quote_id=quote_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return order_read.dump(order)

    @rpc
    def reject_quote(self, quote_id: str, expected_version=None) -> dict:
        quote = quotes.reject(
            session=self.db,
            quote_id=quote_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return quote_read.dump(quote)

    @rpc
    def quote_document(self, quote_id: str) -> str:
        """The quote as a printable HTML page."""
        return quote_documents.render(session=self.db, quote_id=quote_id, customers=self.customers)

    @rpc
    def create_order(self, data: dict) -> dict:
        """`{"record": the order, "created": false}` when its external_id placed it before."""
        order, created = orders.place(
            session=self.db,
            data=load(order_create, data),
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return {"record": order_read.dump(order), "created": created}

    @rpc
    def get_order(self, order_id: str) -> dict:
        return order_read.dump(orders.get(session=self.db, order_id=order_id))

    @rpc
    def list_orders(self, params: dict) -> dict:
        query = load(order_query, params)
        return page_of(order_read, orders.get_all(session=self.db, params=query))

    @rpc
    def update_order(self, order_id: str, changes: dict, expected_version=None) -> dict:
        order = orders.update(
            session=self.db,
            order_id=order_id,
            changes=load(order_update, changes),
            expected_version=expected_version,
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return order_read.dump(order)

    @rpc
    def delete_order(self, order_id: str, expected_version=None) -> None:
        orders.delete(
            session=self.db,
            order_id=order_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def transition_order(self, order_id: str, data: dict, expected_version=None) -> dict:
        order = orders.transition(
            session=self.db,
            order_id=order_id,
            status=load(order_transition, data)["status"],
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return order_read.dump(order)

    @rpc
    def add_payment(self, order_id: str, data: dict) -> dict:
        """`{"record": the receipt, "created": false}` when its reference was paid before."""
        payment, order, created = orders.pay(
            session=self.db,
            order_id=order_id,
            data=load(payment_create, data),
            actor=self.caller,
        )
        self.db.commit()
        return {"record": payment_receipt.dump(orders.receipt(payment, order)), "created": created}

    @rpc
    def create_activity(self, data: dict) -> dict:
        activity = activities.create(
            session=self.db,
            data=load(activity_create, data),
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return activity_read.dump(activity)

    @rpc
    def get_activity(self, activity_id: str) -> dict:
        return activity_read.dump(activities.get(session=self.db, activity_id=activity_id))

    @rpc
    def list_activities(self, params: dict) -> dict:
        query = load(activity_query, params)
        page = activities.get_all(session=self.db, params=query, actor=self.caller)
        return page_of(activity_read, page)

    @rpc
    def update_activity(self, activity_id: str, changes: dict, expected_version=None) -> dict:
        activity = activities.update(
            session=self.db,
            activity_id=activity_id,
            changes=load(activity_update, changes),
            expected_version=expected_version,
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return activity_read.dump(activity)

    @rpc
    def delete_activity(self, activity_id: str, expected_version=None) -> None:
        activities.delete(
            session=self.db,
            activity_id=activity_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def complete_activity(self, activity_id: str, data: dict, expected_version=None) -> dict:
        activity = activities.complete(
            session=self.db,
            activity_id=activity_id,
            data=load(activity_complete, data),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return activity_read.dump(activity)

    @timer(interval=QUOTE_EXPIRY_SECONDS)
    def expire_quotes(self) -> int:
        expired = quotes.expire_due(self.db)
        self.db.commit()
        return expired

    @timer(interval=ACTIVITY_DUE_SECONDS)
    def remind_due_activities(self) -> int:
        reminded = activities.remind_due(self.db)
        self.db.commit()
        return reminded
