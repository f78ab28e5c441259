"""Pipelines, opportunities, the forecast and quotas: the sales service's pipeline area."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.resources import Resource, call, query_args, register
from gateway.security import ADMINS, EDITORS, EVERYONE, MANAGERS, allow
from services.sales import schemas

blp = Blueprint(
    "sales_pipeline",
    __name__,
    url_prefix="/api/v1",
    description="Pipelines and their stages, opportunities, the forecast, and quotas.",
)

PIPELINES = Resource(
    path="/pipelines",
    service="sales",
    entity="pipeline",
    create=schemas.PipelineCreate,
    update=schemas.PipelineUpdate,
    read=schemas.PipelineRead,
    query=schemas.PipelineQuery,
    read_roles=EVERYONE,
    write_roles=ADMINS,
)
OPPORTUNITIES = Resource(
    path="/opportunities",
    service="sales",
    entity="opportunity",
    create=schemas.OpportunityCreate,
    update=schemas.OpportunityUpdate,
    read=schemas.OpportunityRead,
    query=schemas.OpportunityQuery,
    read_roles=EVERYONE,
    write_roles=EDITORS,
    users_named=("owner_id",),
)
QUOTAS = Resource(
    path="/quotas",
    service="sales",
    entity="quota",
    create=schemas.QuotaCreate,
    update=schemas.QuotaUpdate,
    read=schemas.QuotaRead,
    query=schemas.QuotaQuery,
    read_roles=EVERYONE,
    write_roles=MANAGERS,
    users_named=("user_id",),
)

for resource in (PIPELINES, OPPORTUNITIES, QUOTAS):
    register(blp, resource)


class StageHistory(MethodView):
    @allow(*EVERYONE)
    @blp.response(200, schemas.StageHistory)
    def get(self, record_id):
        """Every stage the opportunity entered, oldest first: from, to, when, by whom."""
        return jsonify(call("sales", "get_stage_history", record_id))


class Forecast(MethodView):
    @allow(*EVERYONE)
    @blp.arguments(schemas.ForecastQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.ForecastRead)
    def get(self, **_query):
        """The forecast of a month (`2026-11`) or quarter (`2026-Q4`) for an owner, a team or
        (neither) everyone: open pipeline (open, expected to close in the period), weighted
        pipeline (amount x effective probability), best case (open in best_case or commit,
        plus closed won), commit (open in commit, plus closed won), closed won (won in the
        period), quota (a quarter's: each owner's quarter quota, else the sum of their months')
        and the gap to it (quota - closed won). One block per currency, never converted; exact
        sums, each rounded half up to cents."""
        return jsonify(call("sales", "get_forecast", query_args()))


blp.add_url_rule(
    "/opportunities/<record_id>/stage-history", "opportunity_stage_history", view_func=StageHistory
)
blp.add_url_rule("/forecast", "forecast", view_func=Forecast)
