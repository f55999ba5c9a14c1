"""GET /campaigns/{id}/analytics in-process: payload-2.0 events in, moto DynamoDB
(tables from template.yaml) underneath, counters written as the pipeline writes
them (soundlink.platform.counters.add_counts / add_to inside one transaction)."""

from __future__ import annotations

import importlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from soundlink.analytics.schemas import Analytics
from soundlink.attribution.rules import CONFIDENCE_BUCKETS, MODELS, bucket
from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus
from soundlink.platform.counters import CLICK_DIMENSIONS, add_counts, add_to, day_scoped, shard_of
from soundlink.platform.transactions import transaction
from tests.support.events import FakeContext, http_event, owner_claims

ALICE = owner_claims("alice-sub")
BOB = owner_claims("bob-sub")
PID = "37i9dQZF1DXcBWIGoYBM5M"
T0 = datetime(2026, 3, 1, tzinfo=UTC)  # midnight: ranges below are aligned on it
TRACK_A = "4uLU6hMCjMI75M1A2tKUQC"
TRACK_B = "7ouMYWpwJ422jRcDASZB7P"
CLICK = {"referrer": "t.co", "utm_source": "newsletter", "device": "mobile", "country": "US"}


@pytest.fixture
def api(aws, monkeypatch):
    monkeypatch.setenv("DATA_TABLE", aws["DataTable"])
    monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
    monkeypatch.setenv("STATS_TABLE", aws["StatsTable"])
    monkeypatch.setenv("IDEMPOTENCY_TABLE", aws["IdempotencyTable"])
    from soundlink.platform.settings import get_settings
    from soundlink.platform.tables import bind_tables

    get_settings.cache_clear()
    bind_tables(get_settings())
    module = importlib.import_module("analytics.app")
    module.campaigns.cache_clear()

    def call(campaign_id, *, claims=ALICE, query=None, headers=None):
        path = f"/campaigns/{campaign_id}/analytics"
        event = http_event(
            "GET",
            path,
            route="/campaigns/{id}/analytics",
            path_parameters={"id": campaign_id},
            query=query,
            headers=headers,
            claims=claims,
        )
        response = module.handler(event, FakeContext())
        body = response.get("body")
        if body and response["headers"].get("Content-Type", "").startswith("application/json"):
            body = json.loads(body)
        return response["statusCode"], body, response

    yield call
    get_settings.cache_clear()
    module.campaigns.cache_clear()


def new_campaign(
    owner="alice-sub",
    *,
    name="Launch",
    model=AttributionModel.LAST_TOUCH,
    measure_fans=False,
    created_at: datetime = T0 - timedelta(days=90),
) -> Campaign:
    from soundlink.campaigns.repository import DynamoCampaignRepository

    campaign_id = str(uuid.uuid4())
    campaign = Campaign(
        id=campaign_id,
        owner_id=owner,
        name=name,
        slug=campaign_id.replace("-", "")[:10],
        playlist_id=PID,
        destination_url=f"https://open.spotify.com/playlist/{PID}",
        attribution_window_days=14,
        attribution_model=model,
        starts_at=None,
        ends_at=None,
        status=CampaignStatus.ACTIVE,
        created_at=created_at,
        updated_at=created_at,
        measure_fans=measure_fans,
    )
    DynamoCampaignRepository().create(campaign)
    return campaign


