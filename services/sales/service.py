"""The sales service's RPC entrypoints: validate, call the domain, commit, dump."""

import base64
import binascii

from nameko.events import event_handler
from nameko.rpc import RpcProxy
from nameko.timer import timer

from infra import config
from infra.consumer import EventConsumer
from infra.errors import ValidationFailed, load
from infra.records import page_of
from infra.service import CrmService, rpc
from services.sales import (
    activities,
    assignment,
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
    scoring,
)
from services.sales.schemas import (
    activity_complete,
    activity_create,
    activity_query,
    activity_read,
    activity_update,
    assignment_rule_create,
    assignment_rule_read,
    assignment_rule_update,
    forecast_query,
    forecast_read,
    lead_assignment,
    lead_conversion,
    lead_converted,
    lead_create,
    lead_import_options,
    lead_import_result,
    lead_query,
    lead_read,
    lead_update,
    opportunity_create,
    opportunity_query,
    opportunity_read,
    opportunity_update,
    order_create,
    order_query,
    order_read,
    order_transition,
    order_update,
    payment_create,
    payment_receipt,
    pipeline_create,
    pipeline_query,
    pipeline_read,
    pipeline_update,
    price_book_create,
    price_book_query,
    price_book_read,
    price_book_update,
    product_create,
    product_query,
    product_read,
    product_update,
    quota_create,
    quota_query,
    quota_read,
    quota_update,
    quote_acceptance,
    quote_create,
    quote_query,
    quote_read,
    quote_update,
    rule_query,
    scoring_rule_create,
    scoring_rule_read,
    scoring_rule_update,
    stage_history,
    team_create,
    team_query,
    team_read,
    team_update,
)

RESCORE_SECONDS = float(config.env("CRM_LEAD_RESCORE_SECONDS", "86400"))
QUOTE_EXPIRY_SECONDS = float(config.env("CRM_QUOTE_EXPIRY_SECONDS", "300"))
ACTIVITY_DUE_SECONDS = float(config.env("CRM_ACTIVITY_DUE_SECONDS", "60"))


