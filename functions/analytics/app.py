"""GET /campaigns/{id}/analytics (owner JWT): a campaign's numbers from its counters."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.analytics import CONFIDENCE_STEPS, Analytics, campaign_analytics
from soundlink.campaign import AttributionModel
from soundlink.campaigns import CampaignService
from soundlink.errors import BadRequest
from soundlink.http import make_resolver, owner_id, responses
from soundlink.models import bind_tables
from soundlink.observability import logger, metrics, tracer
from soundlink.repositories import DynamoCampaignRepository
from soundlink.settings import get_settings

app = make_resolver()


@lru_cache(maxsize=1)
def campaigns() -> CampaignService:
    bind_tables(get_settings())
    return CampaignService(DynamoCampaignRepository())


@app.get(
    "/campaigns/<campaign_id>/analytics",
    summary="A campaign's clicks, consents, streams and listeners",
    responses=responses(200, "The campaign's numbers", Analytics, errors=(400, 401, 404)),
)
def analytics(
    campaign_id: str,
    model: Annotated[AttributionModel | None, Query(description="Credit model; the campaign's own by default")] = None,
    min_confidence: Annotated[float, Query(ge=0, le=0.9, description="0.0, 0.1, ... 0.9")] = 0.0,
) -> Analytics:
    campaign = campaigns().get(owner_id(app), campaign_id)
    if abs(min_confidence * CONFIDENCE_STEPS - round(min_confidence * CONFIDENCE_STEPS)) > 1e-9:
        raise BadRequest("min_confidence must be a multiple of 0.1 between 0 and 0.9 (e.g. 0.5)")
    chosen = model or campaign.attribution_model
    return campaign_analytics(campaign.id, model=chosen.value, min_confidence=round(min_confidence, 1))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