def play(
    campaign_id: str,
    at: datetime,
    *,
    confidence: float = 1.0,
    credit: dict[str, float] | None = None,
    track: str = TRACK_A,
    first: bool = False,
    event_id: str | None = None,
) -> None:
    """One attributed play's counters, as soundlink.attribution.service writes them."""
    credit = credit or dict.fromkeys(MODELS, 1.0)
    event_id = event_id or f"listener#{at.isoformat()}#{uuid.uuid4()}"
    conf_bucket = bucket(confidence)
    shard = shard_of(event_id)
    with transaction() as writes:
        add_counts(
            writes,
            campaign_id,
            at,
            {
                "attributed_plays": 1,
                "listeners": int(first),
                "new_listeners": int(first),
                **{f"streams_{model}": credit.get(model, 0.0) for model in MODELS},
                **{f"weighted_{model}": credit.get(model, 0.0) * confidence for model in MODELS},
            },
            event_id=event_id,
            dimensions={name: CLICK.get(name, "") for name in CLICK_DIMENSIONS},
            also=(f"CONF#{conf_bucket}",),
        )
        add_to(
            writes,
            campaign_id,
            day_scoped(at, f"TRACK#{track}#{shard}"),
            {"attributed_plays": 1, "listeners": int(first)},
            labels={"track_name": "Song", "track_artists": "Artist"},
        )
        for model in MODELS:
            share = credit.get(model, 0.0)
            add_to(
                writes,
                campaign_id,
                day_scoped(at, f"MODEL#{model}#C{conf_bucket}#{shard}"),
                {"streams": share, "weighted_streams": share * confidence},
            )


def click(campaign_id: str, at: datetime, *, authorized: bool = False) -> None:
    with transaction() as writes:
        add_counts(
            writes,
            campaign_id,
            at,
            {"clicks": 1, "unique_clicks": 1, "authorizations": int(authorized)},
            event_id=str(uuid.uuid4()),
            dimensions=CLICK,
        )


def states(campaign_id: str, **counts: int) -> None:
    with transaction() as writes:
        add_to(writes, campaign_id, "STATES", {f"state_{name}": n for name, n in counts.items()})


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def window(start: datetime, end: datetime, granularity: str = "day", **extra: str) -> dict[str, str]:
    return {"from": iso(start), "to": iso(end), "granularity": granularity, **extra}


# ------------------------------------------------------------------ who may read


def test_another_owners_campaign_is_404_and_says_nothing_of_it(api):
    theirs = new_campaign("bob-sub", name="Bob's secret")
    play(theirs.id, T0 - timedelta(days=1))
    status, body, _ = api(theirs.id)
    assert status == 404
    assert body["error"] == "not_found"
    assert "Bob" not in json.dumps(body)
    status, body, _ = api(theirs.id, claims=BOB)
    assert status == 200, body


def test_another_owners_campaign_in_compare_is_404(api):
    mine = new_campaign()
    theirs = new_campaign("bob-sub", name="Bob's secret")
    play(theirs.id, T0 - timedelta(days=1))
    status, body, _ = api(mine.id, query={"compare": theirs.id})
    assert status == 404
    assert body["error"] == "not_found"
    assert "Bob" not in json.dumps(body)
    status, body, _ = api(mine.id, query={"compare": str(uuid.uuid4())})  # missing altogether: the same
    assert status == 404


def test_without_a_token_it_is_401(api):
    mine = new_campaign()
    status, _, _ = api(mine.id, claims=None)
    assert status == 401


@pytest.mark.parametrize(
    "campaign_id", ["nope", "6F1C2A8E-4B8F-4D55-9A3E-0C2F3B1D4E5F", "a" * 300, "%00", "CAMPAIGN#x"]
)
def test_a_malformed_campaign_id_is_404_without_any_read(api, dynamodb_calls, campaign_id):
    status, body, _ = api(campaign_id)
    assert status == 404
    assert body["error"] == "not_found"
    assert len(body["message"]) < 120
    assert dynamodb_calls == []


def test_a_malformed_id_in_compare_is_404(api):
    mine = new_campaign()
    status, body, _ = api(mine.id, query={"compare": "nope"})
    assert status == 404
    assert body["error"] == "not_found"


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("0.05", "min_confidence"), ("0.95", "min_confidence"), ("-0.1", "min_confidence"), ("1", "min_confidence")],
)
def test_min_confidence_off_the_grid_is_400_naming_it(api, value, fragment):
    mine = new_campaign()
    status, body, _ = api(mine.id, query={"min_confidence": value})
    assert status == 400, body
    assert body["error"] in ("bad_request", "invalid_request")
    assert fragment in body["message"]


