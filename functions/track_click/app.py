"""GET|HEAD /c/{slug}, GET /c/{slug}/connect, GET /c/{slug}/play (public): the tracker link
a campaign shares, its landing page's "Connect Spotify" and "Just take me to the playlist".

Its cold start is what a listener waits for, so it imports only what a click
needs: boto3 clients, PynamoDB models and Powertools' logger and metrics (no
tracer, no pydantic, no HTTP client, no KMS). `make bench` measures it.
"""

from __future__ import annotations

import json

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from soundlink.platform import coldstart
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.tracking.tracker import CampaignCache, ClickRequest, Tracker
from soundlink.tracking.visitors import VisitorSecrets

# The routes this function serves (template.yaml's HttpApi events; a test keeps them equal).
STEPS = {
    "GET /c/{slug}": "view",
    "HEAD /c/{slug}": "view",
    "GET /c/{slug}/connect": "connect",
    "GET /c/{slug}/play": "play",
}
ROUTES = frozenset(STEPS)

logger = Logger()
metrics = Metrics()
settings = get_settings()
bind_tables(settings)
sqs = boto3.client("sqs", region_name=settings.region)


def _publish(message: dict) -> None:
    sqs.send_message(QueueUrl=settings.click_queue_url, MessageBody=json.dumps(message, separators=(",", ":")))


tracker = Tracker(
    settings,
    campaigns=CampaignCache(),
    visitor_secrets=VisitorSecrets(),
    publish=_publish,
    log=logger,
    on_not_queued=lambda: metrics.add_metric(name="ClickNotQueued", unit=MetricUnit.Count, value=1),
)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    http = event["requestContext"]["http"]
    request = ClickRequest(
        method=http["method"],
        slug=(event.get("pathParameters") or {}).get("slug", ""),
        headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
        query=event.get("queryStringParameters") or {},
        source_ip=http.get("sourceIp", ""),
        domain=event["requestContext"].get("domainName", ""),
        step=STEPS.get(event.get("routeKey", ""), "view"),
        cookies=tuple(event.get("cookies") or ()),
        path=event.get("rawPath", ""),
    )
    return tracker.handle(request)


coldstart.done()  # the end of init (begun in __init__.py)
