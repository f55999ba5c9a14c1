"""Route matching as HTTP API does it (no servers)."""

from __future__ import annotations

import pytest

from local.http_api import InvalidRoute, Route


def _pick(routes: list[Route], method: str, path: str) -> tuple[str, dict | None]:
    for route in sorted(routes, key=lambda r: r.specificity):
        params = route.match(method, path)
        if params is not None:
            return route.route_key, params
    return "$default", None


ROUTES = [
    Route.parse("GET", "/items/{id}", "F", None),
    Route.parse("GET", "/items/special", "F", None),
    Route.parse("ANY", "/items/special", "F", None),
    Route.parse("GET", "/items/{id}/parts/{part}", "F", None),
    Route.parse("ANY", "/files/{proxy+}", "F", None),
    Route.parse("GET", "/files/{name}", "F", None),
    Route.parse("GET", "/", "F", None),
]


@pytest.mark.parametrize(
    ("method", "path", "route_key", "params"),
    [
        ("GET", "/items/special", "GET /items/special", {}),
        ("POST", "/items/special", "ANY /items/special", {}),
        ("GET", "/items/42", "GET /items/{id}", {"id": "42"}),
        ("GET", "/items/42/parts/7", "GET /items/{id}/parts/{part}", {"id": "42", "part": "7"}),
        ("GET", "/files/a.txt", "GET /files/{name}", {"name": "a.txt"}),
        ("DELETE", "/files/a.txt", "ANY /files/{proxy+}", {"proxy": "a.txt"}),
        ("GET", "/files/a/b/c.txt", "ANY /files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("GET", "/files", "$default", None),
        ("GET", "/files/", "$default", None),
        ("GET", "/items/", "$default", None),
        ("GET", "/items/42/", "$default", None),
        ("POST", "/items/42", "$default", None),
        ("GET", "/", "GET /", {}),
    ],
)
def test_the_most_specific_route_wins(method: str, path: str, route_key: str, params: dict | None) -> None:
    assert _pick(ROUTES, method, path) == (route_key, params)


@pytest.mark.parametrize("path", ["campaigns", "/campaigns/{id/qr.svg}", "/a/{proxy+}/b", "/a/{x}y"])
def test_paths_api_gateway_refuses_are_reported(path: str) -> None:
    with pytest.raises(InvalidRoute):
        Route.parse("GET", path, "F", None)
