"""Who came back: cohort markers written with the attributed plays, exactly once, and the
cohort table analytics read from their counters (never from the listeners or plays)."""

from __future__ import annotations

import random
from datetime import timedelta

import botocore.client
from botocore.exceptions import ClientError

from soundlink.analytics.report import cohorts_of
from soundlink.attribution.service import Attributor, Outcome
from soundlink.attribution.writer import MAX_ITEMS
from soundlink.platform.tables import ListenerLinkItem
from tests.handlers.test_attribution_service import (
    PLAYLIST_2,
    PLAYLISTS,
    T0,
    TRACK_IN,
    FakePlaylists,
    attributions,
    campaign,
    counters,
    guards,
    link,
    message,
)

MS = timedelta(milliseconds=1)
DAY = timedelta(days=1)


def table(campaign_id: str, window_days: int = 14) -> list[tuple[str, int, list[int]]]:
    return [(row.week_start, row.listeners, row.returned) for row in cohorts_of(campaign_id, window_days)]


def test_the_cohort_table_matches_one_computed_by_hand_and_redelivery_changes_nothing(tables):
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    value = campaign("cohort", window_days=14)
    # T0 is Sunday 2026-03-01: its week starts Monday 2026-02-23; a click a day later is in the next week.
    link("a", value, first=T0)
    link("b", value, first=T0)
    link("c", value, first=T0)
    link("d", value, first=T0 + DAY)
    link("e", value, first=T0 + DAY)  # connected, never streamed: in no row
    link("f", value, first=T0, last=T0 + 10 * DAY)  # a re-click stretches the window to day 24
    plays = [
        message("a", T0 + timedelta(hours=1)),  # week 1
        message("a", T0 + 2 * DAY),  # week 1 again: counted once
        message("a", T0 + 8 * DAY),  # week 2
        message("b", T0 + 7 * DAY),  # exactly 7 days after the click: still week 1
        message("c", T0 + 7 * DAY + MS),  # week 2 only
        message("d", T0 + DAY + timedelta(hours=1)),  # week 1 of the next cohort
        message("d", T0 + 14 * DAY),  # 13 days after d's click: week 2
        message("f", T0 + 3 * DAY),  # week 1
        message("f", T0 + 20 * DAY),  # attributed (the re-click's window) but past the table's two weeks
    ]
    outcomes = attributor.attribute_all(plays)
    assert [o.result for o in outcomes] == ["attributed"] * len(plays)
    expected = [("2026-02-23", 4, [3, 2]), ("2026-03-02", 1, [1, 1])]
    assert table("cohort") == expected
    rows = attributions(tables, "cohort")
    assert [a.get("week_after_click") for a in rows].count(None) == 1  # f's play on day 20: past the table

    shuffled = plays * 3
    random.Random(17).shuffle(shuffled)  # noqa: S311 - an order, not a secret
    for play in shuffled[:9]:
        attributor.attribute(play)  # one at a time
    attributor.attribute_all(shuffled[9:])  # and the rest together
    assert table("cohort") == expected
    weeks = {(a["listener_key"], a["played_at"]): (a.get("cohort_week"), a.get("week_after_click")) for a in rows}
    assert set(weeks.values()) == {
        ("2026-02-23", 1),
        ("2026-02-23", 2),
        ("2026-02-23", None),
        ("2026-03-02", 1),
        ("2026-03-02", 2),
    }
    marker = ListenerLinkItem.get(*ListenerLinkItem.key("a", "cohort"))
    assert marker.cohort_weeks == {1, 2}
    assert ListenerLinkItem.get(*ListenerLinkItem.key("f", "cohort")).cohort_weeks == {1}


def test_a_play_before_the_click_or_past_the_window_counts_no_week(tables):
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    value = campaign("cohort-edges", window_days=14)
    link("edge", value, first=T0)
    assert attributor.attribute(message("edge", T0)) == Outcome("no_open_window")
    assert attributor.attribute(message("edge", T0 + 14 * DAY + MS)) == Outcome("no_open_window")
    assert table("cohort-edges") == []
    assert attributor.attribute(message("edge", T0 + 14 * DAY)).result == "attributed"  # the window's last moment
    assert table("cohort-edges") == [("2026-02-23", 1, [0, 1])]


def test_the_table_is_as_wide_as_the_window_reaches(tables):
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    value = campaign("cohort-wide", window_days=15)
    link("wide", value, first=T0)
    attributor.attribute(message("wide", T0 + 15 * DAY))  # day 15: week 3 of a 15-day window
    assert table("cohort-wide", 15) == [("2026-02-23", 1, [0, 0, 1])]
    assert table("cohort-wide", 14) == [("2026-02-23", 1, [0, 0])]  # a narrower reading drops what it cannot show


