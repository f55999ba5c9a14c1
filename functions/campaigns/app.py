"""Owner campaign API: POST/GET /campaigns, GET/PATCH/DELETE /campaigns/{id},
GET /campaigns/{id}/qr.svg; the owner's Spotify connection (owner_spotify.py), settings and
account deletion (owner_account.py); and the public GET /health and GET /openapi.json."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from campaigns import owner_account, owner_spotify, playlist_check
from soundlink.analytics.listing import list_figures
from soundlink.campaigns.campaign import Campaign, CampaignStatus, tracker_url
from soundlink.campaigns.repository import DynamoCampaignRepository
from soundlink.campaigns.schemas import (
    CampaignCreate,
    CampaignList,
    CampaignListItem,
    CampaignOut,
    CampaignUpdate,
    Headline,
    SpotifyQuota,
)
from soundlink.campaigns.service import CampaignService
from soundlink.listeners import followed
from soundlink.platform import coldstart
from soundlink.platform.health import run_checks
from soundlink.platform.http import HealthBody, api_url, make_resolver, openapi_document, owner_id, responses
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import CampaignItem, bind_tables

app = make_resolver()
app.include_router(owner_spotify.router)
app.include_router(owner_account.router)
app.include_router(playlist_check.router)


@lru_cache(maxsize=1)
def service() -> CampaignService:
    bind_tables(get_settings())
    return CampaignService(DynamoCampaignRepository(), max_per_owner=get_settings().max_campaigns_per_owner)


def _out(campaign: Campaign) -> CampaignOut:
    return CampaignOut.of(campaign, api_url(app, get_settings()))


@app.post(
    "/campaigns",
    summary="Create a campaign",
    responses=responses(201, "Created; Location is its URL", CampaignOut, errors=(409,)),
)
def create_campaign(draft: CampaignCreate) -> Response[CampaignOut]:
    owner = owner_id(app)
    service()  # binds the tables
    # Read the playlist first (never refusing on it): its name and cover, or a warning kept on the campaign.
    checked = playlist_check.check(draft.playlist, owner)
    campaign = service().create(owner, draft, playlist_check.seen(checked))
    metrics.add_metric(name="CampaignCreated", unit=MetricUnit.Count, value=1)
    logger.info("campaign created", extra={"campaign_id": campaign.id})
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=_out(campaign).model_dump(mode="json"),
        headers={"Location": f"/campaigns/{campaign.id}"},
    )


@app.get(
    "/campaigns",
    summary="Your campaigns, newest first",
    responses=responses(200, "One page of campaigns", CampaignList),
)
def list_campaigns(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    status: Annotated[CampaignStatus | None, Query()] = None,
) -> CampaignList:
    page = service().list(owner_id(app), limit=limit, cursor=cursor, status=status)
    base = api_url(app, get_settings())
    numbers = list_figures(page.campaigns, datetime.now(UTC))
    return CampaignList(
        campaigns=[
            CampaignListItem(**CampaignOut.of(c, base).model_dump(), headline=Headline(**numbers[c.id]))
            for c in page.campaigns
        ],
        next_cursor=page.next_cursor,
        spotify=_quota(),
    )


def _quota() -> SpotifyQuota:
    return SpotifyQuota(**followed.spotify_quota())


@app.get(
    "/campaigns/<campaign_id>",
    summary="One campaign",
    responses=responses(200, "The campaign", CampaignOut, errors=(404,)),
)
def get_campaign(campaign_id: str) -> CampaignOut:
    return _out(service().get(owner_id(app), campaign_id))


@app.patch(
    "/campaigns/<campaign_id>",
    summary="Change a campaign",
    responses=responses(200, "The changed campaign", CampaignOut, errors=(404, 409)),
)
def update_campaign(campaign_id: str, changes: CampaignUpdate) -> CampaignOut:
    campaign = service().update(owner_id(app), campaign_id, changes)
    logger.info("campaign updated", extra={"campaign_id": campaign_id, "fields": sorted(changes.model_fields_set)})
    return _out(campaign)


@app.delete(
    "/campaigns/<campaign_id>",
    summary="Archive a campaign (its analytics are kept)",
    responses=responses(200, "The archived campaign", CampaignOut, errors=(404, 409)),
)
def archive_campaign(campaign_id: str) -> CampaignOut:
    campaign = service().archive(owner_id(app), campaign_id)
    logger.info("campaign archived", extra={"campaign_id": campaign_id})
    return _out(campaign)


@app.get(
    "/campaigns/<campaign_id>/qr.svg",
    summary="QR code of the tracker link (SVG)",
    responses=responses(200, "The QR code", media_type="image/svg+xml", errors=(404,)),
)
def campaign_qr(campaign_id: str) -> Response[str]:
    campaign = service().get(owner_id(app), campaign_id)
    buffer = io.BytesIO()
    import segno  # only this route draws QR codes: not every cold start of the owner API pays for it

    segno.make(tracker_url(api_url(app, get_settings()), campaign.slug), error="m").save(
        buffer, kind="svg", scale=8, border=4, title=f"Soundlink tracker: {campaign.name}"
    )
    return Response(
        status_code=200,
        content_type="image/svg+xml",
        body=buffer.getvalue().decode(),
        headers={"Cache-Control": "private, max-age=300"},
    )


def _data_table_reachable() -> None:
    service()  # binds the tables
    with contextlib.suppress(CampaignItem.DoesNotExist):
        CampaignItem.get(*CampaignItem.key("health-check"))


@app.get(
    "/health",
    summary="Is the API and its storage reachable?",
    responses={**responses(200, "Reachable", HealthBody), **responses(503, "Storage unreachable", HealthBody)},
    openapi_extensions={"security": []},  # public
)
def health() -> Response[dict]:
    healthy, checks = run_checks({"data_table": _data_table_reachable})
    return Response(
        status_code=200 if healthy else 503,
        content_type=content_types.APPLICATION_JSON,
        body={"status": "ok" if healthy else "unavailable", "checks": checks},
        headers={"Cache-Control": "no-store"},
    )


@app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    # Only this route documents the API: Powertools' OpenAPI models (~100 ms of pydantic
    # classes) and the analytics function's routes (the same HTTP API) load for it alone.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from analytics.app import app as analytics_app

    document = openapi_document(
        app,
        analytics_app,
        title="Soundlink API",
        version="1.0.0",
        description="Owner campaign API. Owner routes need a Cognito ID token: Authorization: Bearer <token>.",
        security_schemes={"ownerJwt": HTTPBearer(bearerFormat="JWT")},
        security=[{"ownerJwt": []}],
    )
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


coldstart.done()  # the end of init (begun in __init__.py)
