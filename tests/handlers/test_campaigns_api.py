"""The campaigns function end to end in-process: payload-2.0 events in,
moto DynamoDB (tables from template.yaml) underneath."""

from __future__ import annotations

import base64
import importlib
import io
import json

import boto3
import pytest
import segno

from tests.support.events import DOMAIN, FakeContext, http_event, owner_claims

PID = "37i9dQZF1DXcBWIGoYBM5M"
ALICE = owner_claims("alice-sub")
BOB = owner_claims("bob-sub")


@pytest.fixture
def api(aws, monkeypatch):
    monkeypatch.setenv("DATA_TABLE", aws["DataTable"])
    monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
    monkeypatch.setenv("STATS_TABLE", aws["StatsTable"])
    monkeypatch.setenv("IDEMPOTENCY_TABLE", aws["IdempotencyTable"])
    monkeypatch.setenv("PUBLIC_API_URL", "")
    from soundlink.settings import get_settings

    get_settings.cache_clear()
    module = importlib.import_module("campaigns.app")
    module.service.cache_clear()

    def call(method, path, *, claims=ALICE, route=None, params=None, **kwargs):
        event = http_event(method, path, route=route, path_parameters=params, claims=claims, **kwargs)
        response = module.handler(event, FakeContext())
        body = response.get("body")
        if response.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        if body and response["headers"].get("Content-Type", "").startswith("application/json"):
            body = json.loads(body)
        return response["statusCode"], body, response

    yield call
    get_settings.cache_clear()
    module.service.cache_clear()


def create(api, claims=ALICE, **fields):
    status, body, _ = api("POST", "/campaigns", claims=claims, body={"name": "Launch", "playlist": PID, **fields})
    assert status == 201, body
    return body


def one(api, campaign_id, claims=ALICE):
    return api("GET", f"/campaigns/{campaign_id}", route="/campaigns/{id}", params={"id": campaign_id}, claims=claims)


def table_items(aws):
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws["DataTable"])
    return sorted(table.scan()["Items"], key=lambda item: (item["pk"], item["sk"]))


def test_create_returns_the_campaign_with_its_tracker(api, aws):
    status, body, response = api("POST", "/campaigns", body={"name": "Launch", "playlist": f"spotify:playlist:{PID}"})
    assert status == 201
    assert response["headers"]["Location"] == f"/campaigns/{body['id']}"
    assert body["tracker_url"] == f"https://{DOMAIN}/c/{body['slug']}"
    assert body["playlist_uri"] == f"spotify:playlist:{PID}"
    assert body["destination_url"] == f"https://open.spotify.com/playlist/{PID}"
    assert body["attribution_window_days"] == 14
    assert body["attribution_model"] == "last_touch"
    assert body["status"] == "active"
    keys = {(item["pk"], item["sk"]) for item in table_items(aws)}
    assert keys == {(f"CAMPAIGN#{body['id']}", "CAMPAIGN"), (f"SLUG#{body['slug']}", "SLUG")}


def test_public_api_url_setting_wins_over_the_request_domain(api, monkeypatch):
    from soundlink.settings import get_settings

    monkeypatch.setenv("PUBLIC_API_URL", "https://go.example.com/")
    get_settings.cache_clear()
    body = create(api)
    assert body["tracker_url"] == f"https://go.example.com/c/{body['slug']}"


def test_base64_encoded_body_is_accepted(api):
    status, body, _ = api("POST", "/campaigns", body={"name": "B64", "playlist": PID}, base64_body=True)
    assert status == 201, body
    assert body["name"] == "B64"


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"name": "x", "playlist": "https://open.spotify.com/album/" + PID}, "playlist", "spotify:playlist:{id}"),
        ({"name": "x", "playlist": "not a link"}, "playlist", "https://open.spotify.com/playlist/{id}"),
        ({"name": "x", "playlist": PID, "attribution_window_days": 91}, "attribution_window_days", "90"),
        ({"name": "x", "playlist": PID, "attribution_window_days": 0}, "attribution_window_days", "1"),
        ({"name": "x", "playlist": PID, "attribution_model": "magic"}, "attribution_model", "time_decay"),
        ({"name": "x", "playlist": PID, "destination_url": "http://a.example"}, "destination_url", "https"),
        ({"name": "", "playlist": PID}, "name", "at least 1"),
        ({"playlist": PID}, "name", "Field required"),
        ({"name": "x", "playlist": PID, "ends_at": "yesterday"}, "ends_at", "datetime"),
        ({"name": "x", "playlist": PID, "unknown": 1}, "unknown", "not a known field"),
    ],
)
def test_bad_create_is_400_naming_the_field_and_stores_nothing(api, aws, payload, field, fragment):
    status, body, _ = api("POST", "/campaigns", body=payload)
    assert status == 400
    assert body["error"] == "invalid_request"
    assert any(d["field"] == field and fragment in d["message"] for d in body["details"]), body
    assert fragment in body["message"]
    assert table_items(aws) == []