def test_cohort_counters_stay_flat_as_plays_grow(tables):
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    value = campaign("cohort-flat", window_days=14)
    for i in range(3):
        link(f"flat-{i}", value, first=T0)
    attributor.attribute_all([message(f"flat-{i}", T0 + timedelta(hours=h + 1)) for i in range(3) for h in range(40)])
    names = {name for name in counters(tables, "cohort-flat") if name.startswith("COHORT#")}
    assert names == {"COHORT#2026-02-23#ALL", "COHORT#2026-02-23#W1"}  # not one per listener or play
    assert table("cohort-flat") == [("2026-02-23", 3, [3, 0])]


def five_campaigns(name: str) -> str:
    account = f"listener-{name}"
    for i in range(5):
        link(account, campaign(f"{name}-{i}", "owner-a", PLAYLIST_2, window_days=14), first=T0)
    return account


def test_a_play_credited_to_five_campaigns_at_once_fits_under_100_items_and_counts_once(
    tables, transactions, writes_on_time
):
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset({TRACK_IN})}))
    account = five_campaigns("five")
    play = message(account, T0 + timedelta(minutes=5))
    transactions.clear()
    assert attributor.attribute(play) == Outcome("attributed", 5)
    # The most a play can touch: 1 guard + 5 x (attribution, link, TOTAL, HOUR, DAY, 8 DIM, CONF, TRACK,
    # MODEL linear and time_decay, 2 COHORT) + the one campaign each of last and first touch credit = 98.
    assert [len(items) for items in transactions] == [98]
    assert all(len(items) <= MAX_ITEMS for items in transactions)
    assert len(guards(tables)) == 1
    for i in range(5):
        assert table(f"five-{i}") == [("2026-02-23", 1, [1, 0])]
        assert counters(tables, f"five-{i}")["TOTAL"]["listeners"] == 1
    before = {i: counters(tables, f"five-{i}") for i in range(5)}
    transactions.clear()
    assert attributor.attribute(play) == Outcome("duplicate")
    assert transactions == []
    assert {i: counters(tables, f"five-{i}") for i in range(5)} == before


def test_a_play_split_by_campaign_and_interrupted_between_its_parts_completes_exactly_once(tables, monkeypatch):
    # Under today's rules a play fits (98 items, above); a lower limit forces the split a sixth
    # campaign or a ninth click dimension would need.
    monkeypatch.setattr("soundlink.attribution.writer.MAX_ITEMS", 60)
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset({TRACK_IN})}))
    reference = five_campaigns("split-ref")
    account = five_campaigns("split")
    at = T0 + timedelta(minutes=5)
    attributor.attribute(message(reference, at))
    original = botocore.client.BaseClient._make_api_call
    seen = []

    def second_fails(self, operation_name, api_params):
        if operation_name == "TransactWriteItems":
            seen.append(api_params)
            if len(seen) >= 2:  # every try of the second part (a client may retry a 5xx)
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "lost"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", second_fails)
    [failed] = attributor.attribute_all([message(account, at)])
    assert isinstance(failed, Exception)  # SQS delivers it again
    assert len(seen[0]["TransactItems"]) <= 60 and len(guards(tables)) == 1  # the first part went, without a guard
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    again = attributor.attribute(message(account, at))
    assert again.result == "attributed" and 0 < again.campaigns < 5  # only the part not written before
    assert attributor.attribute(message(account, at)) == Outcome("duplicate")
    for i in range(5):
        assert counters(tables, f"split-{i}") == counters(tables, f"split-ref-{i}")


def test_a_week_marked_between_the_read_and_the_write_is_not_counted_again(tables, monkeypatch):
    from soundlink.attribution import service
    from soundlink.listeners.links import links_of

    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    value = campaign("cohort-race", window_days=14)
    link("racer", value, first=T0)
    attributor.attribute(message("racer", T0 + timedelta(hours=1)))  # week 1 marked, first attribution set
    stale = links_of("racer")
    attributor.attribute(message("racer", T0 + 8 * DAY))  # week 2 marked meanwhile
    reads = iter([stale])
    monkeypatch.setattr(service, "links_of", lambda account: next(reads, None) or links_of(account))
    # Another play of week 2, planned from the read taken before week 2 was marked.
    assert attributor.attribute(message("racer", T0 + 9 * DAY)).result == "attributed"
    assert table("cohort-race") == [("2026-02-23", 1, [1, 1])]
