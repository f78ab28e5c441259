"""Pipelines, opportunities, the forecast and quotas: the sales service's pipeline area."""

from flask import jsonify
from flask.views import MethodView

from contracts import sales as schemas
from gateway.api import area
from gateway.resources import call, query_args
from gateway.security import EVERYONE, allow

blp = area("sales_pipeline")


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
