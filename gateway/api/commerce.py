"""Price books, products, quotes, orders and payments, activities: the sales service's
commerce records, and the steps they take (send, accept, reject, transition, pay, complete)."""

from flask import Response, jsonify, request, url_for
from flask.views import MethodView

from contracts import sales as schemas
from gateway.api import area
from gateway.idempotency import idempotent
from gateway.resources import ETAG, call, expected_version, query_args, with_etag
from gateway.security import EDITORS, EVERYONE, allow
from infra.resource import page_of

blp = area("commerce")


class SendQuote(MethodView):
    @allow(*EDITORS)
    @blp.response(200, schemas.QuoteRead, headers=ETAG)
    def post(self, record_id):
        """Send a draft: it is fixed from now on (an edit makes its next revision) and can be
        accepted or rejected until its `valid_until`; `quote_sent` is published. A quote that
        is not a draft is a 422 naming `status`; one past its `valid_until`, naming that."""
        return with_etag(call("sales", "send_quote", record_id, expected_version()))


class RejectQuote(MethodView):
    @allow(*EDITORS)
    @blp.response(200, schemas.QuoteRead, headers=ETAG)
    def post(self, record_id):
        """Reject a sent quote; `quote_rejected` is published, and it can no longer change.
        A quote that is not sent is a 422 naming `status`."""
        return with_etag(call("sales", "reject_quote", record_id, expected_version()))


class AcceptQuote(MethodView):
    @allow(*EDITORS)
    @blp.arguments(schemas.QuoteAcceptance)
    @blp.response(201, schemas.OrderRead, headers=ETAG)
    def post(self, _data, record_id):
        """Accept a sent quote: answers the order it places (its lines copied, the same
        totals), in the same transaction; `quote_accepted` and `order_placed` are published.
        The quote's opportunity, if still open, is moved to its pipeline's won stage in that
        transaction too (`opportunity_won`), unless the body says `"mark_opportunity_won":
        false`; a lost one is a 422 naming `mark_opportunity_won` (reopen it, or send false).
        A quote not `sent` (a draft, decided, or expired) is a 422 naming `status`."""
        body = request.get_json(silent=True) or {}
        order = call("sales", "accept_quote", record_id, body, expected_version())
        response = with_etag(order, 201)
        response.headers["Location"] = url_for(".order", record_id=order["id"])
        return response


class QuoteDocument(MethodView):
    @allow(*EVERYONE)
    @blp.response(200, {"type": "string"}, content_type="text/html")
    def get(self, record_id):
        """The quote as a printable HTML page (lines, totals, currency, validity); print it
        to PDF from the browser."""
        return Response(call("sales", "quote_document", record_id), mimetype="text/html")


class OrderTransition(MethodView):
    @allow(*EDITORS)
    @blp.arguments(schemas.OrderTransition)
    @blp.response(200, schemas.OrderRead, headers=ETAG)
    def post(self, _data, record_id):
        """Move the order: pending -> confirmed | cancelled; confirmed -> shipped | cancelled;
        shipped -> delivered. Any other move is a 422 naming `status` and the allowed ones.
        Publishes `order_<status>`. With `If-Match`, only if unchanged since read."""
        moved = call("sales", "transition_order", record_id, request.get_json(), expected_version())
        return with_etag(moved)


class OrderPayments(MethodView):
    @allow(*EDITORS)
    @idempotent
    @blp.arguments(schemas.PaymentCreate)
    @blp.response(201, schemas.PaymentReceipt)
    @blp.alt_response(
        200,
        schema=schemas.PaymentReceipt,
        description="A payment with this `reference` was recorded before: that one.",
    )
    def post(self, _data, record_id):
        """Record a payment: more than zero, at most what is due (else a 422 naming `amount`).
        The order becomes `partially_paid` or `paid`; `payment_received` is published, and
        `order_paid` when nothing is due any more. The same `reference` again is the same
        payment: a 200 with it, nothing new (with another amount, a 409)."""
        answer = call("sales", "add_payment", record_id, request.get_json())
        return jsonify(answer["record"]), 201 if answer["created"] else 200


class CompleteActivity(MethodView):
    @allow(*EDITORS)
    @blp.arguments(schemas.ActivityComplete)
    @blp.response(200, schemas.ActivityRead, headers=ETAG)
    def post(self, _data, record_id):
        """Mark the activity done, now or at `completed_at`; `activity_completed` is published.
        Done already, it stays as it was."""
        done = call(
            "sales",
            "complete_activity",
            record_id,
            request.get_json(silent=True) or {},
            expected_version(),
        )
        return with_etag(done)


class MyActivities(MethodView):
    @allow(*EVERYONE)
    @blp.arguments(schemas.ActivityQuery, location="query", as_kwargs=True)
    @blp.response(200, page_of(schemas.ActivityRead))
    def get(self, **_query):
        """My open activities, soonest due first: the list with `mine=true&open=true` and
        `sort=due_at` unless the query says otherwise."""
        params = {"mine": "true", "open": "true", "sort": "due_at", **query_args()}
        return jsonify(call("sales", "list_activities", params))


blp.add_url_rule("/quotes/<record_id>/send", "quote_send", view_func=SendQuote)
blp.add_url_rule("/quotes/<record_id>/reject", "quote_reject", view_func=RejectQuote)
blp.add_url_rule("/quotes/<record_id>/accept", "quote_accept", view_func=AcceptQuote)
blp.add_url_rule("/quotes/<record_id>/document", "quote_document", view_func=QuoteDocument)
blp.add_url_rule("/orders/<record_id>/transition", "order_transition", view_func=OrderTransition)
blp.add_url_rule("/orders/<record_id>/payments", "order_payments", view_func=OrderPayments)
blp.add_url_rule(
    "/activities/<record_id>/complete", "activity_complete", view_func=CompleteActivity
)
blp.add_url_rule("/activities/mine", "activity_mine", view_func=MyActivities)
