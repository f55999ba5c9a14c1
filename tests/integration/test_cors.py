"""CORS as HTTP API does it from the template's CorsConfiguration."""

from __future__ import annotations

import requests

from local.cloud import LocalCloud

ORIGIN = "http://dashboard.test"


def _preflight(cloud: LocalCloud, origin: str, method: str) -> requests.Response:
    return requests.options(
        cloud.api_url + "/items/1",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )


def test_preflight_from_an_allowed_origin_is_answered_without_a_token(fixture_cloud: LocalCloud) -> None:
    response = _preflight(fixture_cloud, ORIGIN, "GET")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-allow-headers"] == "authorization,content-type"
    assert response.headers["access-control-max-age"] == "300"


def test_preflight_from_another_origin_or_for_another_method_gets_no_cors_headers(fixture_cloud: LocalCloud) -> None:
    for origin, method in (("http://elsewhere.test", "GET"), (ORIGIN, "DELETE")):
        response = _preflight(fixture_cloud, origin, method)
        assert response.status_code == 204
        assert "access-control-allow-origin" not in response.headers


def test_the_api_configuration_replaces_the_functions_cors_headers(fixture_cloud: LocalCloud) -> None:
    allowed = requests.get(fixture_cloud.api_url + "/files/a", headers={"Origin": ORIGIN}, timeout=10)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN  # the function said "*"
    assert allowed.headers["access-control-expose-headers"] == "x-echo"
    other = requests.get(fixture_cloud.api_url + "/files/a", headers={"Origin": "http://elsewhere.test"}, timeout=10)
    assert "access-control-allow-origin" not in other.headers
