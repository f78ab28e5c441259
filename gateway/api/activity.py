from flask import jsonify
from flask.views import MethodView

from contracts import customers as schemas
from gateway.api import area
from gateway.resources import call, query_args
from gateway.security import EVERYONE, allow
from infra.resource import page_of

blp = area("activity")

TimelinePage, HistoryPage = page_of(schemas.TimelineEntryRead), page_of(schemas.ChangeRead)


def register_record_activity(entity: str) -> None:
    """`/<entity>s/{id}/timeline` and `/<entity>s/{id}/history`."""

    class Timeline(MethodView):
        @allow(*EVERYONE)
        @blp.arguments(schemas.TimelineQuery, location="query", as_kwargs=True)
        @blp.response(200, TimelinePage)
        def get(self, record_id, **_query):
            """Its changes, interactions and other services' events about it, newest first."""
            return jsonify(call("customers", "list_timeline", entity, record_id, query_args()))

    class History(MethodView):
        @allow(*EVERYONE)
        @blp.arguments(schemas.NewestFirstQuery, location="query", as_kwargs=True)
        @blp.response(200, HistoryPage)
        def get(self, record_id, **_query):
            """Who changed which of its fields, from what to what, and when; newest first."""
            return jsonify(call("customers", "list_history", entity, record_id, query_args()))

    path = f"/{entity}s/<record_id>"
    blp.add_url_rule(f"{path}/timeline", f"{entity}_timeline", view_func=Timeline)
    blp.add_url_rule(f"{path}/history", f"{entity}_history", view_func=History)


register_record_activity("contact")
register_record_activity("account")