def test_min_confidence_between_buckets_says_what_is_allowed(api):
    mine = new_campaign()
    _, body, _ = api(mine.id, query={"min_confidence": "0.05"})
    assert "multiple of 0.1" in body["message"]
    assert "0.9" in body["message"]


@pytest.mark.parametrize("value", ["0.0", "0", "0.1", "0.3", "0.7", "0.9"])
def test_min_confidence_on_the_grid_is_accepted(api, value):
    mine = new_campaign()
    status, body, _ = api(mine.id, query={"min_confidence": value})
    assert status == 200, body
    assert body["min_confidence"] == pytest.approx(float(value))


@pytest.mark.parametrize("gap", [timedelta(0), timedelta(hours=-1), timedelta(days=-3)])
def test_from_not_before_to_is_400(api, gap):
    mine = new_campaign()
    status, body, _ = api(mine.id, query=window(T0, T0 + gap))
    assert status == 400
    assert "from must be earlier than to" in body["message"]


def test_hourly_range_of_exactly_7_days_is_accepted_and_longer_is_400(api):
    # Hourly points are limited to a week so a busy campaign's hours fit one Query page.
    mine = new_campaign()
    status, body, _ = api(mine.id, query=window(T0, T0 + timedelta(days=7), "hour"))
    assert status == 200, body
    assert len(body["series"]) == 7 * 24
    status, body, _ = api(mine.id, query=window(T0, T0 + timedelta(days=7, hours=1), "hour"))
    assert status == 400
    assert "7 days" in body["message"]


def test_daily_range_of_exactly_400_days_is_accepted_and_longer_is_400(api):
    mine = new_campaign()
    status, body, _ = api(mine.id, query=window(T0 - timedelta(days=400), T0))
    assert status == 200, body
    assert len(body["series"]) == 400
    status, body, _ = api(mine.id, query=window(T0 - timedelta(days=401), T0))
    assert status == 400
    assert "400 days" in body["message"]


@pytest.mark.parametrize(
    "query",
    [
        {"granularity": "week"},
        {"model": "magic"},
        {"from": "2026-03-01T00:00:00"},  # no timezone
        {"to": "yesterday"},
    ],
)
def test_other_bad_parameters_are_400(api, query):
    mine = new_campaign()
    status, body, _ = api(mine.id, query=query)
    assert status == 400, body
    assert body["error"] == "invalid_request"


def test_compare_with_more_than_5_campaigns_is_400(api):
    mine = new_campaign()
    others = [new_campaign(name=f"other {i}") for i in range(6)]
    status, body, _ = api(mine.id, query={"compare": ",".join(c.id for c in others)})
    assert status == 400
    assert "compare" in body["message"]
    status, body, _ = api(mine.id, query={"compare": ",".join(c.id for c in others[:5])})
    assert status == 200, body
    assert [c["campaign_id"] for c in body["compare"]] == [c.id for c in others[:5]]


def test_compare_with_more_than_5_short_ids_says_the_limit(api):
    mine = new_campaign()
    status, body, _ = api(mine.id, query={"compare": "a,b,c,d,e,f"})
    assert status == 400
    assert "at most 5" in body["message"]


def test_compare_shows_each_campaigns_totals_and_ignores_the_campaign_itself(api):
    mine = new_campaign()
    other = new_campaign(name="Other")
    play(mine.id, T0 - timedelta(days=1), first=True)
    for i in range(3):
        play(other.id, T0 - timedelta(days=1, hours=i), first=i == 0)
    status, body, _ = api(mine.id, query={"compare": f"{mine.id},{other.id}, {other.id}"})
    assert status == 200, body
    assert [(c["campaign_id"], c["name"]) for c in body["compare"]] == [(other.id, "Other")]
    assert body["compare"][0]["totals"]["attributed_plays"] == 3
    assert body["compare"][0]["totals"]["listeners"] == 1
    assert body["totals"]["attributed_plays"] == 1


