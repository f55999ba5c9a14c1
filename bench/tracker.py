"""What a tracker click costs: cold start as a ratio to a bare boto3 handler, and
AWS requests per warm click, counted (not estimated).

Cold start: each handler module is imported in a fresh Python process (the
Lambda init phase: imports plus module-level clients); the time from before
the import to after it is measured inside the process, median of RUNS
processes, alternating the handlers so machine noise spreads evenly. The
baseline is bench/baseline_handler.py: boto3 and the clients a tracker
needs (DynamoDB, SQS), nothing else.

Warm: the tracker's handler is called in-process against moto (tables from
template.yaml), after a first click has warmed the container; every AWS
API call is counted by operation.

    PYTHONPATH=functions .venv/bin/python -m bench.tracker
"""

from __future__ import annotations

import html
import os
import re
import statistics
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
CLICKS = 200
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "DATA_TABLE": "bench-data",
    "EVENTS_TABLE": "bench-events",
    "STATS_TABLE": "bench-stats",
    "CLICK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-clicks",
    "SPOTIFY_CLIENT_ID": "bench-client",
    "PUBLIC_API_URL": "https://api.example.test",
    "POWERTOOLS_SERVICE_NAME": "soundlink",
    "POWERTOOLS_METRICS_NAMESPACE": "Soundlink",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
HANDLERS = {
    "baseline (boto3 + clients)": "bench.baseline_handler",
    "track_click": "track_click.app",
    "record_clicks": "record_clicks.app",
    "oauth_callback": "oauth_callback.app",
    "campaigns": "campaigns.app",
}
_PROBE = (
    "import time, importlib, sys; t = time.perf_counter(); importlib.import_module(sys.argv[1]); "
    "print(time.perf_counter() - t)"
)
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def init_seconds(module: str) -> float:
    env = {**os.environ, **ENV, "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, module], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def cold_starts() -> None:
    samples: dict[str, list[float]] = {name: [] for name in HANDLERS}
    for _ in range(RUNS):
        for name, module in HANDLERS.items():
            samples[name].append(init_seconds(module))
    baseline = statistics.median(samples["baseline (boto3 + clients)"])
    print(f"Cold start (import + init), median of {RUNS} fresh processes each:")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:28s} {median * 1000:7.1f} ms   ratio {median / baseline:4.2f}")


def warm_requests() -> None:
    os.environ.update(ENV)
    from moto import mock_aws

    with mock_aws():
        import boto3
        import botocore.client

        from local.cfn import cached_template, create_tables

        names = create_tables(boto3.client("dynamodb"), lambda logical_id: f"bench-{logical_id}", cached_template())
        os.environ.update(
            DATA_TABLE=names["DataTable"], EVENTS_TABLE=names["EventsTable"], STATS_TABLE=names["StatsTable"]
        )
        os.environ["CLICK_QUEUE_URL"] = boto3.client("sqs").create_queue(QueueName="bench-clicks")["QueueUrl"]

        from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus
        from soundlink.campaigns.repository import DynamoCampaignRepository
        from soundlink.platform.settings import get_settings
        from soundlink.platform.tables import bind_tables

        get_settings.cache_clear()
        bind_tables(get_settings())
        now = datetime.now(UTC)
        campaign = Campaign(
            id="9b2f4c1e-0d5a-4c3b-8a71-3f0e2d9c6b10",
            owner_id="bench-owner",
            name="Bench",
            slug="b2nchb2nch",
            playlist_id="37i9dQZF1DXcBWIGoYBM5M",
            destination_url="https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
            attribution_window_days=14,
            attribution_model=AttributionModel.LAST_TOUCH,
            starts_at=None,
            ends_at=None,
            status=CampaignStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        DynamoCampaignRepository().create(campaign)

        import track_click.app as tracker
        from tests.support.events import FakeContext, http_event

        calls: Counter[tuple[str, str]] = Counter()
        original = botocore.client.BaseClient._make_api_call

        def counting(self, operation, params):  # type: ignore[no-untyped-def]
            calls[(self.meta.service_model.service_name, operation)] += 1
            return original(self, operation, params)

        def request(path: str, route: str, user_agent: str, i: int, **extra: Any) -> dict:
            slug = {"slug": campaign.slug}
            event = http_event("GET", path, route=route, path_parameters=slug, query=extra.get("query"))
            event["headers"]["user-agent"] = user_agent
            event["requestContext"]["http"]["sourceIp"] = f"203.0.113.{i % 250}"
            if extra.get("cookies"):
                event["cookies"] = extra["cookies"]
            return tracker.handler(event, FakeContext())

        def click(user_agent: str, n: int, *, status: int) -> tuple[Counter[tuple[str, str]], list[dict]]:
            calls.clear()
            pages = []
            for i in range(n):
                response = request(f"/c/{campaign.slug}", "/c/{slug}", user_agent, i)
                assert response["statusCode"] == status, response
                pages.append((i, response))
            return Counter(calls), pages

        def connect(pages: list) -> Counter[tuple[str, str]]:
            """Each page's "Connect Spotify", with its cookies (each visitor from its own address)."""
            calls.clear()
            for i, page in pages:
                link = urlsplit(html.unescape(re.search(r'id="connect"[^>]*href="([^"]+)"', page["body"]).group(1)))
                query = {k: v[0] for k, v in parse_qs(link.query).items()}
                cookies = [header.split(";", 1)[0] for header in page["cookies"]]
                answer = request(link.path, "/c/{slug}/connect", BROWSER, i, query=query, cookies=cookies)
                assert answer["statusCode"] == 302 and "/authorize?" in answer["headers"]["Location"], answer
            return Counter(calls)

        botocore.client.BaseClient._make_api_call = counting
        try:
            click(BROWSER, 1, status=200)  # warm-up: campaign cached, the day's visitor secret read (or created)
            human, pages = click(BROWSER, CLICKS, status=200)
            connected = connect(pages)
            bot, _ = click("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", CLICKS, status=302)
        finally:
            botocore.client.BaseClient._make_api_call = original

    print(f"\nWarm requests per click (average over {CLICKS} clicks, after one warm-up click):")
    for name, counted in (("page view", human), ("connect", connected), ("bot click", bot)):
        writes = sum(n for (service, op), n in counted.items() if service == "dynamodb" and op in WRITES)
        reads = sum(n for (service, op), n in counted.items() if service == "dynamodb" and op not in WRITES)
        kms = sum(n for (service, _), n in counted.items() if service == "kms")
        sqs = sum(n for (service, _), n in counted.items() if service == "sqs")
        print(
            f"  {name:10s} DynamoDB writes {writes / CLICKS:.2f}  reads {reads / CLICKS:.2f}  "
            f"SQS {sqs / CLICKS:.2f}  KMS {kms / CLICKS:.2f}   ({dict(counted)})"
        )


def main() -> None:
    cold_starts()
    warm_requests()


if __name__ == "__main__":
    main()
