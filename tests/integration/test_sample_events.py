"""events/*.json (for `sam local invoke -e`) stay true to the template and to payload 2.0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.cfn import cached_template, resource_properties, resources_of_type
from local.cloud import LocalCloud

from .test_http_api import _sam_sample, _shape

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))
EXPECTED_STATUS = {
    "health": {200},
    "openapi": {200},
    "list-campaigns": {200},
    "create-campaign": {201},
    "get-campaign": {404},  # the sample owner has no such campaign locally
    "update-campaign": {404},
    "archive-campaign": {404},
    "campaign-qr": {404},
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


def test_there_is_a_sample_event_per_campaigns_route() -> None:
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
        if not key.startswith(("requestContext.authorizer", "body", "pathParameters", "queryString"))
    }
    assert shape == sample


@pytest.mark.parametrize("path", EVENTS, ids=lambda path: path.stem)
def test_the_handler_answers_the_sample_events(local_cloud: LocalCloud, path: Path) -> None:
    invocation = local_cloud.invoke("CampaignsFunction", json.loads(path.read_text()))
    assert invocation.ok, invocation.error
    assert invocation.payload["statusCode"] in EXPECTED_STATUS[path.stem], invocation.payload