# ------------------------------------------------------------------ ETag


def test_same_request_same_etag_and_if_none_match_is_304_with_empty_body(api):
    mine = new_campaign()
    play(mine.id, T0 - timedelta(hours=5), first=True)
    query = window(T0 - timedelta(days=7), T0)
    status, first, response = api(mine.id, query=query)
    assert status == 200
    tag = response["headers"]["ETag"]
    assert tag.startswith('"') and tag.endswith('"')
    _, second, again = api(mine.id, query=query)
    assert again["headers"]["ETag"] == tag
    assert second == first
    status, body, not_modified = api(mine.id, query=query, headers={"If-None-Match": tag})
    assert status == 304
    assert not body
    assert not_modified["headers"]["ETag"] == tag
    status, _, _ = api(mine.id, query=query, headers={"If-None-Match": '"something-else"'})
    assert status == 200


def test_etag_changes_when_a_counter_changes(api):
    mine = new_campaign()
    play(mine.id, T0 - timedelta(hours=5), first=True)
    query = window(T0 - timedelta(days=7), T0)
    _, _, before = api(mine.id, query=query)
    tag = before["headers"]["ETag"]
    click(mine.id, T0 - timedelta(days=20))  # before the range and its previous period: no figure moves
    status, _, _ = api(mine.id, query=query, headers={"If-None-Match": tag})
    assert status == 304
    click(mine.id, T0 - timedelta(days=10))  # in the previous period: the deltas move
    status, body, after = api(mine.id, query=query, headers={"If-None-Match": tag})
    assert status == 200
    assert after["headers"]["ETag"] != tag
    assert body["totals"]["clicks"] == 0 and body["previous"]["totals"]["clicks"] == 1
    states(mine.id, active=1)
    _, _, latest = api(mine.id, query=query)
    assert latest["headers"]["ETag"] != after["headers"]["ETag"]


def test_etag_differs_between_parameters(api):
    mine = new_campaign()
    play(mine.id, T0 - timedelta(hours=5), confidence=0.45, first=True)
    tags = set()
    for extra in ({}, {"min_confidence": "0.5"}, {"model": "linear"}, {"granularity": "hour"}):
        query = {**window(T0 - timedelta(days=2), T0), **extra}
        status, _, response = api(mine.id, query=query)
        assert status == 200
        tags.add(response["headers"]["ETag"])
    assert len(tags) == 4


# ------------------------------------------------------------------ series


def test_hourly_series_has_one_point_per_hour_with_zeros_filled(api):
    mine = new_campaign()
    start, end = T0, T0 + timedelta(days=2)
    play(mine.id, start, first=True)  # the first hour is in
    play(mine.id, start + timedelta(hours=5, minutes=59))
    play(mine.id, start + timedelta(hours=5, minutes=1))
    click(mine.id, start + timedelta(hours=30), authorized=True)
    play(mine.id, start - timedelta(minutes=1))  # the hour before: out
    play(mine.id, end)  # `to` is exclusive
    status, body, _ = api(mine.id, query=window(start, end, "hour"))
    assert status == 200, body
    series = body["series"]
    assert [p["t"] for p in series] == [iso(start + timedelta(hours=h)) for h in range(48)]
    by_hour = {h: p for h, p in enumerate(series)}
    assert by_hour[0]["streams"] == 1
    assert by_hour[5]["streams"] == 2
    assert by_hour[30]["clicks"] == 1
    assert by_hour[30]["authorizations"] == 1
    for h, point in by_hour.items():
        if h not in (0, 5, 30):
            assert point == {"t": point["t"], "clicks": 0, "authorizations": 0, "streams": 0.0}
    assert body["totals"]["attributed_plays"] == 3  # the range bounds the totals too (issue 15)


