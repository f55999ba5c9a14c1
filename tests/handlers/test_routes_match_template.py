"""Every HttpApi route of the template reaches a route of its handler, and back.

cfn-lint and sam validate accept a path such as /campaigns/{id/qr.svg}; API
Gateway would not, and the handler would never see the request.
"""

from __future__ import annotations

import importlib
import re

import pytest

from local.cfn import cached_template, resources_of_type

VALID_PATH = re.compile(r"^(/([A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\+?\}))+$")


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _http_functions():
    for logical_id, fn in resources_of_type(cached_template(), "AWS::Serverless::Function").items():
        events = [e["Properties"] for e in fn["Properties"].get("Events", {}).values() if e["Type"] == "HttpApi"]
        if events:
            yield pytest.param(fn["Properties"]["Handler"], events, id=logical_id)


@pytest.mark.parametrize(("handler", "events"), list(_http_functions()))
def test_template_routes_and_handler_routes_are_the_same(handler, events, monkeypatch):
    for name in ("DATA_TABLE", "EVENTS_TABLE", "STATS_TABLE"):
        monkeypatch.setenv(name, name.lower())
    for event in events:
        assert VALID_PATH.match(event["Path"]), f"{event['Path']} is not a valid HTTP API path"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    module = importlib.import_module(handler.rsplit(".", 1)[0])
    declared = {(e["Method"].upper(), _normalise(e["Path"])) for e in events}
    if hasattr(module, "ROUTES"):
        # A hand-rolled handler (kept lean for its cold start) names its routes by route key.
        handled = {(key.split(" ", 1)[0], _normalise(key.split(" ", 1)[1])) for key in module.ROUTES}
    else:
        resolver = module.app
        routes = resolver._static_routes + resolver._dynamic_routes
        handled = {(r.method.upper(), _normalise(r.openapi_path)) for r in routes}
    assert declared == handled