class SalesService(CrmService):
    name = "sales"

    customers = RpcProxy("customers")  # accounts and contacts live there

    # ---- Pipelines, opportunities, forecast and quotas ----

    @rpc
    def create_pipeline(self, data: dict) -> dict:
        pipeline = pipelines.create(
            session=self.db, data=load(pipeline_create, data), actor=self.caller
        )
        self.db.commit()
        return pipeline_read.dump(pipeline)

    @rpc
    def get_pipeline(self, pipeline_id: str) -> dict:
        return pipeline_read.dump(pipelines.get(session=self.db, pipeline_id=pipeline_id))

    @rpc
    def list_pipelines(self, params: dict) -> dict:
        query = load(pipeline_query, params)
        page = page_of(pipeline_read, pipelines.get_all(session=self.db, params=query))
        self.db.commit()  # the standard pipeline, seeded on first use
        return page

    @rpc
    def update_pipeline(self, pipeline_id: str, changes: dict, expected_version=None) -> dict:
        pipeline = pipelines.update(
            session=self.db,
            pipeline_id=pipeline_id,
            changes=load(pipeline_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return pipeline_read.dump(pipeline)

    @rpc
    def delete_pipeline(self, pipeline_id: str, expected_version=None) -> None:
        pipelines.delete(
            session=self.db,
            pipeline_id=pipeline_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def create_opportunity(self, data: dict) -> dict:
        opportunity = opportunities.create(
            session=self.db,
            data=load(opportunity_create, data),
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return opportunity_read.dump(opportunity)

    @rpc
    def get_opportunity(self, opportunity_id: str) -> dict:
        return opportunity_read.dump(
            opportunities.get(session=self.db, opportunity_id=opportunity_id)
        )

    @rpc
    def list_opportunities(self, params: dict) -> dict:
        query = load(opportunity_query, params)
        return page_of(opportunity_read, opportunities.get_all(session=self.db, params=query))

    @rpc
    def update_opportunity(self, opportunity_id: str, changes: dict, expected_version=None) -> dict:
        opportunity = opportunities.update(
            session=self.db,
            opportunity_id=opportunity_id,
            changes=load(opportunity_update, changes),
            expected_version=expected_version,
            actor=self.caller,
            customers=self.customers,
        )
        self.db.commit()
        return opportunity_read.dump(opportunity)

    @rpc
    def delete_opportunity(self, opportunity_id: str, expected_version=None) -> None:
        opportunities.delete(
            session=self.db,
            opportunity_id=opportunity_id,
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()

    @rpc
    def get_stage_history(self, opportunity_id: str) -> dict:
        changes = opportunities.stage_history(session=self.db, opportunity_id=opportunity_id)
        return stage_history.dump({"items": changes})

    @rpc
    def get_forecast(self, params: dict) -> dict:
        query = load(forecast_query, params)
        return forecast_read.dump(forecast.forecast(session=self.db, params=query))

    @rpc
    def create_quota(self, data: dict) -> dict:
        quota = quotas.create(session=self.db, data=load(quota_create, data), actor=self.caller)
        self.db.commit()
        return quota_read.dump(quota)

    @rpc
    def get_quota(self, quota_id: str) -> dict:
        return quota_read.dump(quotas.get(session=self.db, quota_id=quota_id))

    @rpc
    def list_quotas(self, params: dict) -> dict:
        query = load(quota_query, params)
        return page_of(quota_read, quotas.get_all(session=self.db, params=query))

    @rpc
    def update_quota(self, quota_id: str, changes: dict, expected_version=None) -> dict:
        quota = quotas.update(
            session=self.db,
            quota_id=quota_id,
            changes=load(quota_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return quota_read.dump(quota)

    @rpc
    def delete_quota(self, quota_id: str, expected_version=None) -> None:
        quotas.delete(
            session=self.db, quota_id=quota_id, expected_version=expected_version, actor=self.caller
        )
        self.db.commit()

    # --- Leads: capture, assignment, scoring, CSV import, conversion ------------------------

    engagements = EventConsumer(
        {event_type: leads.on_engagement for event_type in leads.MARKETING_ENGAGEMENTS}
    )

    @rpc
    def create_lead(self, data: dict) -> dict:
        lead = leads.create(session=self.db, data=load(lead_create, data), actor=self.caller)
        self.db.commit()
        return lead_read.dump(lead)

    @rpc
    def get_lead(self, lead_id: str) -> dict:
        return lead_read.dump(leads.get(session=self.db, lead_id=lead_id))

    @rpc
    def list_leads(self, params: dict) -> dict:
        query = load(lead_query, params)
        return page_of(lead_read, leads.get_all(session=self.db, params=query))

    @rpc
    def update_lead(self, lead_id: str, changes: dict, expected_version=None) -> dict:
        lead = leads.update(
            session=self.db,
            lead_id=lead_id,
            changes=load(lead_update, changes),
            expected_version=expected_version,
            actor=self.caller,
        )
        self.db.commit()
        return lead_read.dump(lead)

    @rpc
    def delete_lead(self, lead_id: str, expected_version=None) -> None:
        leads.delete(
            session=self.db, lead_id=lead_id, expected_version=expected_version, actor=self.caller
        )
        self.db.commit()

    @rpc
    def assign_lead(self, lead_id: str, data: dict) -> dict:
        lead = leads.assign(
            session=self.db, lead_id=lead_id, data=load(lead_assignment, data), actor=self.caller
        )
        self.db.commit()
        return lead_read.dump(lead)

    @rpc
    def convert_lead(self, lead_id: str, data: dict) -> dict:
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

    @event_handler("marketing", "#")
    def on_marketing_event(self, envelope: dict) -> None:
        self.engagements.apply(envelope)

    # --- References to the customers service's contacts --------------------------------------
    # Bound to these two types alone, not through an EventConsumer: following a merge or an
    # erasure is idempotent, and sales needs none of the customers service's other events (an
    # EventConsumer would fetch every one of them to keep its sequence without gaps).

    @event_handler("customers", "contacts_merged")
    def follow_merged_contact(self, envelope: dict) -> None:
        customer_links.on_contacts_merged(self.db, envelope)
        self.db.commit()

    @event_handler("customers", "contact_erased")
    def forget_erased_contact(self, envelope: dict) -> None:
        customer_links.on_contact_erased(self.db, envelope)
        self.db.commit()

    @timer(interval=RESCORE_SECONDS)
    def rescore_fading_leads(self) -> None:
        """Engagements fade with time: score again the leads that have such engagements."""
        after = leads.rescore_fading(self.db, None)
        while after is not None:
            self.db.commit()
            after = leads.rescore_fading(self.db, after)
        self.db.commit()

    @rpc
    def create_team(self, data: dict) -> dict:
        team = assignment.create_team(session=self.db, data=load(team_create, data))
        self.db.commit()
        return team_read.dump(team)

    @rpc
    def get_team(self, team_id: str) -> dict:
        return team_read.dump(assignment.get_team(session=self.db, team_id=team_id))

    @rpc
    def list_teams(self, params: dict) -> dict:
        load(team_query, params)
        teams = assignment.get_teams(session=self.db)
        return {"items": team_read.dump(teams, many=True), "next_cursor": None}

    @rpc
    def update_team(self, team_id: str, changes: dict, expected_version=None) -> dict:
        team = assignment.update_team(
            session=self.db, team_id=team_id, changes=load(team_update, changes)
        )
        self.db.commit()
        return team_read.dump(team)

    @rpc
    def delete_team(self, team_id: str, expected_version=None) -> None:
        assignment.delete_team(session=self.db, team_id=team_id)
        self.db.commit()

    @rpc
    def create_assignment_rule(self, data: dict) -> dict:
        rule = assignment.create_rule(session=self.db, data=load(assignment_rule_create, data))
        self.db.commit()
        return assignment_rule_read.dump(rule)

    @rpc
    def get_assignment_rule(self, rule_id: str) -> dict:
        return assignment_rule_read.dump(assignment.get_rule(session=self.db, rule_id=rule_id))

    @rpc
    def list_assignment_rules(self, params: dict) -> dict:
        rules = assignment.get_rules(session=self.db, params=load(rule_query, params))
        return {"items": assignment_rule_read.dump(rules, many=True), "next_cursor": None}

    @rpc
    def update_assignment_rule(self, rule_id: str, changes: dict, expected_version=None) -> dict:
        rule = assignment.update_rule(
            session=self.db, rule_id=rule_id, changes=load(assignment_rule_update, changes)
        )
        self.db.commit()
        return assignment_rule_read.dump(rule)

    @rpc
    def delete_assignment_rule(self, rule_id: str, expected_version=None) -> None:
        assignment.delete_rule(session=self.db, rule_id=rule_id)
        self.db.commit()

    @rpc
    def create_scoring_rule(self, data: dict) -> dict:
        rule = scoring.create_rule(session=self.db, data=load(scoring_rule_create, data))
        leads.rescore_open(self.db, self.caller)
        self.db.commit()
        return scoring_rule_read.dump(rule)

    @rpc
    def get_scoring_rule(self, rule_id: str) -> dict:
        return scoring_rule_read.dump(scoring.get_rule(session=self.db, rule_id=rule_id))

    @rpc
    def list_scoring_rules(self, params: dict) -> dict:
        rules = scoring.get_rules(session=self.db, params=load(rule_query, params))
        return {"items": scoring_rule_read.dump(rules, many=True), "next_cursor": None}

    @rpc
    def update_scoring_rule(self, rule_id: str, changes: dict, expected_version=None) -> dict:
        rule = scoring.update_rule(
            session=self.db, rule_id=rule_id, changes=load(scoring_rule_update, changes)
        )
        leads.rescore_open(self.db, self.caller)
        self.db.commit()
        return scoring_rule_read.dump(rule)

    @rpc
    def delete_scoring_rule(self, rule_id: str, expected_version=None) -> None:
        scoring.delete_rule(session=self.db, rule_id=rule_id)
        leads.rescore_open(self.db, self.caller)
        self.db.commit()

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
    def accept_quote(self, quote_id: str, data: dict | None = None, expected_version=None) -> dict:
        """Answers the order the accepted quote placed."""
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
