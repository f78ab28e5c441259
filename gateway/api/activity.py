from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.resources import Resource, call, query_args, register
from gateway.schemas import page_of
from gateway.security import EDITORS, EVERYONE, allow
from services.customers import schemas

blp = Blueprint(
    "activity",
    __name__,
    url_prefix="/api/v1",
    description="Interactions (calls, emails, meetings...), and what happened to each account "
    "and contact: its timeline and its change history.",
)

register(
    blp,
    Resource(
        path="/interactions",
        service="customers",
        entity="interaction",
        create=schemas.InteractionCreate,
        update=schemas.InteractionUpdate,
        read=schemas.InteractionRead,
        query=schemas.InteractionQuery,
        read_roles=EVERYONE,
        write_roles=EDITORS,
        users_named=("user_id",),
    ),
)

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
