"""platform/counters.py without DynamoDB: shards, sort keys, what one update adds and sets, the Tally."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pynamodb.expressions.update import AddAction, SetAction

from soundlink.platform import counters
from soundlink.platform.counters import Tally, add_counts, add_to, counter_sort_keys, counter_update, hour_of, shard_of

EVENING_IN_NEW_YORK = datetime(2026, 12, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 04:30 UTC, Dec 3


class Recorder:
    """The part of a PynamoDB TransactWrite that counters use."""

    def __init__(self) -> None:
        self.updates: list[tuple[object, list]] = []

    def update(self, item, actions) -> None:
        self.updates.append((item, actions))


def described(actions: list) -> dict[str, tuple[str, object]]:
    """attribute -> ("ADD" | "SET", value) of each update action."""
    out = {}
    for action in actions:
        names, values = {}, {}
        action.serialize(names, values)
        assert isinstance(action, AddAction | SetAction), action
        (name,) = names
        (value,) = values.values()
        out[name] = ("ADD" if isinstance(action, AddAction) else "SET", next(iter(value.values())))
    return out


def test_an_event_always_lands_on_the_same_shard_across_releases() -> None:
    # Pinned: a redeployment must not move an event's counters to another shard.
    assert [shard_of(event) for event in ("click-1", "click-2", "play-abc", "", "x")] == [2, 3, 1, 2, 2]
    assert {shard_of(f"event-{n}") for n in range(200)} == set(range(counters.COUNTER_SHARDS))


@pytest.fixture
def machine_in_new_york(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_hours_and_days_are_utc_whatever_the_event_or_machine_zone(machine_in_new_york) -> None:
    assert hour_of(EVENING_IN_NEW_YORK) == "2026-12-03T04"
    keys = counter_sort_keys(EVENING_IN_NEW_YORK, {}, 3)
    assert keys == ["TOTAL#3", "HOUR#2026-12-03T04#3", "DAY#2026-12-03#3"]


def test_dimensions_are_keyed_in_order_and_an_empty_value_is_none() -> None:
    at = datetime(2026, 12, 2, 12, tzinfo=UTC)
    keys = counter_sort_keys(at, {"country": "DE", "referrer": "", "not_a_dimension": "x"}, 1)
    assert keys[3:] == ["DAY#2026-12-02#DIM#referrer#(none)#1", "DAY#2026-12-02#DIM#country#DE#1"]


def test_add_to_adds_counts_sets_labels_and_says_how_many_items_it_wrote() -> None:
    writes = Recorder()
    assert add_to(writes, "c1", "TRACK#t1#0", {"streams": 2, "listeners": 0}, labels={"track_name": "Song"}) == 1
    ((item, actions),) = writes.updates
    assert (item.pk, item.sk) == ("CAMPAIGN#c1", "TRACK#t1#0")
    assert described(actions) == {"streams": ("ADD", "2"), "track_name": ("SET", "Song")}
    # Nothing to add or set: no item, and 0 written.
    assert add_to(writes, "c1", "TOTAL#0", {"streams": 0}, labels={"track_name": ""}) == 0
    assert len(writes.updates) == 1


def test_add_counts_writes_total_hour_day_each_dimension_and_each_also() -> None:
    writes = Recorder()
    at = datetime(2026, 12, 2, 12, tzinfo=UTC)
    written = add_counts(writes, "c1", at, {"clicks": 1}, event_id="x", dimensions={"country": "DE"}, also=["CONF#9"])
    shard = shard_of("x")
    assert written == 5 == len(writes.updates)
    assert [item.sk for item, _ in writes.updates] == [
        f"TOTAL#{shard}",
        f"HOUR#2026-12-02T12#{shard}",
        f"DAY#2026-12-02#{shard}",
        f"DAY#2026-12-02#DIM#country#DE#{shard}",
        f"DAY#2026-12-02#CONF#9#{shard}",
    ]


@pytest.mark.parametrize(
    "add",
    [
        lambda counts: counter_update("c", "TOTAL#0", counts),
        lambda counts: Tally().add("c", "TOTAL#0", counts),
    ],
    ids=["counter_update", "Tally.add"],
)
def test_an_unknown_counter_is_refused_by_name(add) -> None:
    with pytest.raises(ValueError, match=r"unknown counters: \['clickz'\]"):
        add({"clicks": 1, "clickz": 1})


def test_a_tally_sums_by_item_and_keeps_each_items_labels() -> None:
    tally = Tally()
    tally.add("c1", "TRACK#t1#0", {"streams": 1, "listeners": 1}, labels={"track_name": "One"})
    tally.add("c1", "TRACK#t1#0", {"streams": 2})
    tally.add("c1", "TRACK#t2#0", {"streams": 1}, labels={"track_name": "Two"})
    tally.add("c2", "TRACK#t1#0", {"streams": 0})  # sums to nothing: no update
    updates = {(item.pk, item.sk): described(actions) for item, actions in tally.updates()}
    assert updates == {
        ("CAMPAIGN#c1", "TRACK#t1#0"): {
            "listeners": ("ADD", "1"),
            "streams": ("ADD", "3"),
            "track_name": ("SET", "One"),
        },
        ("CAMPAIGN#c1", "TRACK#t2#0"): {"streams": ("ADD", "1"), "track_name": ("SET", "Two")},
    }
