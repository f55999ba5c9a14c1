"""GET /campaigns as a comparison table: each campaign's page figures, cost per stream and a
7-day sparkline, read from counters in BatchGetItem calls whose number depends on campaigns only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soundlink.attribution.rules import MODELS
from tests.handlers.test_analytics_api import click, play
from tests.handlers.test_campaigns_api import api, create  # noqa: F401 (fixture)


def listed(api):  # noqa: F811
    status, body, _ = api("GET", "/campaigns")
    assert status == 200, body
    return {item["id"]: item for item in body["campaigns"]}


def test_the_list_shows_the_campaign_pages_figures_and_cost_per_stream(api):  # noqa: F811
    campaign = create(api, spend={"currency": "EUR", "total": "3.00"})
    now = datetime.now(UTC)
    for n in range(4):
        click(campaign["id"], now - timedelta(minutes=n + 1), authorized=n == 0)
    play(campaign["id"], now - timedelta(days=2), confidence=0.5, first=True)
    play(campaign["id"], now - timedelta(minutes=1), confidence=1.0)
    play(campaign["id"], now - timedelta(days=9), confidence=1.0)  # before the sparkline's week
    headline = listed(api)[campaign["id"]]["headline"]
    assert headline["clicks"] == 4
    assert headline["authorizations"] == 1
    assert headline["connect_rate"] == 0.25
    assert headline["weighted_streams"] == 2.5  # 0.5 + 1 + 1
    assert headline["streams"] == 3
    assert (headline["listeners"], headline["new_listeners"]) == (1, 1)
    # The whole campaign's spend over its weighted streams: 3.00 / 2.5.
    assert (headline["cost_currency"], headline["cost_per_weighted_stream"]) == ("EUR", "1.2000")
    assert headline["last_7_days"] == [0, 0, 0, 0, 1, 0, 1]  # oldest first, today last


def test_no_click_and_no_spend_are_null_not_zero(api):  # noqa: F811
    campaign = create(api)
    headline = listed(api)[campaign["id"]]["headline"]
    assert headline["connect_rate"] is None
    assert headline["cost_per_weighted_stream"] is None and headline["cost_currency"] is None
    assert headline["last_7_days"] == [0] * 7


def test_a_spend_with_no_stream_yet_has_no_cost_per_stream(api):  # noqa: F811
    campaign = create(api, spend={"currency": "EUR", "per_day": "5"})
    headline = listed(api)[campaign["id"]]["headline"]
    assert (headline["cost_currency"], headline["cost_per_weighted_stream"]) == ("EUR", None)


def test_the_playlist_name_is_on_the_list(api, monkeypatch):  # noqa: F811
    import campaigns.playlist_check as module
    from soundlink.attribution.playlist_check import PlaylistCheck

    monkeypatch.setattr(
        module, "check", lambda pid, owner: PlaylistCheck(pid, True, name="Spring Songs", read_with="owner")
    )
    campaign = create(api)
    assert listed(api)[campaign["id"]]["playlist_name"] == "Spring Songs"


def test_reads_stay_flat_as_plays_grow(api, dynamodb_calls):  # noqa: F811
    few, many = create(api), create(api)
    now = datetime.now(UTC)
    play(few["id"], now - timedelta(hours=1))
    for n in range(40):
        play(many["id"], now - timedelta(hours=n, minutes=n), credit=dict.fromkeys(MODELS, 1.0), first=n % 3 == 0)
        click(many["id"], now - timedelta(hours=n))
    dynamodb_calls.clear()
    listed(api)
    # The campaigns page (one Query), counters by BatchGetItem however many plays (2 x 64 keys: 8 TOTAL and
    # 7 x 8 DAY shards each = 2 calls), and one GetItem for the app's count of followed listeners.
    assert sorted(dynamodb_calls) == ["BatchGetItem"] * 2 + ["GetItem", "Query"]


def test_the_list_names_development_modes_ceiling(api, monkeypatch):  # noqa: F811
    from soundlink.listeners import followed
    from soundlink.platform.settings import get_settings

    for account in ("a", "b", "c", "a"):
        followed.count(account, datetime.now(UTC))
    _, body, _ = api("GET", "/campaigns")
    assert body["spotify"] == {"extended_quota": False, "listener_ceiling": 5, "listeners_followed": 3}
    monkeypatch.setenv("SPOTIFY_EXTENDED_QUOTA", "true")
    get_settings.cache_clear()
    _, body, _ = api("GET", "/campaigns")
    assert body["spotify"] == {"extended_quota": True, "listener_ceiling": None, "listeners_followed": 3}


def test_followed_accounts_are_counted_once_and_forgotten_once(tables):
    from soundlink.listeners import followed

    now = datetime.now(UTC)
    assert followed.followed() == 0
    assert followed.count("acct", now) is True
    assert followed.count("acct", now) is False  # a reconnect of a known account
    assert followed.count("other", now) is True
    assert followed.followed() == 2
    assert followed.forget("acct") is True
    assert followed.forget("acct") is False  # a deletion run again
    assert followed.forget("never") is False
    assert followed.followed() == 1
