"""The sales service's RPC entrypoints: validate, call the domain, commit, dump."""

from nameko.rpc import RpcProxy

from infra.errors import load
from infra.records import page_of
from infra.service import CrmService, rpc
from services.sales import forecast, opportunities, pipelines, quotas
from services.sales.schemas import (
    forecast_query,
    forecast_read,
    opportunity_create,
    opportunity_query,
    opportunity_read,
    opportunity_update,
    pipeline_create,
    pipeline_query,
    pipeline_read,
    pipeline_update,
    quota_create,
    quota_query,
    quota_read,
    quota_update,
    stage_history,
)


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
