"""Tenant isolation for every owner route, enumerated from the OpenAPI document: a route added
later is covered by construction. Another owner's id is a 404 on every route that takes one,
and a route without one shows none of another owner's data (nor changes it)."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from tests.integration.journey import connect_owner_spotify

pytestmark = pytest.mark.slow
PLAYLIST = "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"
BODIES = {"PATCH": {"name": "Taken over"}, "POST": {}, "PUT": {}}


def owner_operations(document: dict) -> list[tuple[str, str, dict]]:
    """(METHOD, path, operation) of every route that needs an owner's token."""
    default = document.get("security")
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and operation.get("security", default):
                found.append((method.upper(), path, operation))
    return found


@pytest.fixture(scope="module")
def tenants(local_cloud: LocalCloud):
    tag = uuid.uuid4().hex[:6]
    alice = local_cloud.create_owner(f"alice-{tag}@example.com", "Isolation-owner-2026")
    mallory = local_cloud.create_owner(f"mallory-{tag}@example.com", "Isolation-owner-2026")
    name = f"Alice's secret campaign {tag}"
    made = requests.post(
        f"{local_cloud.api_url}/campaigns", json={"name": name, "playlist": PLAYLIST}, headers=alice.headers, timeout=30
    )
    assert made.status_code == 201, made.text
    # Alice connects her Spotify account too: its profile is hers alone.
    spotify = EmulatorControl(local_cloud.spotify_url)
    account = spotify.create_user(f"alice-{tag}", f"Alice Spotify {tag}")
    connect_owner_spotify(local_cloud, alice, account["id"])
    settings = requests.patch(
        f"{local_cloud.api_url}/owner/settings", json={"time_zone": "Asia/Tokyo"}, headers=alice.headers, timeout=30
    )
    assert settings.status_code == 200, settings.text
    document = requests.get(f"{local_cloud.api_url}/openapi.json", timeout=30).json()
    return {
        "alice": alice,
        "mallory": mallory,
        "mallory_email": f"mallory-{tag}@example.com",
        "campaign": made.json(),
        "spotify": account,
        "document": document,
    }


def alice_sees(cloud: LocalCloud, tenants) -> tuple:
    headers, campaign_id = tenants["alice"].headers, tenants["campaign"]["id"]
    one = requests.get(f"{cloud.api_url}/campaigns/{campaign_id}", headers=headers, timeout=30).json()
    mine = requests.get(f"{cloud.api_url}/owner/spotify", headers=headers, timeout=30).json()
    settings = requests.get(f"{cloud.api_url}/owner/settings", headers=headers, timeout=30).json()
    return one, mine, settings


def test_every_owner_route_with_another_owners_id_is_404(local_cloud, tenants):
    campaign_id = tenants["campaign"]["id"]
    before = alice_sees(local_cloud, tenants)
    with_id = [(m, p, op) for m, p, op in owner_operations(tenants["document"]) if "{" in p]
    assert len(with_id) >= 6, with_id  # the document really lists them

    for method, path, operation in with_id:
        names = [param["name"] for param in operation.get("parameters", []) if param["in"] == "path"]
        url = local_cloud.api_url + path.format(**dict.fromkeys(names, campaign_id))
        answer = requests.request(method, url, headers=tenants["mallory"].headers, json=BODIES.get(method), timeout=30)
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:200])
        assert answer.json()["error"] == "not_found", (method, path)
        assert tenants["campaign"]["slug"] not in answer.text

    assert alice_sees(local_cloud, tenants) == before


def test_another_owners_id_among_the_parameters_is_404_too(local_cloud, tenants):
    own = requests.post(
        f"{local_cloud.api_url}/campaigns",
        json={"name": "Mallory's", "playlist": PLAYLIST},
        headers=tenants["mallory"].headers,
        timeout=30,
    ).json()
    for path, operations in tenants["document"]["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "compare" not in {p["name"] for p in operation.get("parameters", [])}:
                continue
            url = local_cloud.api_url + path.replace("{campaign_id}", own["id"])
            answer = requests.request(
                method.upper(),
                url,
                params={"compare": tenants["campaign"]["id"]},
                headers=tenants["mallory"].headers,
                timeout=30,
            )
            assert answer.status_code == 404, (method, path, answer.text[:200])


def test_routes_without_an_id_show_none_of_another_owners_data(local_cloud, tenants):
    before = alice_sees(local_cloud, tenants)
    alice = tenants["campaign"]
    secrets = [alice["id"], alice["slug"], alice["name"], tenants["spotify"]["id"], tenants["spotify"]["display_name"]]
    without_id = [(m, p) for m, p, _ in owner_operations(tenants["document"]) if "{" not in p]
    assert {("GET", "/campaigns"), ("GET", "/owner/spotify"), ("GET", "/owner/settings")} <= set(without_id)
    assert {("PATCH", "/owner/settings"), ("DELETE", "/owner")} <= set(without_id)
    order = {"GET": 0, "POST": 1, "PATCH": 2, "DELETE": 3}  # what mallory can see first, then what mallory changes

    for method, path in sorted(without_id, key=lambda route: (order.get(route[0], 9), route[1])):
        body = {"name": "Mallory's", "playlist": PLAYLIST} if (method, path) == ("POST", "/campaigns") else None
        answer = requests.request(
            method, f"{local_cloud.api_url}{path}", headers=tenants["mallory"].headers, json=body, timeout=30
        )
        assert answer.status_code < 500, (method, path, answer.status_code)
        text = answer.text if answer.headers.get("content-type", "").startswith("application/json") else ""
        assert not [secret for secret in secrets if secret and secret in json.dumps(text)], (method, path, text[:300])

    assert alice_sees(local_cloud, tenants) == before
    assert before[1]["connected"] is True


def test_an_owner_deleting_their_account_deletes_nothing_of_another(local_cloud, tenants):
    """Last in this module: mallory's account is gone after it."""
    before = alice_sees(local_cloud, tenants)
    url, mallory = f"{local_cloud.api_url}/owner", tenants["mallory"].headers
    typed_alices = requests.delete(url, json={"confirm_email": "alice@example.com"}, headers=mallory, timeout=30)
    assert typed_alices.status_code == 400, typed_alices.text

    gone = requests.delete(url, json={"confirm_email": tenants["mallory_email"]}, headers=mallory, timeout=60)

    assert gone.status_code == 204, gone.text
    assert alice_sees(local_cloud, tenants) == before
    assert before[2]["time_zone"] == "Asia/Tokyo"
    assert requests.get(f"{local_cloud.api_url}/campaigns", headers=mallory, timeout=30).json()["campaigns"] == []
