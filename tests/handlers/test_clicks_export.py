"""GET /campaigns/{id}/clicks.csv in-process against moto: one row per kept click, by hour,
without the visitor key, the click id or the exact time."""

from __future__ import annotations

import base64
import csv
import importlib
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from soundlink.analytics.clicks_export import CLICK_COLUMNS, hour_of
from tests.handlers.test_analytics_api import ALICE, BOB, T0, new_campaign
from tests.handlers.test_analytics_api import api as analytics_api  # noqa: F401 (fixture)
from tests.support.events import FakeContext, http_event

VISITOR = "v0c4f2e9a7b1d35e8f60a2b4c6d8e0f1"
FAR = int((datetime.now(UTC) + timedelta(days=3650)).timestamp())  # kept, whatever today is
PEOPLE = {
    "referrer": "instagram.com",
    "utm_source": "ig",
    "utm_medium": "story",
    "utm_campaign": "launch",
    "device": "mobile",
    "browser": "Safari",
    "os": "iOS",
    "country": "DE",
}


def seed(campaign_id, at, *, kind="human", step="view", consent=False, unique=False, dims=None, expires_at=FAR):
    from soundlink.platform.tables import ClickItem

    click_id = str(uuid.uuid4())
    ClickItem(
        *ClickItem.key(campaign_id, at.isoformat(), click_id),
        expires_at=expires_at,
        click_id=click_id,
        campaign_id=campaign_id,
        clicked_at=at,
        kind=kind,
        step=step,
        consent_started=consent,
        unique=unique,
        visitor=VISITOR,
        dimensions=dims,
    ).save()
    return click_id


@pytest.fixture
def clicks(analytics_api):  # noqa: F811 (the fixture binds the tables)
    module = importlib.import_module("analytics.app")

    def call(campaign_id, *, claims=ALICE, query=None):
        event = http_event(
            "GET",
            f"/campaigns/{campaign_id}/clicks.csv",
            route="/campaigns/{id}/clicks.csv",
            path_parameters={"id": campaign_id},
            query=query,
            claims=claims,
        )
        return module.handler(event, FakeContext())

    return call


def rows_of(response):
    assert response["statusCode"] == 200, response
    return list(csv.reader(io.StringIO(response["body"])))


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def test_one_row_per_click_of_each_kind_in_time_order(clicks):
    campaign = new_campaign()
    at = T0 + timedelta(hours=13, minutes=27, seconds=41, microseconds=123456)
    ids = [
        seed(campaign.id, at + timedelta(minutes=2), kind="bot", step=None),
        seed(campaign.id, at, unique=True, dims=PEOPLE),
        seed(campaign.id, at + timedelta(minutes=1), step="connect", consent=True, dims={"referrer": "direct"}),
        seed(campaign.id, at + timedelta(hours=1), kind="prefetch"),
        seed(campaign.id, at + timedelta(days=1), kind="suspicious"),
    ]
    response = clicks(campaign.id)
    assert response["headers"]["Content-Type"].startswith("text/csv")
    assert response["headers"]["Cache-Control"] == "no-store"
    assert f'soundlink-{campaign.slug}-clicks.csv"' in response["headers"]["Content-Disposition"]
    assert "X-Next-Cursor" not in response["headers"]
    header, *rows = rows_of(response)
    assert (
        tuple(header)
        == CLICK_COLUMNS
        == (
            "hour",
            "kind",
            "step",
            "consent_started",
            "unique",
            "referrer",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "device",
            "browser",
            "os",
            "country",
        )
    )
    empty_dims = [""] * 8
    assert rows == [
        ["2026-03-01T13:00:00Z", "human", "view", "false", "true", *PEOPLE.values()],
        ["2026-03-01T13:00:00Z", "human", "connect", "true", "false", "direct", *[""] * 7],
        ["2026-03-01T13:00:00Z", "bot", "", "false", "false", *empty_dims],
        ["2026-03-01T14:00:00Z", "prefetch", "view", "false", "false", *empty_dims],
        ["2026-03-02T13:00:00Z", "suspicious", "view", "false", "false", *empty_dims],
    ]
    body = response["body"]
    # Nothing that names a visitor, a click or its exact moment leaves.
    assert VISITOR not in body
    for click_id in ids:
        assert click_id not in body
        assert click_id[:8] not in body
    for moment in (at, at + timedelta(minutes=1), at + timedelta(minutes=2)):
        assert moment.isoformat() not in body
        assert moment.strftime("%H:%M") not in body
    assert "27" not in body.replace("2026", "")  # not even the minute
    assert ":41" not in body and "123456" not in body