def test_daily_series_has_one_point_per_day_with_zeros_filled(api):
    mine = new_campaign()
    start, end = T0 - timedelta(days=30), T0
    for day in (0, 0, 13, 29):
        play(mine.id, start + timedelta(days=day, hours=23))
    play(mine.id, end + timedelta(hours=1))
    status, body, _ = api(mine.id, query=window(start, end))
    assert status == 200, body
    series = body["series"]
    assert [p["t"] for p in series] == [iso(start + timedelta(days=d)) for d in range(30)]
    assert [p["streams"] for p in series] == [2.0 if d == 0 else 1.0 if d in (13, 29) else 0.0 for d in range(30)]


def test_daily_series_leaves_out_what_is_at_or_after_to(api):
    """`to` is exclusive for day points too: a play in the hour that starts at `to` is after the range."""
    mine = new_campaign()
    start, end = T0, T0 + timedelta(days=1, hours=10)
    play(mine.id, end - timedelta(minutes=30))  # 09:30 on the last day: in
    play(mine.id, end + timedelta(minutes=30))  # 10:30: after `to`
    play(mine.id, end + timedelta(hours=5))  # 15:00: after `to`
    status, body, _ = api(mine.id, query=window(start, end))
    assert status == 200, body
    assert [p["t"] for p in body["series"]] == [iso(T0), iso(T0 + timedelta(days=1))]
    assert [p["streams"] for p in body["series"]] == [0.0, 1.0]


def test_default_ranges_start_at_the_campaign_and_end_after_now(api):
    now = datetime.now(UTC)
    made = (now - timedelta(days=12)).replace(minute=17)
    mine = new_campaign(created_at=made)
    for granularity, start, points in (
        ("day", made.replace(minute=0, second=0, microsecond=0), 13),
        ("hour", None, 48),
    ):
        status, body, _ = api(mine.id, query={"granularity": granularity})
        assert status == 200, body
        end = datetime.fromisoformat(body["to"])
        assert now < end <= now + timedelta(hours=1)
        if start is None:  # hour points: the last two days
            assert end - datetime.fromisoformat(body["from"]) == timedelta(days=2)
        else:  # day points: the campaign's start to now
            assert datetime.fromisoformat(body["from"]) == start
        assert points <= len(body["series"]) <= points + 1


def test_default_range_of_an_old_campaign_is_its_last_400_days(api):
    mine = new_campaign(created_at=datetime.now(UTC) - timedelta(days=900))
    status, body, _ = api(mine.id)
    assert status == 200, body
    assert datetime.fromisoformat(body["to"]) - datetime.fromisoformat(body["from"]) == timedelta(days=400)


def test_default_range_of_a_campaign_made_this_hour_is_that_hour(api):
    mine = new_campaign(created_at=datetime.now(UTC))
    status, body, _ = api(mine.id)
    assert status == 200, body
    assert datetime.fromisoformat(body["to"]) - datetime.fromisoformat(body["from"]) == timedelta(hours=1)


def test_series_follows_the_model(api):
    mine = new_campaign()
    credit = {"last_touch": 1.0, "first_touch": 0.0, "linear": 0.5, "time_decay": 0.25}
    play(mine.id, T0 + timedelta(hours=1), credit=credit)
    for model, share in credit.items():
        _, body, _ = api(mine.id, query=window(T0, T0 + timedelta(days=1), "hour", model=model))
        assert body["series"][1]["streams"] == share
        assert body["model"] == model


# ------------------------------------------------------------------ streams and confidence


