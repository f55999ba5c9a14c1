"""Dollars: the request counts and times `make bench` measured, times the prices of bench/prices.py.

Every figure is a sum of items, printed with the items, so a reader can check
each one. Fixed monthly costs (WAF's web ACL and rules, the KMS key, the poll
schedule, alarms) are printed apart: they do not grow with use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench import prices as p

CLICK_BATCH = 10  # record_clicks' BatchSize (template.yaml)
PLAY_BATCH = 10  # attribute's BatchSize
POLL_BATCH = 5  # poll_user's BatchSize
DAY_SECONDS = 86_400
# The listener mix of the issue: 20 % active (polled every base interval), 80 % quiet,
# 30 plays a day each, 5 of them of a campaign's tracks.
ACTIVE_SHARE = 0.2
PLAYS_PER_DAY = 30
ATTRIBUTED_PER_DAY = 5
BASE_INTERVAL_SECONDS = 300


@dataclass(frozen=True)
class Bill:
    """Items of one figure, in US$ per unit."""

    items: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.items.values())

    def lines(self, scale: float, unit: str) -> list[str]:
        width = max(len(name) for name in self.items)
        rows = [f"    {name:{width}s}  {value * scale:10.4f}" for name, value in self.items.items()]
        return [*rows, f"    {'total':{width}s}  {self.total * scale:10.4f}  US$ per {unit}"]


def _lambda(billed_ms: float, invocations: float = 1.0) -> float:
    """One share of Lambda invocations and their billed duration (template memory, arm64)."""
    return invocations * (p.LAMBDA_REQUEST.usd + billed_ms / 1000 * p.LAMBDA_MEMORY_GB * p.LAMBDA_GB_SECOND_ARM.usd)


def _logs(byte_count: float) -> float:
    return byte_count / 1e9 * p.LOGS_GB_INGESTED.usd


def click(f: Mapping[str, float], *, waf: bool) -> Bill:
    """One human click: CloudFront (+ WAF), the HTTP API, the tracker, the queue, the recorder,
    and its share of count_clicks (the stream batch of ten that wru_per_click measures)."""
    items = {
        "CloudFront request": p.CLOUDFRONT_HTTPS_REQUEST.usd,
        "CloudFront bytes out": f.get("tracker_response_bytes", 0) / 1e9 * p.CLOUDFRONT_GB_OUT.usd,
        "HTTP API request": p.HTTP_API_REQUEST.usd,
        "Lambda track_click": _lambda(f["billed_ms_track_click"]),
        # SendMessage, then the event source's ReceiveMessage and DeleteMessageBatch per batch.
        "SQS": (f.get("sqs_requests_per_click", 1.0) + 2 / CLICK_BATCH) * p.SQS_REQUEST.usd,
        "Lambda record_clicks": _lambda(f["billed_ms_record_clicks"], 1 / CLICK_BATCH),
        # Stream records are read by the event source mapping at no charge; the invocation is billed.
        "Lambda count_clicks": _lambda(f.get("billed_ms_count_clicks", 0.0), 1 / CLICK_BATCH),
        "DynamoDB writes": f["wru_per_click"] * p.DYNAMODB_WRU.usd,
        "DynamoDB reads": f.get("rru_per_click", 0.0) * p.DYNAMODB_RRU.usd,
        # The API's access log line; record_clicks' and count_clicks' metrics line per batch. Lambda's
        # START/END/REPORT lines are off (template.yaml: LoggingConfig SystemLogLevel WARN).
        "CloudWatch logs": _logs(p.ACCESS_LOG_BYTES + 2 * p.EMF_LINE_BYTES / CLICK_BATCH),
        # Tracing: PassThrough on the click path: no trace unless a caller sampled one.
        "X-Ray traces": 0.0,
    }
    if waf:
        items["WAF request"] = p.WAF_REQUEST.usd
    return Bill(items)


def polls_per_day(*, active: bool, base_seconds: int = BASE_INTERVAL_SECONDS) -> int:
    """Polls of one listener in a day on the cadence (soundlink/polling/cadence.py)."""
    from datetime import UTC, datetime, timedelta

    from soundlink.polling.cadence import next_poll

    start = now = datetime(2026, 1, 1, tzinfo=UTC)
    quiet, polls = 0, 0
    while now < start + timedelta(days=1):
        polls += 1
        now, quiet = next_poll(
            now, new_plays=1 if active else 0, quiet_polls=quiet, base=timedelta(seconds=base_seconds)
        )
    return polls


def poll(f: Mapping[str, float]) -> Bill:
    """One poll of a listener with nothing new: the fan-out's share, poll_user, Spotify's wait, DynamoDB."""
    writes, reads = f["dynamodb_writes_per_idle_poll"], f["dynamodb_reads_per_idle_poll"]
    kms = f.get("kms_calls_per_warm_poll", 0.0)
    billed = f["poll_cpu_ms"] + p.SPOTIFY_MS + (writes + reads) * p.DYNAMODB_MS + kms * p.KMS_MS
    return Bill(
        {
            "SQS (fan-out send, receive, delete)": (f["sqs_requests_per_1000_due"] / 1000 + 2 / POLL_BATCH)
            * p.SQS_REQUEST.usd,
            # poll_user polls its batch side by side: an invocation lasts about one poll, shared by
            # BatchSize polls (a full batch; a partial one shares it with fewer).
            "Lambda poll_user": _lambda(billed, 1 / POLL_BATCH),
            "DynamoDB writes": writes * p.DYNAMODB_WRU.usd,
            "DynamoDB reads": reads * p.DYNAMODB_RRU.usd,
            "KMS": kms * p.KMS_REQUEST.usd,
            "CloudWatch logs": _logs(p.LAMBDA_LOG_BYTES / POLL_BATCH),
            "X-Ray traces": p.XRAY_SAMPLED * p.XRAY_TRACE.usd / POLL_BATCH,
        }
    )


def attributed_play(f: Mapping[str, float]) -> Bill:
    """One play credited to a campaign, arriving with nine others (attribute's batch)."""
    return Bill(
        {
            "SQS (send share, receive, delete)": 3 / PLAY_BATCH * p.SQS_REQUEST.usd,
            "Lambda attribute": _lambda(
                f["billed_ms_attribute"] + f["wcu_per_attributed_play"] / 2 * 0, 1 / PLAY_BATCH
            ),
            "DynamoDB writes": f["wcu_per_attributed_play"] * p.DYNAMODB_WRU.usd,
            "DynamoDB reads": f.get("reads_per_attributed_play", 1.0) * p.DYNAMODB_RRU.usd,
            "CloudWatch logs": _logs(p.LAMBDA_LOG_BYTES / PLAY_BATCH),
            "X-Ray traces": p.XRAY_SAMPLED * p.XRAY_TRACE.usd / PLAY_BATCH,
        }
    )


def unattributed_play(f: Mapping[str, float]) -> Bill:
    """A play after the click of no campaign's track: queued, read against the links, dropped."""
    return Bill(
        {
            "SQS (send share, receive, delete)": 3 / PLAY_BATCH * p.SQS_REQUEST.usd,
            "Lambda attribute": _lambda(f["billed_ms_attribute"], 1 / PLAY_BATCH),
            "DynamoDB reads": 1.0 * p.DYNAMODB_RRU.usd,
        }
    )


def listener_day(f: Mapping[str, float], *, active_share: float) -> Bill:
    polls = active_share * polls_per_day(active=True) + (1 - active_share) * polls_per_day(active=False)
    return Bill(
        {
            f"polls ({polls:.1f} a day)": polls * poll(f).total,
            f"attributed plays ({ATTRIBUTED_PER_DAY})": ATTRIBUTED_PER_DAY * attributed_play(f).total,
            f"other plays ({PLAYS_PER_DAY - ATTRIBUTED_PER_DAY})": (PLAYS_PER_DAY - ATTRIBUTED_PER_DAY)
            * unattributed_play(f).total,
        }
    )


def dashboard_view(f: Mapping[str, float]) -> Bill:
    """An owner opens the dashboard on a campaign: the static files once, then list, campaign, analytics."""
    api_calls = 3
    return Bill(
        {
            "CloudFront requests (static files)": f["dashboard_files"] * p.CLOUDFRONT_HTTPS_REQUEST.usd,
            "CloudFront bytes out (gzip)": f["dashboard_bytes_gzip"] / 1e9 * p.CLOUDFRONT_GB_OUT.usd,
            "HTTP API requests": api_calls * p.HTTP_API_REQUEST.usd,
            "Lambda campaigns (list, get)": _lambda(f["billed_ms_campaigns"], 2),
            "Lambda analytics": _lambda(f["billed_ms_analytics"]),
            # Read units (4 KB each, half for eventually consistent reads), as the bench estimated them.
            "DynamoDB reads": (f["analytics_read_units_100k_plays"] + f["campaign_list_read_units"] + 1)
            * p.DYNAMODB_RRU.usd,
            "CloudWatch logs": _logs(api_calls * (p.ACCESS_LOG_BYTES + p.LAMBDA_LOG_BYTES)),
            "X-Ray traces": api_calls * p.XRAY_SAMPLED * p.XRAY_TRACE.usd,
        }
    )


def fixed_per_month(*, waf: bool, rules: int = 1) -> Bill:
    items = {
        "KMS key": 1.00,
        "poll schedule (every 5 min)": 12 * 24 * 30 * (p.SCHEDULER_INVOCATION.usd + _lambda(100.0)),
    }
    if waf:
        items["WAF web ACL + rules"] = p.WAF_WEB_ACL_MONTH.usd + rules * p.WAF_RULE_MONTH.usd
    return Bill(items)


def figures(f: Mapping[str, float]) -> dict[str, float]:
    """The dollar figures of results.json, from the measured ones; prints each bill's items."""
    bills = {
        "usd_per_million_clicks": (click(f, waf=True), 1e6, "million clicks (CloudFront + WAF)"),
        "usd_per_million_clicks_without_waf": (click(f, waf=False), 1e6, "million clicks (CloudFront, no WAF)"),
        "usd_per_1000_listeners_day": (listener_day(f, active_share=ACTIVE_SHARE), 1e3, "1,000 listeners a day"),
        "usd_per_1000_listeners_day_all_5min": (listener_day(f, active_share=1.0), 1e3, "1,000 listeners a day"),
        "usd_per_million_attributed_plays": (attributed_play(f), 1e6, "million attributed plays"),
        "usd_per_10k_dashboard_views": (dashboard_view(f), 1e4, "10,000 dashboard views"),
    }
    out = {}
    for name, (bill, scale, unit) in bills.items():
        print(f"  {name}:")
        print("\n".join(bill.lines(scale, unit)))
        out[name] = round(bill.total * scale, 4)
    for waf in (True, False):
        fixed = fixed_per_month(waf=waf)
        print(f"  fixed a month ({'with' if waf else 'without'} WAF): US$ {fixed.total:.2f} {fixed.items}")
    return out
