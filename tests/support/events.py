"""Real API Gateway HTTP API (payload format 2.0) events for handler tests.

The shape follows `sam local generate-event apigateway http-api-proxy`
(tests/template/test_events.py checks that the keys stay the same).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

DOMAIN = "abc123.execute-api.us-east-1.amazonaws.com"


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    raw_query = urlencode(query or {})
    all_headers = {"host": DOMAIN, "user-agent": "pytest", "accept": "application/json"}
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    if body is not None and not isinstance(body, str | bytes):
        body = json.dumps(body)
        all_headers.setdefault("content-type", "application/json")
    if isinstance(body, bytes):
        body = body.decode()
    if base64_body and body is not None:
        body = base64.b64encode(body.encode()).decode()
    route_key = f"{method} {route or path}"
    now = time.time()
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "abc123",
        "domainName": DOMAIN,
        "domainPrefix": "abc123",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": all_headers["user-agent"],
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": all_headers,
        "requestContext": request_context,
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body
    return event


def owner_claims(sub: str, email: str | None = None) -> dict[str, str]:
    """Claims as the JWT authorizer passes them: every value a string."""
    return {
        "sub": sub,
        "email": email or f"{sub}@example.com",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test",
        "aud": "dashboardclient",
        "token_use": "id",
        "exp": str(int(time.time()) + 3600),
    }


class FakeContext:
    function_name = "CampaignsFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:CampaignsFunction"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