def test_an_empty_campaign_gives_the_header_only(clicks):
    campaign = new_campaign()
    other = new_campaign()
    seed(other.id, T0)  # another campaign's click is not this one's
    response = clicks(campaign.id)
    assert rows_of(response) == [list(CLICK_COLUMNS)]
    assert "X-Next-Cursor" not in response["headers"]


def test_the_range_takes_from_and_leaves_out_to(clicks):
    campaign = new_campaign()
    tick = timedelta(microseconds=1)
    start, end = T0 + timedelta(hours=5), T0 + timedelta(hours=6)
    seed(campaign.id, start - tick, kind="bot")  # before
    seed(campaign.id, start, kind="human")  # at from: in
    seed(campaign.id, end - tick, kind="prefetch")  # just before to: in
    seed(campaign.id, end, kind="suspicious")  # at to: out
    _, *rows = rows_of(clicks(campaign.id, query={"from": iso(start), "to": iso(end)}))
    assert [(row[0], row[1]) for row in rows] == [
        ("2026-03-01T05:00:00Z", "human"),
        ("2026-03-01T05:00:00Z", "prefetch"),
    ]
    _, *only_from = rows_of(clicks(campaign.id, query={"from": iso(start)}))
    assert [row[1] for row in only_from] == ["human", "prefetch", "suspicious"]
    _, *only_to = rows_of(clicks(campaign.id, query={"to": iso(end)}))
    assert [row[1] for row in only_to] == ["bot", "human", "prefetch"]
    # Another time zone names the same instants.
    berlin = {"from": (start + timedelta(hours=1)).isoformat().replace("+00:00", "+01:00")}
    berlin["to"] = (end + timedelta(hours=1)).isoformat().replace("+00:00", "+01:00")
    _, *same = rows_of(clicks(campaign.id, query=berlin))
    assert [row[1] for row in same] == ["human", "prefetch"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"from": "2026-03-01T05:00:00Z", "to": "2026-03-01T05:00:00Z"}, "from must be earlier than to"),
        ({"from": "2026-03-01T06:00:00Z", "to": "2026-03-01T05:00:00Z"}, "from must be earlier than to"),
        ({"from": "1970-01-01T00:00:00Z"}, "from must be a date between"),
        ({"to": "2026-03-01T05:00:00"}, "to"),  # no time zone
        ({"cursor": "not-a-cursor"}, "cursor is not valid"),
    ],
)
def test_bad_ranges_and_cursors_are_400(clicks, query, fragment):
    campaign = new_campaign()
    response = clicks(campaign.id, query=query)
    assert response["statusCode"] == 400, response
    assert fragment in response["body"]


def test_a_cursor_of_the_plays_export_is_refused(clicks):
    campaign = new_campaign()
    seed(campaign.id, T0)
    plays_cursor = base64.urlsafe_b64encode(json.dumps({"sk": "ATTR#2026-03-01"}).encode()).decode().rstrip("=")
    response = clicks(campaign.id, query={"cursor": plays_cursor})
    assert response["statusCode"] == 400
    assert "cursor is not valid" in response["body"]


def test_a_large_export_comes_in_parts_that_join_into_the_whole(clicks, monkeypatch):
    module = importlib.import_module("analytics.app")
    campaign = new_campaign()
    kinds = ["human", "bot", "prefetch", "suspicious"] * 5
    for n, kind in enumerate(kinds):
        seed(campaign.id, T0 + timedelta(minutes=17 * n), kind=kind, dims=PEOPLE if kind == "human" else None)
    whole = rows_of(clicks(campaign.id))
    assert len(whole) == 1 + len(kinds)
    monkeypatch.setattr(module, "MAX_EXPORT_BYTES", 300)  # a few rows a part
    joined, cursor, parts = [], None, 0
    while True:
        response = clicks(campaign.id, query={"cursor": cursor} if cursor else None)
        rows = rows_of(response)
        assert rows, "a part is never empty"
        assert (rows[0] == list(CLICK_COLUMNS)) == (parts == 0)  # the header in the first part only
        joined += rows
        parts += 1
        cursor = response["headers"].get("X-Next-Cursor")
        if not cursor:
            break
        assert len(response["body"].encode()) >= 300  # a part stops at the limit, not before
    assert parts > 2
    assert joined == whole