def test_streams_follow_the_model_and_min_confidence(api):
    mine = new_campaign(model=AttributionModel.LINEAR)
    at = T0 - timedelta(days=1)
    low = {"last_touch": 1.0, "first_touch": 0.0, "linear": 0.5, "time_decay": 0.4}
    high = {"last_touch": 0.0, "first_touch": 1.0, "linear": 0.5, "time_decay": 0.6}
    play(mine.id, at, confidence=0.25, credit=low, first=True)  # bucket 2
    play(mine.id, at, confidence=0.25, credit=low)
    play(mine.id, at, confidence=0.95, credit=high)  # bucket 9

    _, body, _ = api(mine.id)  # the campaign's own model: linear
    assert body["model"] == "linear"
    assert body["totals"]["streams"] == pytest.approx(1.5)
    assert body["totals"]["weighted_streams"] == pytest.approx(0.5 * 0.25 * 2 + 0.5 * 0.95)
    assert body["totals"]["attributed_plays"] == 3
    assert body["totals"]["streams_per_listener"] == pytest.approx(1.5)

    _, body, _ = api(mine.id, query={"model": "last_touch"})
    assert body["totals"]["streams"] == pytest.approx(2.0)
    _, body, _ = api(mine.id, query={"model": "first_touch"})
    assert body["totals"]["streams"] == pytest.approx(1.0)

    _, body, _ = api(mine.id, query={"min_confidence": "0.2"})  # bucket 2 is [0.2, 0.3): still in
    assert body["totals"]["streams"] == pytest.approx(1.5)
    _, body, _ = api(mine.id, query={"min_confidence": "0.3", "model": "last_touch"})
    assert body["totals"]["streams"] == 0
    assert body["models"]["last_touch"]["streams"] == 0
    assert body["models"]["first_touch"]["streams"] == pytest.approx(1.0)
    assert body["models"]["linear"]["streams"] == pytest.approx(0.5)
    assert body["models"]["time_decay"]["weighted_streams"] == pytest.approx(0.6 * 0.95)
    assert body["totals"]["attributed_plays"] == 3  # whatever the floor
    _, body, _ = api(mine.id, query={"min_confidence": "0.9", "model": "first_touch"})
    assert body["totals"]["streams"] == pytest.approx(1.0)


def test_histogram_counts_plays_per_bucket(api):
    mine = new_campaign()
    for confidence in (0.0, 0.05, 0.1, 0.55, 0.99, 1.0):
        play(mine.id, T0 - timedelta(days=1), confidence=confidence)
    _, body, _ = api(mine.id)
    histogram = body["confidence_histogram"]
    assert len(histogram) == CONFIDENCE_BUCKETS
    assert [(b["min"], b["max"]) for b in histogram] == [
        pytest.approx((i / 10, (i + 1) / 10)) for i in range(CONFIDENCE_BUCKETS)
    ]
    assert [b["streams"] for b in histogram] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_top_tracks_and_breakdowns(api):
    mine = new_campaign()
    play(mine.id, T0 - timedelta(days=1), track=TRACK_B, first=True)
    for _ in range(2):
        play(mine.id, T0 - timedelta(days=2), track=TRACK_A)
    click(mine.id, T0 - timedelta(days=3), authorized=True)
    _, body, _ = api(mine.id)
    assert [(t["track_id"], t["streams"], t["listeners"]) for t in body["top_tracks"]] == [
        (TRACK_A, 2, 0),
        (TRACK_B, 1, 1),
    ]
    assert body["top_tracks"][0]["url"] == f"https://open.spotify.com/track/{TRACK_A}"
    assert set(body["breakdowns"]) == set(CLICK_DIMENSIONS)
    referrers = body["breakdowns"]["referrer"]
    assert [(r["value"], r["clicks"], r["authorizations"], r["streams"]) for r in referrers] == [("t.co", 1, 1, 3.0)]
    assert [r["value"] for r in body["breakdowns"]["utm_medium"]] == ["(none)"]


# ------------------------------------------------------------------ listener states


