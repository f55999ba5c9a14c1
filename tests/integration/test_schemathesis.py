"""The API keeps its own OpenAPI document: schemathesis against the local cloud.

Schemathesis reads `/openapi.json`, generates valid and invalid requests for
every operation and checks each answer: never a 5xx, and status code, content
type, headers and body as the document declares them. Requests carry an
owner's token; the local-only control routes (`/_local/...`) are not in the
document and are excluded in case they ever appear.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.cloud import LocalCloud

PLAYLIST = "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def owner_headers(local_cloud: LocalCloud) -> dict[str, str]:
    return local_cloud.create_owner("schemathesis@example.com", "Schema-owner-2026").headers


@pytest.fixture(scope="module")
def new_campaign(local_cloud: LocalCloud, owner_headers: dict[str, str]) -> Callable[[], str]:
    def create() -> str:
        created = requests.post(
            f"{local_cloud.api_url}/campaigns",
            json={"name": "Schemathesis", "playlist": PLAYLIST},
            headers=owner_headers,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        return created.json()["id"]

    return create


@pytest.fixture(scope="module")
def campaign_id(new_campaign: Callable[[], str]) -> str:
    """A campaign of the owner, so operations on one campaign also meet one that exists."""
    return new_campaign()


def _load(local_cloud: LocalCloud, owner_headers: dict[str, str], parameters: dict | None = None):
    config = schemathesis.Config.from_dict(
        {
            "base-url": local_cloud.api_url,
            "headers": owner_headers,
            "request-timeout": 30,
            "phases": {"stateful": {"enabled": False}},
            **({"parameters": parameters} if parameters else {}),
        }
    )
    return schemathesis.openapi.from_url(f"{local_cloud.api_url}/openapi.json", config=config)


@pytest.fixture(scope="module")
def api_schema(local_cloud: LocalCloud, owner_headers: dict[str, str]):
    return _load(local_cloud, owner_headers)


@pytest.fixture(scope="module")
def existing_campaign_schema(local_cloud: LocalCloud, owner_headers: dict[str, str], campaign_id: str):
    return _load(local_cloud, owner_headers, {"path.campaign_id": campaign_id})


# Filters belong on the lazy schemas: they replace those of the fixtures' schemas.
api = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=r"^/_local/")
# Only the operations on one campaign, with its id (DELETE gets a campaign of its own, see below).
existing_campaign = schemathesis.pytest.from_fixture("existing_campaign_schema").include(
    path_regex=r"^/campaigns/\{campaign_id\}"
)
BOUNDED = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@api.parametrize()
@BOUNDED
def test_every_answer_conforms_to_the_document(case, owner_headers) -> None:
    case.call_and_validate(headers=owner_headers, checks=CHECKS)


@existing_campaign.parametrize()
@BOUNDED
def test_answers_about_an_existing_campaign_conform_to_the_document(case, owner_headers, new_campaign) -> None:
    if case.method == "DELETE":  # archive another campaign each time, so PATCH keeps meeting an active one
        case.path_parameters = {**(case.path_parameters or {}), "campaign_id": new_campaign()}
    case.call_and_validate(headers=owner_headers, checks=CHECKS)


@pytest.fixture(scope="module")
def stateful_schema(local_cloud: LocalCloud, owner_headers: dict[str, str]):
    config = schemathesis.Config.from_dict(
        {"base-url": local_cloud.api_url, "headers": owner_headers, "request-timeout": 30}
    )
    return schemathesis.openapi.from_url(f"{local_cloud.api_url}/openapi.json", config=config)


def test_the_stateful_phase_follows_the_links_from_create_to_read_change_and_delete(stateful_schema, owner_headers):
    """The document links POST /campaigns to every operation on the campaign it made, so
    schemathesis chains them with the id it got back; every answer conforms."""
    chained: set[tuple[str, str, int]] = set()
    calls: list[tuple[str, str, int]] = []

    class Workflow(stateful_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            return {"headers": owner_headers}

        def before_call(self, case):
            # Random text is rarely a playlist: creates get a valid body, so there is something to chain.
            if case.method == "POST" and case.path == "/campaigns":
                case.body = {
                    **(case.body if isinstance(case.body, dict) else {}),
                    "name": "Stateful",
                    "playlist": PLAYLIST,
                }
                for field in ("starts_at", "ends_at", "destination_url", "attribution_window_days"):
                    case.body.pop(field, None)
            if case.method == "PATCH":  # likewise a change that is valid, so the chain goes on
                case.body = {"name": "Stateful, changed"}

        def after_call(self, response, case):
            calls.append((case.method, case.path, response.status_code))
            # A generated id is unknown (404); anything else means the id came from a create, by a link
            # (a change after the delete is 409: the campaign exists, archived).
            if "{campaign_id}" in case.path and response.status_code != 404:
                chained.add((case.method, case.path, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=owner_headers)

    Workflow.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
    methods = {method for method, _path, _status in chained}
    assert {"GET", "PATCH", "DELETE"} <= methods, (sorted(chained), calls[:40])
