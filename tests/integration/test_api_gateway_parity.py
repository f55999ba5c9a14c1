"""Limits API Gateway and Lambda put on requests, and the loopback-only control routes."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from local.cloud import LocalCloud
from local.http_api import LAMBDA_MAX_REQUEST_BYTES, MAX_BODY_BYTES, HttpApiConfig, HttpApiEmulator

from .helpers import clear_records, records

TOO_LARGE = {"message": "Request Entity Too Large"}
LOCAL = {"X-Soundlink-Local": "1"}


def _api_lines(caplog: pytest.LogCaptureFixture, start: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "local.api" and r.getMessage().startswith(start)]


def _chunks(total: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    """A body requests sends with Transfer-Encoding: chunked (no Content-Length)."""
    block = b"a" * chunk
    while total > 0:
        yield block[: min(chunk, total)]
        total -= chunk


# ------------------------------------------------------------------ body sizes
def test_the_limits_are_http_apis_and_lambdas() -> None:
    assert MAX_BODY_BYTES == 10 * 1024 * 1024  # HTTP API's payload quota
    assert LAMBDA_MAX_REQUEST_BYTES == 6 * 1024 * 1024  # Lambda's synchronous invocation request payload


@pytest.mark.parametrize(
    ("case", "size", "content_type"),
    [
        # Under HTTP API's 10 MB, over Lambda's 6 MB as it is.
        ("7 MB of JSON", 7 * 1024 * 1024, "application/json"),
        # Under 6 MB as sent, over it once base64-encoded into the event (x 4/3).
        ("4.8 MB binary", 4_800_000, "application/octet-stream"),
        # Under 6 MB by a hundred bytes: the event's headers and requestContext push it over.
        ("text just under 6 MB", LAMBDA_MAX_REQUEST_BYTES - 100, "text/plain"),
    ],
)
def test_bodies_over_lambdas_invocation_payload_are_413_and_never_invoke(
    fixture_cloud: LocalCloud, caplog: pytest.LogCaptureFixture, case: str, size: int, content_type: str
) -> None:
    caplog.set_level("INFO", logger="local")
    response = requests.post(
        fixture_cloud.api_url + "/echo", data=b"a" * size, headers={"Content-Type": content_type}, timeout=60
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["content-type"] == "application/json"
    [line] = _api_lines(caplog, "POST /echo 413")
    assert "-> ApiFunction" not in line


@pytest.mark.parametrize(
    ("size", "content_type"),
    [(4_000_000, "application/octet-stream"), (LAMBDA_MAX_REQUEST_BYTES - 20_000, "text/plain")],
)
def test_bodies_whose_event_fits_in_lambdas_payload_reach_the_function(
    fixture_cloud: LocalCloud, size: int, content_type: str
) -> None:
    body = bytes(range(256)) * (size // 256) if content_type != "text/plain" else b"t" * size
    response = requests.post(
        fixture_cloud.api_url + "/echo", data=body, headers={"Content-Type": content_type}, timeout=60
    )
    assert response.status_code == 200, response.text[:200]
    event = response.json()["event"]
    received = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
    assert received == body


def test_bodies_over_http_apis_10_mb_are_413(fixture_cloud: LocalCloud) -> None:
    response = requests.post(fixture_cloud.api_url + "/echo", data=b"a" * (MAX_BODY_BYTES + 1), timeout=60)
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


@pytest.mark.parametrize("size", [7 * 1024 * 1024, MAX_BODY_BYTES + 1024 * 1024])
def test_chunked_bodies_are_read_with_a_bound(
    fixture_cloud: LocalCloud, caplog: pytest.LogCaptureFixture, size: int
) -> None:
    caplog.set_level("INFO", logger="local")
    response = requests.post(
        fixture_cloud.api_url + "/echo", data=_chunks(size), headers={"Content-Type": "text/plain"}, timeout=60
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    [line] = _api_lines(caplog, "POST /echo 413")
    assert "-> ApiFunction" not in line


def test_small_chunked_bodies_reach_the_function(fixture_cloud: LocalCloud) -> None:
    response = requests.post(
        fixture_cloud.api_url + "/echo",
        data=_chunks(3000, chunk=1000),
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json()["event"]["body"] == "a" * 3000


# ------------------------------------------------------ control routes: Host
def _port(cloud: LocalCloud) -> int:
    return int(cloud.api_url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",  # DNS rebinding: a page of evil.example resolved to 127.0.0.1
        "evil.example",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example:{port}",
        "127.0.0.1:{other}",
        "localhost:{other}",
        "127.0.0.1",
        "",
    ],
)
def test_control_routes_refuse_other_hosts_and_fire_nothing(fixture_cloud: LocalCloud, host: str) -> None:
    port = _port(fixture_cloud)
    clear_records(fixture_cloud, "tick")
    header = host.format(port=port, other=port + 1)
    refused = requests.post(
        fixture_cloud.api_url + "/_local/schedules/run", headers={"Host": header, **LOCAL}, timeout=30
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/json"
    message = refused.json()["message"]
    assert "Host" in message and f"127.0.0.1:{port}" in message and f"localhost:{port}" in message
    drained = requests.post(
        fixture_cloud.api_url + "/_local/queues/drain", headers={"Host": header, **LOCAL}, timeout=30
    )
    assert drained.status_code == 403
    time.sleep(0.2)
    assert records(fixture_cloud, "tick") == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_control_routes_answer_loopback_hosts(fixture_cloud: LocalCloud, host: str) -> None:
    response = requests.post(
        fixture_cloud.api_url + "/_local/queues/drain",
        headers={"Host": host.format(port=_port(fixture_cloud)), **LOCAL},
        json={"timeout_seconds": 5, "wait_for_retries": False},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) >= {"processed", "failed"}


def test_api_routes_answer_whatever_the_host(fixture_cloud: LocalCloud) -> None:
    response = requests.post(fixture_cloud.api_url + "/echo", headers={"Host": "api.example.com"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["event"]["requestContext"]["domainName"] == "api.example.com"


def test_the_host_check_uses_the_address_the_server_is_bound_to() -> None:
    fired: list[str] = []

    def fire(request: Any) -> tuple[int, Any]:
        fired.append(request.host)
        return 200, {"fired": 1}

    app = HttpApiEmulator(
        HttpApiConfig("Api", "api"), None, {}, account_id="1", control_routes={"/_local/schedules/run": fire}
    )
    client = Client(app)

    def post(host: str, server: tuple[str, str]) -> int:
        environ = {"SERVER_NAME": server[0], "SERVER_PORT": server[1], "HTTP_HOST": host}
        return client.post("/_local/schedules/run", environ_overrides=environ, headers=LOCAL).status_code

    assert post("127.0.0.1:3000", ("127.0.0.1", "3000")) == 200
    assert post("127.0.0.2:3000", ("127.0.0.2", "3000")) == 200  # bound to another loopback address
    assert post("[::1]:3000", ("::1", "3000")) == 200
    assert post("localhost:3000", ("::1", "3000")) == 200
    assert post("127.0.0.1:3000", ("127.0.0.1", "3001")) == 403
    assert post("127.0.0.2:3000", ("127.0.0.1", "3000")) == 403
    assert post("192.168.1.10:3000", ("0.0.0.0", "3000")) == 403  # noqa: S104 - a bound address, not a bind
    assert fired == ["127.0.0.1:3000", "127.0.0.2:3000", "[::1]:3000", "localhost:3000"]


def test_control_routes_refuse_a_request_without_the_local_header(fixture_cloud: LocalCloud) -> None:
    """A cross-site form or no-cors fetch can POST to 127.0.0.1, but cannot add a custom header."""
    clear_records(fixture_cloud, "tick")
    for path in ("/_local/schedules/run", "/_local/queues/drain"):
        refused = requests.post(fixture_cloud.api_url + path, timeout=30)
        assert refused.status_code == 403 and "X-Soundlink-Local" in refused.json()["message"]
        form = requests.post(
            fixture_cloud.api_url + path,
            data={"x": "1"},
            headers={"Origin": "https://evil.example", "X-Soundlink-Local": "0"},
            timeout=30,
        )
        assert form.status_code == 403
    time.sleep(0.2)  # what a fired schedule would have recorded by now
    assert records(fixture_cloud, "tick") == []