def test_listener_states_are_never_negative(api):
    mine = new_campaign()
    states(mine.id, active=2, idle=-1)
    states(mine.id, reauth_required=-3)
    _, body, _ = api(mine.id)
    assert body["listener_states"] == {"active": 2, "idle": 0, "reauth_required": 0, "not_allowlisted": 0}
    assert all(n >= 0 for n in body["listener_states"].values())


def test_listener_states_of_a_campaign_without_any_are_zero(api):
    mine = new_campaign()
    _, body, _ = api(mine.id)
    assert body["listener_states"] == {"active": 0, "idle": 0, "reauth_required": 0, "not_allowlisted": 0}
    assert body["data_quality"]["playlist_readable"] is None
    assert body["data_quality"]["last_successful_poll"] is None


# ------------------------------------------------------------------ the document


def test_the_answer_conforms_to_the_analytics_model(api):
    mine = new_campaign()
    other = new_campaign(name="Other")
    play(mine.id, T0 - timedelta(days=1), confidence=0.72, first=True)
    click(mine.id, T0 - timedelta(days=1, hours=2), authorized=True)
    click(mine.id, T0 - timedelta(days=1, hours=3))
    states(mine.id, active=1)
    status, body, response = api(mine.id, query={**window(T0 - timedelta(days=3), T0), "compare": other.id})
    assert status == 200
    assert response["headers"]["Content-Type"].startswith("application/json")
    assert response["headers"]["Cache-Control"] == "private, no-cache"
    parsed = Analytics.model_validate(body)
    assert parsed.from_ == T0 - timedelta(days=3)
    assert parsed.to == T0
    assert "from" in body and "from_" not in body
    assert parsed.totals.clicks == 2
    assert parsed.totals.authorizations == 1
    assert parsed.totals.conversion_rate == 0.5
    assert parsed.totals.listeners == 1
    assert set(parsed.models) == set(MODELS)
    assert parsed.compare[0].campaign_id == other.id
    assert parsed.model_dump(mode="json", by_alias=True) == body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "9999-12-31T22:00:00+00:00"),
        ("from", "0001-01-01T00:00:00+01:00"),
        ("to", "2101-01-01T00:00:00+00:00"),
        ("from", "1999-12-31T23:59:59+00:00"),
    ],
)
def test_dates_outside_2000_to_2100_are_a_400_naming_the_field(api, field, value):
    """Issue 13: these were 500s (OverflowError)."""
    mine = new_campaign()
    status, body, _ = api(mine.id, query={field: value})
    assert status == 400, body
    assert f"{field} must be a date between 2000-01-01 and 2100-12-31" in json.dumps(body)


def test_totals_count_suspicious_connect_and_just_play_clicks_apart(api):
    mine = new_campaign()
    click(mine.id, T0 + timedelta(hours=1))
    at = T0 + timedelta(hours=2)
    for event, counts in (
        ("s1", {"suspicious_clicks": 1}),
        ("s2", {"suspicious_clicks": 1}),
        ("c1", {"connect_clicks": 1, "consents_started": 1}),
        ("p1", {"just_play_clicks": 1}),
    ):
        with transaction() as writes:
            add_counts(writes, mine.id, at, counts, event_id=event)
    status, body, _ = api(mine.id, query=window(T0, T0 + timedelta(days=1)))
    assert status == 200, body
    totals = body["totals"]
    assert (totals["clicks"], totals["suspicious_clicks"], totals["connect_clicks"], totals["just_play_clicks"]) == (
        1,
        2,
        1,
        1,
    )


