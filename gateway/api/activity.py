from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import RAISE

from gateway.resources import Resource, call, register
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
    ),
)

TimelinePage, HistoryPage = page_of(schemas.TimelineEntryRead), page_of(schemas.ChangeRead)


def register_record_activity(entity: str) -> None:
    """`/<entity>s/{id}/timeline` and `/<entity>s/{id}/history`."""

    @blp.route(f"/{entity}s/<record_id>/timeline", endpoint=f"{entity}_timeline")
    @allow(*EVERYONE)
    @blp.arguments(schemas.TimelineQuery, location="query", unknown=RAISE)
    @blp.response(200, TimelinePage)
    def timeline(query, record_id):
        """Its changes, interactions and other services' events about it, newest first."""
        return jsonify(call("customers", "list_timeline", entity, record_id, query))

    @blp.route(f"/{entity}s/<record_id>/history", endpoint=f"{entity}_history")
    @allow(*EVERYONE)
    @blp.arguments(schemas.PageQuery, location="query", unknown=RAISE)
    @blp.response(200, HistoryPage)
    def history(query, record_id):
        """Who changed which of its fields, from what to what, and when; newest first."""
        return jsonify(call("customers", "list_history", entity, record_id, query))


register_record_activity("contact")
register_record_activity("account")
