"""The emulated HTTP API: routing, payload 2.0 events and responses."""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from local.cloud import LocalCloud

from .helpers import forge_token

ROOT = Path(__file__).resolve().parents[2]
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\xff\x10"


def _echo(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("method", "path", "route_key", "params"),
    [
        ("GET", "/items/special", "GET /items/special", None),
        ("GET", "/items/abc", "GET /items/{id}", {"id": "abc"}),
        ("GET", "/items/a%20b", "GET /items/{id}", {"id": "a b"}),
        ("GET", "/items/abc/parts/7", "GET /items/{id}/parts/{part}", {"id": "abc", "part": "7"}),
        ("PUT", "/files/a/b/c.txt", "ANY /files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("GET", "/items/a%2Fb", "GET /items/{id}", {"id": "a/b"}),  # an encoded slash is no separator
        ("GET", "/items/a%2Fb/parts/7", "GET /items/{id}/parts/{part}", {"id": "a/b", "part": "7"}),
        ("POST", "/items/abc", "$default", None),
        ("GET", "/nowhere", "$default", None),
    ],
)
def test_requests_reach_their_route_with_path_parameters(
    fixture_cloud: LocalCloud, owner, method: str, path: str, route_key: str, params: dict | None
) -> None:
    event = _echo(requests.request(method, fixture_cloud.api_url + path, headers=owner.headers, timeout=10))["event"]
    assert event["routeKey"] == event["requestContext"]["routeKey"] == route_key
    assert event.get("pathParameters") == params
    assert event["requestContext"]["http"]["method"] == method


def _shape(value: Any, path: str = "") -> dict[str, str]:
    """Key paths and value types; maps whose keys vary are one leaf."""
    if path in {"headers", "queryStringParameters", "pathParameters", "requestContext.authorizer.jwt.claims"}:
        assert isinstance(value, dict) and all(isinstance(v, str) for v in value.values()), (path, value)
        return {path: "map of strings"}
    if isinstance(value, dict):
        shape: dict[str, str] = {}
        for key, item in value.items():
            shape.update(_shape(item, f"{path}.{key}" if path else key))
        return shape
    if isinstance(value, list):
        assert all(isinstance(item, str) for item in value), (path, value)
        return {path: "list of strings"}
    return {path: type(value).__name__}


@functools.cache
def _sam_sample() -> dict[str, Any]:
    sam = os.environ.get("SAM_CLI") or str(ROOT / ".venv-sam" / "bin" / "sam")
    if not Path(sam).exists():
        pytest.fail(f"SAM CLI not found at {sam}: run `make install` (or set SAM_CLI)")
    output = subprocess.run(
        [sam, "local", "generate-event", "apigateway", "http-api-proxy"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    ).stdout
    return json.loads(output)


def test_the_event_has_the_shape_of_sam_generate_event(fixture_cloud: LocalCloud, owner) -> None:
    sample = _sam_sample()
    client_id = fixture_cloud.physical_id("UsersClient")
    now = int(time.time())
    token = forge_token(
        {
            "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{fixture_cloud.physical_id('Users')}",
            "sub": owner.sub,
            "aud": client_id,
            "scope": "fixture/admin openid",
            "iat": now,
            "exp": now + 600,
        }
    )
    response = requests.get(
        fixture_cloud.api_url + "/items/abc?parameter1=value1&parameter1=value2&parameter2=value",
        headers={
            "Authorization": f"Bearer {token}",
            "Cookie": "cookie1=a; cookie2=b",
            "Content-Type": "application/octet-stream",
            "X-Custom": "One",
        },
        data=PNG_BYTES,
        timeout=10,
    )
    event = _echo(response)["event"]

    # Only what API Gateway adds for mutual TLS and stage variables is absent locally.
    expected = {
        path: kind
        for path, kind in _shape(sample).items()
        if not path.startswith(("requestContext.authentication", "stageVariables"))
    }
    assert _shape(event) == expected

    assert event["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert event["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    assert event["cookies"] == ["cookie1=a", "cookie2=b"]
    assert "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["x-custom"] == "One"
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == PNG_BYTES
    context = event["requestContext"]
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["http"]["userAgent"] == requests.utils.default_user_agent()
    assert context["http"]["path"] == event["rawPath"] == "/items/abc"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert context["stage"] == "$default" and context["accountId"] == "123456789012"
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["time"])
    assert context["authorizer"]["jwt"]["scopes"] == ["fixture/admin", "openid"]


def test_raw_path_is_the_path_as_sent_and_http_path_is_decoded(fixture_cloud: LocalCloud) -> None:
    event = _echo(requests.get(fixture_cloud.api_url + "/files/a%2Fb%20c/d%C3%A9.txt?x=%2F", timeout=10))["event"]
    assert event["rawPath"] == "/files/a%2Fb%20c/d%C3%A9.txt"
    assert event["requestContext"]["http"]["path"] == "/files/a/b c/dé.txt"
    assert event["rawQueryString"] == "x=%2F"
    assert event["pathParameters"] == {"proxy": "a/b c/dé.txt"}


def test_the_request_log_never_shows_oauth_codes_or_tokens(fixture_cloud: LocalCloud, caplog) -> None:
    caplog.set_level("INFO", logger="local")
    query = "code=secret-code-1&state=secret-state-2&access_token=secret-token-3&lang=fr"
    requests.get(f"{fixture_cloud.api_url}/oauth/callback?{query}", timeout=10)
    lines = [record.getMessage() for record in caplog.records if record.name == "local.api"]
    line = next(line for line in lines if line.startswith("GET /oauth/callback"))
    assert "secret" not in " ".join(lines)
    assert "code=[redacted]" in line and "state=[redacted]" in line and "lang=fr" in line


@pytest.mark.parametrize(
    ("content_type", "base64_encoded"),
    [
        ("application/json", False),
        ("application/json; charset=utf-8", False),
        ("text/plain", False),
        ("application/xml", False),
        ("application/x-www-form-urlencoded", True),
        ("image/png", True),
        (None, True),
    ],
)
def test_bodies_are_text_or_base64_by_content_type(
    fixture_cloud: LocalCloud, content_type: str | None, base64_encoded: bool
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(fixture_cloud.api_url + "/echo", data=b'{"a": 1}', headers=headers, timeout=10)
    event = _echo(response)["event"]
    assert event["isBase64Encoded"] is base64_encoded
    body = base64.b64decode(event["body"]) if base64_encoded else event["body"].encode()
    assert body == b'{"a": 1}'


def test_a_request_without_body_has_no_body_key(fixture_cloud: LocalCloud) -> None:
    event = _echo(requests.post(fixture_cloud.api_url + "/echo", timeout=10))["event"]
    assert "body" not in event and event["isBase64Encoded"] is False
    assert "cookies" not in event and "queryStringParameters" not in event and "pathParameters" not in event


def test_a_bare_object_becomes_a_200_json_response(fixture_cloud: LocalCloud) -> None:
    response = requests.get(fixture_cloud.api_url + "/shapes/bare", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"hello": "world"}
    text = requests.get(fixture_cloud.api_url + "/shapes/string", timeout=10)
    assert (text.status_code, text.headers["content-type"], text.text) == (200, "application/json", "plain text")


def test_structured_responses_carry_status_headers_and_cookies(fixture_cloud: LocalCloud) -> None:
    response = requests.get(fixture_cloud.api_url + "/shapes/cookies", timeout=10)
    assert response.status_code == 201
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert response.headers["x-multi"] == "1,2"
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "ok"


def test_base64_bodies_are_decoded(fixture_cloud: LocalCloud) -> None:
    response = requests.get(fixture_cloud.api_url + "/shapes/binary", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == PNG_BYTES


@pytest.mark.parametrize("kind", ["raise", "invalid", "exit"])
def test_errors_and_unusable_responses_are_500_like_api_gateway(fixture_cloud: LocalCloud, kind: str) -> None:
    response = requests.get(fixture_cloud.api_url + f"/shapes/{kind}", timeout=10)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    # The emulator and the function live on.
    assert requests.get(fixture_cloud.api_url + "/shapes/bare", timeout=10).status_code == 200


def test_a_handler_past_its_timeout_is_stopped(fixture_cloud: LocalCloud, caplog) -> None:
    caplog.set_level("INFO", logger="local")
    started = time.monotonic()
    response = requests.get(fixture_cloud.api_url + "/shapes/sleep", timeout=20)
    elapsed = time.monotonic() - started
    assert response.status_code == 500
    assert 1.9 < elapsed < 6  # Timeout: 2 in the fixture template
    lines = [record.getMessage() for record in caplog.records if record.name == "local.lambda"]
    assert any("Sandbox.Timedout: Task timed out after 2.00 seconds" in line for line in lines), lines


def test_local_control_routes_are_post_only_and_listed(fixture_cloud: LocalCloud) -> None:
    assert (
        requests.get(
            fixture_cloud.api_url + "/_local/queues/drain", headers={"X-Soundlink-Local": "1"}, timeout=10
        ).status_code
        == 405
    )
    unknown = requests.post(fixture_cloud.api_url + "/_local/nothing", headers={"X-Soundlink-Local": "1"}, timeout=10)
    assert unknown.status_code == 404
    assert "/_local/schedules/run" in unknown.json()["message"]
    bad = requests.post(
        fixture_cloud.api_url + "/_local/queues/drain",
        json={"timeout_seconds": "x"},
        headers={"X-Soundlink-Local": "1"},
        timeout=10,
    )
    assert bad.status_code == 400