def test_malformed_json_is_400(api, aws):
    status, body, _ = api("POST", "/campaigns", body="{not json", headers={"content-type": "application/json"})
    assert status == 400
    assert "JSON" in body["message"]
    assert table_items(aws) == []


def test_campaign_ending_in_the_past_is_400(api, aws):
    status, body, _ = api("POST", "/campaigns", body={"name": "x", "playlist": PID, "ends_at": "2020-01-01T00:00Z"})
    assert status == 400
    assert "past" in body["message"]
    assert table_items(aws) == []


def test_missing_owner_claims_is_401(api, aws):
    status, body, _ = api("POST", "/campaigns", claims=None, body={"name": "x", "playlist": PID})
    assert status == 401
    assert "sign in" in body["message"]
    status, _, _ = api("GET", "/campaigns", claims=None)
    assert status == 401
    assert table_items(aws) == []


def test_owner_sees_only_their_own_campaigns(api, aws):
    mine = create(api)
    theirs = create(api, claims=BOB, name="Bob's")
    assert one(api, mine["id"])[0] == 200
    status, body, _ = one(api, theirs["id"])
    assert status == 404
    assert theirs["id"] in body["message"]
    status, body, _ = api("GET", "/campaigns")
    assert [c["id"] for c in body["campaigns"]] == [mine["id"]]
    before = table_items(aws)
    path = f"/campaigns/{theirs['id']}"
    params = {"id": theirs["id"]}
    assert api("PATCH", path, route="/campaigns/{id}", params=params, body={"name": "stolen"})[0] == 404
    assert api("DELETE", path, route="/campaigns/{id}", params=params)[0] == 404
    assert api("GET", path + "/qr.svg", route="/campaigns/{id}/qr.svg", params=params)[0] == 404
    assert table_items(aws) == before


def test_unknown_campaign_is_404(api):
    status, body, _ = one(api, "does-not-exist")
    assert status == 404
    assert body["error"] == "not_found"


