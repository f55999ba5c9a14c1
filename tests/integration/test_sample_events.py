"""events/*.json (for `sam local invoke -e`) stay true to the template and to payload 2.0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.cfn import cached_template, resource_properties, resources_of_type
from local.cloud import LocalCloud

from .test_http_api import _sam_sample, _shape

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))
# Sample event → (function that answers it, statuses it may answer locally).
EXPECTED_STATUS = {
    "health": ("CampaignsFunction", {200}),
    "openapi": ("CampaignsFunction", {200}),
    "list-campaigns": ("CampaignsFunction", {200}),
    "create-campaign": ("CampaignsFunction", {201}),
    "playlist-check": ("CampaignsFunction", {200}),
    "get-campaign": ("CampaignsFunction", {404}),  # the sample owner has no such campaign locally
    "update-campaign": ("CampaignsFunction", {404}),
    "archive-campaign": ("CampaignsFunction", {404}),
    "campaign-qr": ("CampaignsFunction", {404}),
    "owner-spotify-connect": ("CampaignsFunction", {200}),
    "owner-spotify": ("CampaignsFunction", {200}),
    "owner-spotify-disconnect": ("CampaignsFunction", {200}),
    "owner-settings": ("CampaignsFunction", {200}),
    "update-owner-settings": ("CampaignsFunction", {200}),
    "delete-owner": ("CampaignsFunction", {204}),  # the sample owner owns nothing locally: nothing left
    "track-click": ("TrackClickFunction", {404}),  # no campaign has the sample's slug locally
    "track-click-head": ("TrackClickFunction", {404}),
    "track-click-connect": ("TrackClickFunction", {404}),
    "track-click-play": ("TrackClickFunction", {404}),
    "owner-spotify-start": ("OAuthCallbackFunction", {400}),  # the sample ticket was never issued
    "oauth-callback": ("OAuthCallbackFunction", {400}),  # the sample state was never issued
    "oauth-callback-denied": ("OAuthCallbackFunction", {400}),
    "privacy": ("OAuthCallbackFunction", {200}),
    "privacy-disconnect": ("OAuthCallbackFunction", {200}),
    "campaign-analytics": ("AnalyticsFunction", {404}),
    "campaign-export": ("AnalyticsFunction", {404}),
    "campaign-clicks-export": ("AnalyticsFunction", {404}),
}
SQS_EVENTS = {
    "record-clicks": "RecordClicksFunction",
    "poll-user": "PollUserFunction",  # an account that is not connected: nothing to poll
    "attribute": "AttributeFunction",  # a play of an unknown listener: nothing to attribute
    "schedule-polls": "SchedulePollsFunction",
}


def _template_routes() -> set[str]:
    template = cached_template()
    routes = set()
    for logical_id in resources_of_type(template, "AWS::Serverless::Function"):
        for event in (resource_properties(template, logical_id).get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event["Properties"]
                routes.add(f"{str(props.get('Method', 'ANY')).upper()} {props.get('Path', '$default')}")
    return routes


def test_there_is_a_sample_event_per_route() -> None:
    assert {path.stem for path in EVENTS} == set(EXPECTED_STATUS)
    assert {json.loads(path.read_text())["routeKey"] for path in EVENTS} == _template_routes()


@pytest.mark.parametrize("path", EVENTS, ids=lambda path: path.stem)
def test_sample_events_match_a_template_route_and_the_payload_shape(path: Path) -> None:
    event = json.loads(path.read_text())
    assert event["routeKey"] in _template_routes()
    sample = {
        key: kind
        for key, kind in _shape(_sam_sample()).items()
        if not key.startswith(("requestContext.authentication", "stageVariables", "cookies", "queryString"))
        and not (key.startswith(("requestContext.authorizer", "body", "pathParameters")))
    }
    shape = {
        key: kind
        for key, kind in _shape(event).items()
        # cookies, like the query string, is present only when the request has some.
        if not key.startswith(("requestContext.authorizer", "body", "pathParameters", "queryString", "cookies"))
    }
    assert shape == sample


@pytest.mark.parametrize("path", EVENTS, ids=lambda path: path.stem)
def test_the_handler_answers_the_sample_events(local_cloud: LocalCloud, path: Path) -> None:
    function, statuses = EXPECTED_STATUS[path.stem]
    invocation = local_cloud.invoke(function, json.loads(path.read_text()))
    assert invocation.ok, invocation.error
    assert invocation.payload["statusCode"] in statuses, invocation.payload


@pytest.mark.parametrize("name", sorted(SQS_EVENTS))
def test_the_queue_consumers_answer_their_sample_events(local_cloud: LocalCloud, name: str) -> None:
    event = json.loads((EVENTS[0].parent / "sqs" / f"{name}.json").read_text())
    invocation = local_cloud.invoke(SQS_EVENTS[name], event)
    assert invocation.ok, invocation.error
    assert invocation.payload == {"batchItemFailures": []}


def test_the_schedule_sample_event_queues_the_due_listeners(local_cloud: LocalCloud) -> None:
    event = json.loads((EVENTS[0].parent / "scheduled" / "schedule-polls.json").read_text())
    invocation = local_cloud.invoke("SchedulePollsFunction", event)
    assert invocation.ok, invocation.error
    assert isinstance(invocation.payload["queued"], int)
    local_cloud.drain_queues()