def test_fans_are_null_without_the_option_and_not_measured_is_never_zero(api):
    from soundlink.attribution import fans

    plain = new_campaign()
    assert api(plain.id)[1]["fans"] is None
    campaign = new_campaign(measure_fans=True)
    uris = fans.campaign_uris([TRACK_A], ["a" * 22], PID)
    fans.record_baseline("older-consent", campaign.id, None, T0)
    status, body, _ = api(campaign.id)
    assert status == 200
    assert body["fans"]["new_saves"] is None and body["fans"]["new_artist_followers"] is None
    assert body["fans"]["not_measured_listeners"] == 1 and body["fans"]["measured_listeners"] == 0
    fans.record_baseline("fan", campaign.id, dict.fromkeys(uris, False), T0)
    fans.record_baseline("other", campaign.id, dict.fromkeys(uris, False), T0)
    fans.record_check(
        "fan", campaign.id, {uris[0]: True, uris[1]: True}, T0 + timedelta(days=1), T0 + timedelta(days=14)
    )
    body = api(campaign.id)[1]["fans"]
    assert body == {
        "new_saves": 1,
        "new_playlist_followers": 0,
        "new_artist_followers": 1,
        "measured_listeners": 2,
        "not_measured_listeners": 1,
        "cohorts": [],  # no counted stream yet: no row
        "saved_tracks": [{"track_id": TRACK_A, "track_name": None, "people": 1}],  # no stream: no name
    }


def test_saved_tracks_most_people_first_named_from_the_range_streams(api):
    from soundlink.attribution import fans

    campaign = new_campaign(measure_fans=True)
    track_c = "z" * 22
    uris = fans.campaign_uris([TRACK_A, TRACK_B, track_c], ["a" * 22], PID)
    check_at, ends = T0 + timedelta(days=1), T0 + timedelta(days=14)
    assert api(campaign.id)[1]["fans"]["saved_tracks"] == []  # measured, nothing saved yet: an empty list
    for account, saved in (("fan1", [TRACK_A, TRACK_B]), ("fan2", [TRACK_B]), ("fan3", [track_c, TRACK_B])):
        fans.record_baseline(account, campaign.id, dict.fromkeys(uris, False), T0)
        fans.record_check(account, campaign.id, {f"spotify:track:{t}": True for t in saved}, check_at, ends)
    play(campaign.id, T0 + timedelta(hours=5), track=TRACK_B)  # labels TRACK_B "Song" on its day
    body = api(campaign.id, query=window(T0, T0 + timedelta(days=2)))[1]["fans"]
    assert body["new_saves"] == 3
    assert body["saved_tracks"] == [
        {"track_id": TRACK_B, "track_name": "Song", "people": 3},
        {"track_id": TRACK_A, "track_name": None, "people": 1},  # ties: named first, then by id
        {"track_id": track_c, "track_name": None, "people": 1},
    ]
    # a range without that stream has no name for it; the counts are the campaign's, whatever the range
    later = api(campaign.id, query=window(T0 + timedelta(days=3), T0 + timedelta(days=4)))[1]["fans"]
    assert later["saved_tracks"][0] == {"track_id": TRACK_B, "track_name": None, "people": 3}


def test_cohorts_come_for_every_campaign_and_inside_fans_when_measured(api):
    rows = {"ALL": 5, "W1": 4, "W2": 2, "W3": 9}  # W3: past a 14-day window's two weeks, not shown
    for measured in (False, True):
        campaign = new_campaign(measure_fans=measured)
        with transaction() as writes:
            for which, n in rows.items():
                add_to(writes, campaign.id, f"COHORT#2026-02-23#{which}#{shard_of(which)}", {"listeners": n})
            add_to(writes, campaign.id, "COHORT#2026-03-02#W2#0", {"listeners": 1})
            add_to(writes, campaign.id, "COHORT#2026-03-02#W2#5", {"listeners": 1})
        status, body, _ = api(campaign.id)
        assert status == 200, body
        assert body["cohorts"] == [
            {"week_start": "2026-02-23", "listeners": 5, "returned": [4, 2]},
            {"week_start": "2026-03-02", "listeners": 0, "returned": [0, 2]},  # shards summed
        ]
        assert (body["fans"] or {}).get("cohorts") == (body["cohorts"] if measured else None)
