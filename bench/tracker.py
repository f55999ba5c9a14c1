"""What a tracker click costs: AWS requests per warm click, counted (not estimated).
(Cold starts of every function, the tracker's among them: bench/coldstart.py.)

Warm: the tracker's handler is called in-process against moto (tables from
template.yaml), after a first click has warmed the container; every AWS
API call is counted by operation.

    PYTHONPATH=functions .venv/bin/python -m bench.tracker
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.results import record

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
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


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

        from bench.samples import sample_campaign
        from soundlink.campaigns.repository import DynamoCampaignRepository
        from soundlink.platform.settings import get_settings
        from soundlink.platform.tables import bind_tables

        get_settings.cache_clear()
        bind_tables(get_settings())
        now = datetime.now(UTC)
        campaign = sample_campaign("9b2f4c1e-0d5a-4c3b-8a71-3f0e2d9c6b10", "bench-owner", "b2nchb2nch", now, "Bench")
        DynamoCampaignRepository().create(campaign)

        import track_click.app as tracker
        from tests.support.events import FakeContext, http_event

        calls: Counter[tuple[str, str]] = Counter()
        original = botocore.client.BaseClient._make_api_call

        def counting(self, operation, params):  # type: ignore[no-untyped-def]
            calls[(self.meta.service_model.service_name, operation)] += 1
            return original(self, operation, params)

        response_bytes = [0]  # what the tracker answers a person (the landing page), headers included

        def request(path: str, route: str, user_agent: str, i: int, **extra: Any) -> dict:
            slug = {"slug": campaign.slug}
            event = http_event("GET", path, route=route, path_parameters=slug, query=extra.get("query"))
            event["headers"]["user-agent"] = user_agent
            event["requestContext"]["http"]["sourceIp"] = f"203.0.113.{i % 250}"
            if extra.get("cookies"):
                event["cookies"] = extra["cookies"]
            return tracker.handler(event, FakeContext())

        def click(user_agent: str, n: int, *, status: int) -> tuple[Counter[tuple[str, str]], list]:
            calls.clear()
            pages = []
            for i in range(n):
                response = request(f"/c/{campaign.slug}", "/c/{slug}", user_agent, i)
                assert response["statusCode"] == status, response
                if status == 200:
                    response_bytes[0] = len(json.dumps(response).encode())
                pages.append((i, response))
            return Counter(calls), pages

        def connect(pages: list) -> Counter[tuple[str, str]]:
            """Each landing page's "Connect Spotify", with its cookies (each visitor from its own address)."""
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
            viewed, pages = click(BROWSER, CLICKS, status=200)
            connected = connect(pages)
            bot, _ = click("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", CLICKS, status=302)
        finally:
            botocore.client.BaseClient._make_api_call = original

    # A person's click (issue 13): the landing page, then its "Connect Spotify" (a person who connects).
    human = viewed + connected
    print(f"\nWarm requests per click (average over {CLICKS} clicks, after one warm-up click):")
    record("dynamodb_writes_per_human_click", _writes(human) / CLICKS)
    record("dynamodb_writes_per_page_view", _writes(viewed) / CLICKS)
    record("dynamodb_writes_per_bot_click", _writes(bot) / CLICKS)
    record("sqs_requests_per_click", sum(n for (service, _), n in viewed.items() if service == "sqs") / CLICKS)
    record("tracker_response_bytes", response_bytes[0])
    for name, counted in (("page view", viewed), ("connect", connected), ("bot click", bot)):
        writes = _writes(counted)
        reads = sum(n for (service, op), n in counted.items() if service == "dynamodb" and op not in WRITES)
        kms = sum(n for (service, _), n in counted.items() if service == "kms")
        sqs = sum(n for (service, _), n in counted.items() if service == "sqs")
        print(
            f"  {name:10s} DynamoDB writes {writes / CLICKS:.2f}  reads {reads / CLICKS:.2f}  "
            f"SQS {sqs / CLICKS:.2f}  KMS {kms / CLICKS:.2f}   ({dict(counted)})"
        )


def _writes(counted: Counter[tuple[str, str]]) -> int:
    return sum(n for (service, op), n in counted.items() if service == "dynamodb" and op in WRITES)


def main(*, smoke: bool = False) -> None:
    global CLICKS
    if smoke:
        CLICKS = 20
    warm_requests()


if __name__ == "__main__":
    import sys

    main(smoke="--smoke" in sys.argv)