def test_parts_keep_to_the_range(clicks, monkeypatch):
    module = importlib.import_module("analytics.app")
    campaign = new_campaign()
    for n in range(12):
        seed(campaign.id, T0 + timedelta(hours=n), kind="bot")
    monkeypatch.setattr(module, "MAX_EXPORT_BYTES", 120)
    window = {"from": iso(T0 + timedelta(hours=3)), "to": iso(T0 + timedelta(hours=9))}
    hours, cursor = [], None
    while True:
        response = clicks(campaign.id, query={**window, **({"cursor": cursor} if cursor else {})})
        hours += [row[0] for row in rows_of(response) if row[0] != "hour"]
        cursor = response["headers"].get("X-Next-Cursor")
        if not cursor:
            break
    assert hours == [f"2026-03-01T{h:02d}:00:00Z" for h in range(3, 9)]


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_start_with_an_apostrophe(clicks, value):
    campaign = new_campaign()
    seed(campaign.id, T0, dims={**PEOPLE, "referrer": value, "utm_campaign": value})
    _, row = rows_of(clicks(campaign.id))
    named = dict(zip(CLICK_COLUMNS, row, strict=True))
    assert named["referrer"] == "'" + value
    assert named["utm_campaign"] == "'" + value
    assert named["utm_source"] == "ig"  # a harmless cell is left alone


def test_clicks_past_their_retention_are_left_out(clicks):
    campaign = new_campaign()
    seed(campaign.id, T0, kind="bot", expires_at=int(datetime.now(UTC).timestamp()) - 1)  # TTL not yet run
    seed(campaign.id, T0 + timedelta(hours=1), kind="human")
    _, *rows = rows_of(clicks(campaign.id))
    assert [row[1] for row in rows] == ["human"]


def test_another_owners_campaign_is_404(clicks):
    campaign = new_campaign()
    seed(campaign.id, T0, dims=PEOPLE)
    response = clicks(campaign.id, claims=BOB)
    assert response["statusCode"] == 404
    assert "instagram" not in response["body"]
    assert clicks(str(uuid.uuid4()))["statusCode"] == 404


@pytest.mark.parametrize(
    ("moment", "hour"),
    [
        (datetime(2026, 3, 1, 13, 59, 59, 999999, tzinfo=UTC), "2026-03-01T13:00:00Z"),
        (datetime(2026, 3, 1, 14, 0, tzinfo=UTC), "2026-03-01T14:00:00Z"),
        (datetime(2026, 3, 1, 0, 30, tzinfo=UTC).astimezone(UTC) - timedelta(hours=1), "2026-02-28T23:00:00Z"),
    ],
)
def test_the_hour_is_the_utc_hour_that_holds_the_click(moment, hour):
    from zoneinfo import ZoneInfo

    assert hour_of(moment) == hour
    assert hour_of(moment.astimezone(ZoneInfo("Asia/Kolkata"))) == hour  # a half-hour zone too


def test_a_click_expires_at_its_expiry_second(clicks):
    from soundlink.analytics.clicks_export import clicks_csv

    campaign = new_campaign()
    now = datetime(2030, 1, 1, tzinfo=UTC)
    seed(campaign.id, T0, kind="bot", expires_at=int(now.timestamp()))  # expires now: out
    seed(campaign.id, T0 + timedelta(hours=1), kind="human", expires_at=int(now.timestamp()) + 1)  # one second left
    body, cursor = clicks_csv(campaign.id, cursor=None, now=now)
    assert cursor is None
    assert [row[1] for row in csv.reader(io.StringIO(body))] == ["kind", "human"]
