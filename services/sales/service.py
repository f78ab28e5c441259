"""The sales service's RPC entrypoints. The create, get, list, update and delete RPCs of its
declared resources come from `keeps` (infra.crud); the others are written here: validate, call
the domain, commit, dump."""

import base64
import binascii

from nameko.timer import timer

from contracts.sales import (
    ACTIVITIES,
    ASSIGNMENT_RULES,
    LEADS,
    OPPORTUNITIES,
    ORDERS,
    PIPELINES,
    PRICE_BOOKS,
    PRODUCTS,
    QUOTAS,
    QUOTES,
    SCORING_RULES,
    activity_complete,
    activity_read,
    forecast_query,
    forecast_read,
    lead_assignment,
    lead_conversion,
    lead_converted,
    lead_import_options,
    lead_import_result,
    lead_read,
    order_read,
    order_transition,
    payment_create,
    payment_receipt,
    quote_acceptance,
    quote_read,
    stage_history,
)
from infra import config
from infra.consumer import EventConsumer
from infra.crud import RecordType, keeps
from infra.errors import ValidationFailed, load
from infra.rpc import BoundedRpcProxy
from infra.service import CrmService, rpc
from services.sales import (
    activities,
    assignment_rules,
    conversions,
    customer_links,
    forecast,
    lead_imports,
    leads,
    opportunities,
    orders,
    pipelines,
    price_books,
    products,
    quotas,
    quote_documents,
    quotes,
    scoring_rules,
    teams,
)

RESCORE_SECONDS = float(config.env("CRM_LEAD_RESCORE_SECONDS", "86400"))
QUOTE_EXPIRY_SECONDS = float(config.env("CRM_QUOTE_EXPIRY_SECONDS", "300"))
ACTIVITY_DUE_SECONDS = float(config.env("CRM_ACTIVITY_DUE_SECONDS", "60"))


@keeps(
    RecordType(PIPELINES, pipelines),
    RecordType(OPPORTUNITIES, opportunities, uses=("customers",)),
    RecordType(QUOTAS, quotas),
    RecordType(LEADS, leads),
    RecordType(ASSIGNMENT_RULES, assignment_rules, uses=("directory",)),
    RecordType(SCORING_RULES, scoring_rules),
    RecordType(PRICE_BOOKS, price_books),
    RecordType(PRODUCTS, products),
    RecordType(QUOTES, quotes, uses=("customers",)),
    RecordType(ORDERS, orders, uses=("customers",)),
    RecordType(ACTIVITIES, activities, uses=("customers",)),
)
class SalesService(CrmService):
    name = "sales"

    customers = BoundedRpcProxy("customers")  # accounts and contacts live there

    # ---- Pipelines, opportunities, forecast and quotas ----

    @rpc
    def get_stage_history(self, opportunity_id: str) -> dict:
        self.visible("opportunity", opportunity_id)
        changes = opportunities.stage_history(session=self.db, opportunity_id=opportunity_id)
        return stage_history.dump({"items": changes})

    @rpc
    def get_forecast(self, params: dict) -> dict:
        query = load(forecast_query, params)
        return forecast_read.dump(
            forecast.forecast(session=self.db, params=query, directory=self.directory)
        )

    # --- Leads: capture, assignment, scoring, CSV import, conversion ------------------------

    directory = EventConsumer(teams.HANDLERS)  # the gateway's teams

    @directory.subscribe("gateway")
    def on_directory_event(self, envelope: dict) -> None:
        self.directory.apply(envelope)

    engagements = EventConsumer(
        {event_type: leads.on_engagement for event_type in leads.MARKETING_ENGAGEMENTS}
    )

    @rpc
    def assign_lead(self, lead_id: str, data: dict) -> dict:
        self.visible("lead", lead_id, writing=True)
        lead = leads.assign(
            session=self.db,
            lead_id=lead_id,
            data=load(lead_assignment, data),
            actor=self.caller,
            directory=self.directory,
        )
        self.db.commit()
        return lead_read.dump(lead)

    @rpc
    def convert_lead(self, lead_id: str, data: dict) -> dict:
        self.visible("lead", lead_id, writing=True)
        converted = conversions.convert(
            session=self.db,
            lead_id=lead_id,
            data=load(lead_conversion, data),
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return lead_converted.dump(converted)

    @rpc
    def import_leads(self, content: str, options: dict) -> dict:
        """`content`: the CSV file, base64 (RPC messages are JSON)."""
        try:
            raw = base64.b64decode(content, validate=True)
        except (binascii.Error, TypeError):
            raise ValidationFailed("Not base64.", {"file": ["Send the file base64."]}) from None
        result = lead_imports.run(
            session=self.db,
            content=raw,
            dry_run=load(lead_import_options, options)["dry_run"],
            actor=self.caller,
        )
        self.db.commit()
        return lead_import_result.dump(result)

    @engagements.subscribe("marketing")
    def on_marketing_event(self, envelope: dict) -> None:
        self.engagements.apply(envelope)

    # --- References to the customers service's contacts --------------------------------------
    # Merges and erasures only, from the time sales was added on: no sales record names a
    # contact before that. The consumer is bound to these two types, and a gap of other types
    # between them costs one `events_since` call for these types, not a fetch of each.

    contact_links = EventConsumer(
        {
            "contacts_merged": customer_links.on_contacts_merged,
            "contact_erased": customer_links.on_contact_erased,
        },
        from_now=True,
    )

    @contact_links.subscribe("customers")
    def on_customers_event(self, envelope: dict) -> None:
        self.contact_links.apply(envelope)

    @timer(interval=RESCORE_SECONDS)
    def rescore_fading_leads(self) -> None:
        """Engagements fade with time: score again the leads that have such engagements."""
        after = leads.rescore_fading(self.db, None)
        while after is not None:
            self.db.commit()
            after = leads.rescore_fading(self.db, after)
        self.db.commit()

    # --- Commerce: price books, products, quotes, orders, payments, activities --------------

    @rpc
    def send_quote(self, quote_id: str, expected_version=None) -> dict:
        self.visible("quote", quote_id, writing=True)
        quote = quotes.send(
            session=self.db,
            quote_id=quote_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return quote_read.dump(quote)

    @rpc
    def accept_quote(self, quote_id: str, data: dict | None = None, expected_version=None) -> dict:
        """Answers the order the accepted quote placed."""
        self.visible("quote", quote_id, writing=True)
        order = quotes.accept(
            session=self.db,
            quote_id=quote_id,
            data=load(quote_acceptance, data or {}),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return order_read.dump(order)

    @rpc
    def reject_quote(self, quote_id: str, expected_version=None) -> dict:
        self.visible("quote", quote_id, writing=True)
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
        self.visible("quote", quote_id)
        return quote_documents.render(session=self.db, quote_id=quote_id, customers=self.customers)

    @rpc
    def transition_order(self, order_id: str, data: dict, expected_version=None) -> dict:
        self.visible("order", order_id, writing=True)
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
        self.visible("order", order_id, writing=True)
        payment, order, created = orders.pay(
            session=self.db,
            order_id=order_id,
            data=load(payment_create, data),
            actor=self.caller,
        )
        self.db.commit()
        return {"record": payment_receipt.dump(orders.receipt(payment, order)), "created": created}

    @rpc
    def complete_activity(self, activity_id: str, data: dict, expected_version=None) -> dict:
        self.visible("activity", activity_id, writing=True)
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