def test_listing_pages_newest_first(api):
    ids = [create(api, name=f"c{i}")["id"] for i in range(5)]
    seen = []
    cursor = None
    for _ in range(5):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, body, _ = api("GET", "/campaigns", query=query)
        assert status == 200
        seen += [c["id"] for c in body["campaigns"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]


def test_listing_filters_by_status(api):
    keep = create(api, name="keep")
    gone = create(api, name="gone")
    api("DELETE", f"/campaigns/{gone['id']}", route="/campaigns/{id}", params={"id": gone["id"]})
    _, body, _ = api("GET", "/campaigns", query={"status": "active"})
    assert [c["id"] for c in body["campaigns"]] == [keep["id"]]
    _, body, _ = api("GET", "/campaigns", query={"status": "archived"})
    assert [c["id"] for c in body["campaigns"]] == [gone["id"]]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "500"}, "limit"),
        ({"status": "deleted"}, "status"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_bad_listing_query_is_400(api, query, fragment):
    status, body, _ = api("GET", "/campaigns", query=query)
    assert status == 400
    assert fragment in body["message"]


def test_cursor_of_another_owner_is_refused(api):
    for i in range(3):
        create(api, claims=BOB, name=f"b{i}")
    _, page, _ = api("GET", "/campaigns", claims=BOB, query={"limit": "1"})
    status, body, _ = api("GET", "/campaigns", query={"cursor": page["next_cursor"]})
    assert status == 400
    assert "cursor" in body["message"]


def test_patch_changes_only_what_was_sent(api):
    campaign = create(api, attribution_model="linear")
    status, body, _ = api(
        "PATCH",
        f"/campaigns/{campaign['id']}",
        route="/campaigns/{id}",
        params={"id": campaign["id"]},
        body={"name": "Renamed", "attribution_window_days": 30},
    )
    assert status == 200, body
    assert (body["name"], body["attribution_window_days"], body["attribution_model"]) == ("Renamed", 30, "linear")
    assert body["slug"] == campaign["slug"]
    assert one(api, campaign["id"])[1]["name"] == "Renamed"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"playlist": PID}, "cannot be changed"),
        ({}, "nothing to change"),
        ({"attribution_model": "best"}, "attribution_model"),
        ({"attribution_window_days": 365}, "90"),
        ({"destination_url": "ftp://x"}, "https"),
        ({"name": None}, "cannot be null"),
        ({"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2029-01-01T00:00:00Z"}, "later than starts_at"),
    ],
)
def test_bad_patch_is_400_and_changes_nothing(api, aws, payload, fragment):
    campaign = create(api)
    before = table_items(aws)
    status, body, _ = api(
        "PATCH", f"/campaigns/{campaign['id']}", route="/campaigns/{id}", params={"id": campaign["id"]}, body=payload
    )
    assert status == 400
    assert fragment in body["message"]
    assert table_items(aws) == before


def test_delete_archives_and_keeps_the_campaign(api, aws):
    campaign = create(api)
    params = {"id": campaign["id"]}
    status, body, _ = api("DELETE", f"/campaigns/{campaign['id']}", route="/campaigns/{id}", params=params)
    assert status == 200
    assert body["status"] == "archived"
    assert body["archived_at"]
    status, body, _ = one(api, campaign["id"])
    assert (status, body["status"]) == (200, "archived")
    assert len(table_items(aws)) == 2  # campaign and slug claim are kept
    status, body, _ = api(
        "PATCH", f"/campaigns/{campaign['id']}", route="/campaigns/{id}", params=params, body={"name": "x"}
    )
    assert status == 409
    assert "archived" in body["message"]


def test_qr_code_is_an_svg_of_the_tracker(api):
    campaign = create(api)
    status, body, response = api(
        "GET", f"/campaigns/{campaign['id']}/qr.svg", route="/campaigns/{id}/qr.svg", params={"id": campaign["id"]}
    )
    assert status == 200
    assert response["headers"]["Content-Type"] == "image/svg+xml"
    assert body.startswith("<?xml") and "<svg" in body
    assert "Launch" in body
    # The SVG is exactly the QR code of the tracker URL.
    rendered = io.BytesIO()
    segno.make(campaign["tracker_url"], error="m").save(
        rendered, kind="svg", scale=8, border=4, title=f"Soundlink tracker: {campaign['name']}"
    )
    assert body == rendered.getvalue().decode()


def test_health_reports_each_dependency(api):
    status, body, response = api("GET", "/health", claims=None)
    assert status == 200
    assert body == {"status": "ok", "checks": {"data_table": "ok"}}
    assert response["headers"]["Cache-Control"] == "no-store"


def test_health_is_503_when_the_table_is_gone(api, aws):
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=aws["DataTable"])
    status, body, _ = api("GET", "/health", claims=None)
    assert status == 503
    assert body["checks"]["data_table"] == "unavailable"


def test_openapi_document_describes_the_owner_api(api):
    status, body, _ = api("GET", "/openapi.json", claims=None)
    assert status == 200
    assert body["info"]["title"] == "Soundlink API"
    paths = body["paths"]
    assert {"post", "get"} <= set(paths["/campaigns"])
    assert {"get", "patch", "delete"} <= set(paths["/campaigns/{campaign_id}"])
    schemas = body["components"]["schemas"]
    assert "CampaignCreate" in schemas
    assert schemas["CampaignCreate"]["properties"]["attribution_window_days"]["maximum"] == 90


def test_unknown_route_is_a_json_404(api):
    status, body, _ = api("GET", "/nope")
    assert status == 404
    assert "GET /nope" in body["message"]
