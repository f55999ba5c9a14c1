"""GET /campaigns/{id}/analytics, GET /campaigns/{id}/export.csv and GET /campaigns/{id}/clicks.csv (owner JWT)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime

from soundlink.analytics.clicks_export import clicks_csv
from soundlink.analytics.cost import cost_of_report, whole_campaign_cost
from soundlink.analytics.export import MAX_EXPORT_BYTES, export_csv
from soundlink.analytics.report import MAX_POINTS, campaign_analytics
from soundlink.analytics.schemas import Analytics
from soundlink.analytics.zoned import zone_of
from soundlink.attribution.rules import CONFIDENCE_BUCKETS
from soundlink.campaigns.campaign import AttributionModel
from soundlink.campaigns.repository import DynamoCampaignRepository
from soundlink.campaigns.service import CampaignService
from soundlink.listeners.followed import spotify_quota
from soundlink.platform import coldstart
from soundlink.platform.errors import BadRequest
from soundlink.platform.http import make_resolver, owner_id, responses
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables

app = make_resolver()
MAX_COMPARED = 5
DEFAULT_HOURS = timedelta(days=2)  # hour points: the last two days (or the campaign's life, if shorter)


@lru_cache(maxsize=1)
def _export_secret() -> str:
    """The per-deployment secret of export pseudonyms (read once per container)."""
    import boto3

    settings = get_settings()
    client = boto3.client("secretsmanager", region_name=settings.region)
    return client.get_secret_value(SecretId=settings.export_secret_arn)["SecretString"]


@lru_cache(maxsize=1)
def campaigns() -> CampaignService:
    bind_tables(get_settings())
    return CampaignService(DynamoCampaignRepository())


EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # beyond these, date arithmetic overflows (year 1, 9999)


def _plausible(value: datetime | None, name: str) -> None:
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise BadRequest(
            f"{name} must be a date between {EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31, got {value.isoformat()}"
        )


def _end_of_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _range(
    start: datetime | None, end: datetime | None, granularity: str, began: datetime
) -> tuple[datetime, datetime]:
    """[from, to) asked, or by default the campaign's start (`began`) to the end of the current hour,
    no longer than the granularity allows."""
    _plausible(start, "from")
    _plausible(end, "to")
    if end is None:
        # The end of the current hour: the answer (and its ETag) stays the same until data changes.
        end = _end_of_hour()
    end = end.astimezone(UTC)
    if start is None:
        step = timedelta(hours=1) if granularity == "hour" else timedelta(days=1)
        longest = DEFAULT_HOURS if granularity == "hour" else step * MAX_POINTS["day"]
        start = max(began.astimezone(UTC).replace(minute=0, second=0, microsecond=0), end - longest)
        start = min(start, end - timedelta(hours=1))  # a clock ahead of this one: still one hour
    start = start.astimezone(UTC)
    if start >= end:
        raise BadRequest(f"from must be earlier than to (from {start.isoformat()}, to {end.isoformat()})")
    step = timedelta(hours=1) if granularity == "hour" else timedelta(days=1)
    if (end - start) / step > MAX_POINTS[granularity]:
        longest = "7 days" if granularity == "hour" else "400 days"
        raise BadRequest(f"the range is too long for {granularity}ly points: at most {longest}")
    return start, end


@app.get(
    "/campaigns/<campaign_id>/analytics",
    summary="A campaign's clicks, consents, streams and listeners, from its counters",
    responses={
        **responses(200, "The campaign's numbers (ETag; If-None-Match answers 304)", Analytics, errors=(400, 401, 404)),
        304: {"description": "Not modified since the ETag sent"},
    },
)
def analytics(
    campaign_id: str,
    model: Annotated[AttributionModel | None, Query(description="Credit model; the campaign's own by default")] = None,
    min_confidence: Annotated[float, Query(ge=0, le=0.9, description="0.0, 0.1, ... 0.9")] = 0.0,
    start: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="Start of the range every figure counts (default: the campaign's start)"),
    ] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to", description="End, exclusive (default: now)")] = None,
    granularity: Annotated[str, Query(pattern="^(hour|day)$")] = "day",
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone of day points (ranges up to 90 days; default UTC)"),
    ] = None,
    compare: Annotated[str | None, Query(max_length=200, description="Other campaign ids, comma-separated")] = None,
) -> Response[str]:
    owner = owner_id(app)
    campaign = campaigns().get(owner, campaign_id)
    steps = min_confidence * CONFIDENCE_BUCKETS
    if abs(steps - round(steps)) > 1e-9:
        raise BadRequest("min_confidence must be a multiple of 0.1 between 0 and 0.9 (e.g. 0.5)")
    compared_ids = [part.strip() for part in (compare or "").split(",") if part.strip() and part.strip() != campaign.id]
    if len(compared_ids) > MAX_COMPARED:
        raise BadRequest(f"compare at most {MAX_COMPARED} campaigns at once")
    compared = [
        (other.id, other.name) for other in (campaigns().get(owner, cid) for cid in dict.fromkeys(compared_ids))
    ]
    zone = zone_of(tz)
    began = min(campaign.created_at, campaign.starts_at or campaign.created_at)  # nothing counts before creation
    first, last = _range(start, end, granularity, began)
    result = campaign_analytics(
        campaign.id,
        campaign.playlist_id,
        model=(model or campaign.attribution_model).value,
        min_confidence=round(min_confidence, 1),
        start=first,
        end=last,
        granularity=granularity,
        compare=compared,
        measure_fans=campaign.measure_fans,
        window_days=campaign.attribution_window_days,
        zone=zone,
        # From the campaign's start to now or later: every play it can have, so its exact listener count.
        whole=first <= began.astimezone(UTC).replace(minute=0, second=0, microsecond=0) and last >= datetime.now(UTC),
    )
    # "Now" to the end of the hour, like the default range: the answer (and its ETag) holds within the hour.
    result.cost = cost_of_report(campaign, result, _end_of_hour())
    result.spotify = spotify_quota()
    body = result.model_dump_json(by_alias=True)
    tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    if tag in (app.current_event.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers=headers, body="")
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _export_range(start: datetime | None, end: datetime | None) -> None:
    _plausible(start, "from")
    _plausible(end, "to")
    if start and end and start >= end:
        raise BadRequest(f"from must be earlier than to (from {start.isoformat()}, to {end.isoformat()})")


@app.get(
    "/campaigns/<campaign_id>/export.csv",
    summary="Every attributed play of the campaign as CSV (RFC 4180)",
    responses=responses(200, "CSV; X-Next-Cursor when more rows follow", media_type="text/csv", errors=(400, 401, 404)),
)
def export(
    campaign_id: str,
    cursor: Annotated[str | None, Query(max_length=2048, description="X-Next-Cursor of the previous part")] = None,
    start: Annotated[AwareDatetime | None, Query(alias="from", description="Plays from (default: all)")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to", description="Plays before (default: all)")] = None,
) -> Response[str]:
    campaign = campaigns().get(owner_id(app), campaign_id)
    _export_range(start, end)
    body, next_cursor = export_csv(
        campaign.id,
        cursor=cursor,
        secret=_export_secret(),
        max_bytes=MAX_EXPORT_BYTES,
        start=start,
        end=end,
        cost=whole_campaign_cost(campaign, _end_of_hour()),
    )
    headers = {
        "Content-Disposition": f'attachment; filename="soundlink-{campaign.slug}.csv"',
        "Cache-Control": "no-store",
    }
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@app.get(
    "/campaigns/<campaign_id>/clicks.csv",
    summary="The campaign's kept clicks as CSV (RFC 4180): hour, classification and source; no personal data",
    responses=responses(200, "CSV; X-Next-Cursor when more rows follow", media_type="text/csv", errors=(400, 401, 404)),
)
def clicks_export(
    campaign_id: str,
    cursor: Annotated[str | None, Query(max_length=2048, description="X-Next-Cursor of the previous part")] = None,
    start: Annotated[AwareDatetime | None, Query(alias="from", description="Clicks from (default: all kept)")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to", description="Clicks before (default: all kept)")] = None,
) -> Response[str]:
    campaign = campaigns().get(owner_id(app), campaign_id)
    _export_range(start, end)
    body, next_cursor = clicks_csv(campaign.id, cursor=cursor, max_bytes=MAX_EXPORT_BYTES, start=start, end=end)
    headers = {
        "Content-Disposition": f'attachment; filename="soundlink-{campaign.slug}-clicks.csv"',
        "Cache-Control": "no-store",
    }
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


coldstart.done()  # the end of init (begun in __init__.py)
