"""Plays that arrive together (one SQS batch) are written together: the same attributions and
counters as one play at a time, in fewer transaction items, and a redelivered batch costs reads."""

from __future__ import annotations

import importlib
import json
import random
import sys
from datetime import timedelta

import botocore.client
import pytest

from soundlink.attribution.service import Attributor, Outcome
from soundlink.attribution.writer import MAX_ITEMS
from tests.handlers.test_attribution_service import (
    PLAYLIST_1,
    PLAYLIST_2,
    PLAYLISTS,
    T0,
    TRACK_IN,
    TRACK_IN_2,
    TRACK_OUT,
    FakePlaylists,
    attributions,
    campaign,
    counters,
    guards,
    link,
    message,
)
from tests.support.events import FakeContext

# Events on fixed past days, counted as if as they happened (no late writes: test_rollups.py).
pytestmark = pytest.mark.usefixtures("writes_on_time")

TRACKS = [f"{i:022d}" for i in range(30)]


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, dict]]:
    seen: list[tuple[str, dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        seen.append((operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return seen


def transactions(calls: list[tuple[str, dict]]) -> list[list[dict]]:
    return [params["TransactItems"] for operation, params in calls if operation == "TransactWriteItems"]


def twin_world(name: str, *, campaigns: int = 1):
    made = [campaign(f"{name}-{i}", "owner-a", PLAYLIST_2) for i in range(campaigns)]
    account = f"listener-{name}"
    for value in made:
        link(account, value, first=T0)
    return account, made


def test_ten_plays_together_count_what_ten_plays_one_by_one_count_in_one_transaction(tables, calls):
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    plays = {}
    for name in ("alone", "together"):
        account, _ = twin_world(name)
        # Ten plays over two hours, three tracks repeated: hours, tracks and listeners to sum.
        plays[name] = [message(account, T0 + timedelta(minutes=13 * i + 1), TRACKS[i % 3]) for i in range(10)]
    for play in plays["alone"]:
        assert attributor.attribute(play) == Outcome("attributed", 1)
    calls.clear()
    together = attributor.attribute_all(plays["together"])
    assert together == [Outcome("attributed", 1)] * 10
    written = transactions(calls)
    assert len(written) == 1
    summed = counters(tables, "together-0")
    # 10 guards + 10 attributions + the link + each counter item once (one shard for the batch):
    # TOTAL, 2 HOUR, DAY, 8 DIM, CONF and MODEL per confidence bucket, 3 TRACK.
    assert len(written[0]) == 10 + 10 + 1 + len(summed)
    assert len([key for key in summed if key.startswith("HOUR#")]) == 2
    assert 2 * len(written[0]) / 10 <= 12  # write units per play, against 40 one at a time
    assert summed == counters(tables, "alone-0")
    assert counters(tables, "together-0")["TOTAL"]["listeners"] == 1
    assert {k: v["listeners"] for k, v in counters(tables, "together-0").items() if k.startswith("TRACK#")} == {
        f"TRACK#{TRACKS[0]}": 1,
        f"TRACK#{TRACKS[1]}": 1,
        f"TRACK#{TRACKS[2]}": 1,
    }
    assert len(attributions(tables, "together-0")) == 10


def test_a_redelivered_batch_costs_reads_and_no_transaction(tables, calls):
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    account, _ = twin_world("again")
    plays = [message(account, T0 + timedelta(minutes=i + 1), TRACKS[i]) for i in range(10)]
    assert attributor.attribute_all(plays) == [Outcome("attributed", 1)] * 10
    before = counters(tables, "again-0")
    calls.clear()
    assert attributor.attribute_all(list(reversed(plays))) == [Outcome("duplicate")] * 10
    assert transactions(calls) == []
    assert {operation for operation, _ in calls} <= {"Query", "GetItem", "BatchGetItem"}
    assert counters(tables, "again-0") == before


def test_a_batch_mixing_written_and_new_plays_writes_only_the_new_ones(tables, calls):
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    reference, _ = twin_world("reference")
    mixed, _ = twin_world("mixed")
    moments = [T0 + timedelta(minutes=7 * i + 1) for i in range(8)]
    for at, track in zip(moments, TRACKS, strict=False):
        attributor.attribute(message(reference, at, track))
    for at, track in zip(moments[:3], TRACKS, strict=False):  # three of them delivered before
        attributor.attribute(message(mixed, at, track))
    batch = [message(mixed, at, track) for at, track in zip(moments, TRACKS, strict=False)]
    random.Random(3).shuffle(batch)  # noqa: S311 - an order, not a secret
    outcomes = attributor.attribute_all(batch)
    assert sorted(o.result for o in outcomes) == ["attributed"] * 5 + ["duplicate"] * 3
    assert counters(tables, "mixed-0") == counters(tables, "reference-0")


def test_a_guard_written_between_the_read_and_the_transaction_drops_only_that_play(tables, monkeypatch):
    """A concurrent delivery wrote one play after the guards were read: the transaction is refused on
    its guard, and the others are written again without it (counted once, not lost)."""
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    reference, _ = twin_world("ref-race")
    racing, _ = twin_world("race")
    moments = [T0 + timedelta(minutes=5 * i + 1) for i in range(4)]
    for at, track in zip(moments, TRACKS, strict=False):
        attributor.attribute(message(reference, at, track))
    from soundlink.attribution import service

    real = service.Attributor._not_yet_written
    monkeypatch.setattr(service.Attributor, "_not_yet_written", staticmethod(lambda owner, entries: entries))
    assert attributor.attribute(message(racing, moments[2], TRACKS[2])) == Outcome("attributed", 1)
    outcomes = attributor.attribute_all(
        [message(racing, at, track) for at, track in zip(moments, TRACKS, strict=False)]
    )
    monkeypatch.setattr(service.Attributor, "_not_yet_written", real)
    assert [o.result for o in outcomes] == ["attributed", "attributed", "duplicate", "attributed"]
    assert counters(tables, "race-0") == counters(tables, "ref-race-0")


def test_a_group_past_100_items_is_split_and_still_counts_exactly(tables, calls):
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    reference, _ = twin_world("big-ref", campaigns=3)
    big, _ = twin_world("big", campaigns=3)
    moments = [T0 + timedelta(minutes=3 * i + 1) for i in range(30)]
    for at, track in zip(moments, TRACKS, strict=True):
        attributor.attribute(message(reference, at, track))
    calls.clear()
    outcomes = attributor.attribute_all([message(big, at, track) for at, track in zip(moments, TRACKS, strict=True)])
    assert outcomes == [Outcome("attributed", 3)] * 30
    written = transactions(calls)
    assert len(written) > 1 and all(len(items) <= MAX_ITEMS for items in written)
    for i in range(3):
        assert counters(tables, f"big-{i}") == counters(tables, f"big-ref-{i}")
    assert len(guards(tables)) == 60


def test_a_play_credited_to_five_campaigns_fits_one_transaction(tables, calls):
    """One play, five campaigns: 98 items. The per-day counters replaced the whole-campaign dimension,
    track, model and confidence counters one for one (88 items, as before them); the listener's first
    counted week adds two cohort counters per campaign (COHORT#{monday}#ALL and #W1): 10 more."""
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    account, _ = twin_world("five", campaigns=5)
    calls.clear()
    assert attributor.attribute_all([message(account, T0 + timedelta(minutes=1), TRACKS[0])]) == [
        Outcome("attributed", 5)
    ]
    written = transactions(calls)
    assert [len(items) for items in written] == [98]


def test_a_late_play_of_five_campaigns_marks_each_roll_up_and_still_counts_exactly(tables, calls, monkeypatch):
    """A play reported months late: each campaign's ROLLUP#{day} learns of it in the play's own
    transactions (98 + 5 items: split by campaign, the guard in the last part), counted once."""
    from soundlink.platform import counters as counter_module
    from tests.handlers.conftest import LATE_AFTER

    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    reference, _ = twin_world("on-time", campaigns=5)
    attributor.attribute(message(reference, T0 + timedelta(minutes=1), TRACKS[0]))
    monkeypatch.setattr(counter_module, "LATE_AFTER", LATE_AFTER)
    account, _ = twin_world("months-late", campaigns=5)
    calls.clear()
    late = message(account, T0 + timedelta(minutes=1), TRACKS[0])
    assert attributor.attribute_all([late]) == [Outcome("attributed", 5)]
    written = transactions(calls)
    assert len(written) > 1 and all(len(items) <= MAX_ITEMS for items in written)
    marks = [
        part["Update"]["Key"]
        for items in written
        for part in items
        if "Update" in part and part["Update"]["Key"]["sk"]["S"].startswith("ROLLUP#")
    ]
    day = T0.strftime("%Y-%m-%d")
    assert sorted(key["pk"]["S"] for key in marks) == [f"CAMPAIGN#months-late-{i}" for i in range(5)]
    assert {key["sk"]["S"] for key in marks} == {f"ROLLUP#{day}"}
    assert attributor.attribute_all([late]) == [Outcome("duplicate", 0)]  # redelivered: nothing moves
    for i in range(5):
        assert counters(tables, f"months-late-{i}") == counters(tables, f"on-time-{i}")


def test_plays_of_five_campaigns_over_midnight_split_under_100_items_and_count_exactly(tables, calls):
    """Plays on two UTC days move twice the day-scoped counters: the groups split, the counts stay exact."""
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_2: frozenset(TRACKS)}))
    reference, _ = twin_world("midnight-ref", campaigns=5)
    late, _ = twin_world("midnight", campaigns=5)
    midnight = T0.replace(hour=0, minute=0) + timedelta(days=1)
    moments = [midnight + timedelta(minutes=10 * i - 25) for i in range(6)]  # 23:35 .. 00:25
    for at, track in zip(moments, TRACKS, strict=False):
        attributor.attribute(message(reference, at, track))
    calls.clear()
    outcomes = attributor.attribute_all([message(late, at, track) for at, track in zip(moments, TRACKS, strict=False)])
    assert outcomes == [Outcome("attributed", 5)] * 6
    written = transactions(calls)
    assert len(written) > 1 and all(len(items) <= MAX_ITEMS for items in written)
    for i in range(5):
        mine, theirs = counters(tables, f"midnight-{i}"), counters(tables, f"midnight-ref-{i}")
        assert mine == theirs
        assert sum(1 for name in mine if name.startswith("DAY#")) == 2


def test_plays_of_several_listeners_and_owners_in_one_batch(tables):
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    a = campaign("multi-a", "owner-a", PLAYLIST_1)
    b = campaign("multi-b", "owner-b", PLAYLIST_2)
    for account in ("l1", "l2"):
        link(account, a, first=T0)
        link(account, b, first=T0)
    batch = [
        message("l1", T0 + timedelta(minutes=1), TRACK_IN),  # both owners
        message("l2", T0 + timedelta(minutes=2), TRACK_IN_2),  # owner-b only
        message("l1", T0 + timedelta(minutes=3), TRACK_OUT),  # nobody
        message("nobody", T0 + timedelta(minutes=4), TRACK_IN),  # no links
    ]
    assert attributor.attribute_all(batch) == [
        Outcome("attributed", 2),
        Outcome("attributed", 1),
        Outcome("not_attributed"),
        Outcome("gone"),
    ]
    assert counters(tables, "multi-a")["TOTAL"] == pytest.approx(
        {"attributed_plays": 1, "listeners": 1, "new_listeners": 1, **counters(tables, "multi-a")["TOTAL"]}
    )
    assert counters(tables, "multi-b")["TOTAL"]["listeners"] == 2


def test_the_handler_fails_only_the_records_that_failed(tables, monkeypatch):
    monkeypatch.setenv("DATA_TABLE", tables["DataTable"])
    monkeypatch.setenv("EVENTS_TABLE", tables["EventsTable"])
    monkeypatch.setenv("STATS_TABLE", tables["StatsTable"])
    from soundlink.platform.settings import get_settings

    get_settings.cache_clear()
    name = "attribute.app"
    attribute_app = importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)
    value = campaign("handler-a", "owner-a", PLAYLIST_1)
    link("h1", value, first=T0)
    monkeypatch.setattr(attribute_app, "attributor", Attributor(playlists=FakePlaylists(PLAYLISTS)))
    good = {
        "account_id": "h1",
        "played_at": (T0 + timedelta(minutes=1)).isoformat(),
        "track_id": TRACK_IN,
        "track_name": "Song",
        "artists": ["A"],
        "context_uri": None,
    }
    records = [
        {"messageId": "good", "body": json.dumps(good), "attributes": {}, "eventSource": "aws:sqs"},
        {"messageId": "bad", "body": "{not json", "attributes": {}, "eventSource": "aws:sqs"},
    ]
    answer = attribute_app.handler({"Records": records}, FakeContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(attributions(tables, "handler-a")) == 1
