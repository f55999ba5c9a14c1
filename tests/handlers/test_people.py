"""People in a date range: each campaign's per-UTC-day listener sketches (platform/people.py),
written by attribution before its transaction and merged by analytics over a range's days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from soundlink.analytics.ranges import read_range
from soundlink.analytics.report import totals_of
from soundlink.attribution import service as attribution_service
from soundlink.attribution.service import Attributor, Outcome, listener_key
from soundlink.platform import people
from soundlink.platform.counters import campaign_key
from soundlink.platform.tables import AttributionItem, CounterItem, PeopleSketchItem
from tests.handlers.test_attribution_service import PLAYLISTS, T0, FakePlaylists, campaign, link, message


def _ids(n: int, prefix: str = "person") -> list[str]:
    return [f"{prefix}-{i}" for i in range(n)]


def _sketch(ids: list[str]) -> bytes:
    serialized = people.with_people(None, ids)
    assert serialized is not None
    return serialized


def _stored(campaign_id: str, day: str) -> PeopleSketchItem | None:
    try:
        return PeopleSketchItem.get(campaign_key(campaign_id), people.sort_key(day), consistent_read=True)
    except PeopleSketchItem.DoesNotExist:
        return None


def _listeners(campaign_id: str, start, end, *, whole: bool = False) -> tuple[int, bool]:
    totals, _ = totals_of(read_range(campaign_id, start, end), model="last_touch", min_confidence=0.0, whole=whole)
    return totals.listeners, totals.listeners_about


# ------------------------------------------------------------------ the sketch itself


def test_small_sets_are_counted_exactly_and_days_merge_as_a_union():
    monday, tuesday = _sketch(["a", "b", "c"]), _sketch(["b", "c", "d"])
    assert people.merged([monday]) == people.People(3, about=False)
    assert people.merged([monday, tuesday]) == people.People(4, about=False)  # b and c once
    assert people.merged([monday, monday, monday]) == people.People(3, about=False)
    assert people.merged([]) == people.People(0, about=False)
    assert people.merged([b""]) == people.People(0, about=False)  # an item without a sketch


def test_adding_someone_already_in_the_sketch_changes_nothing():
    sketch = _sketch(["a", "b"])
    assert people.with_people(sketch, ["a"]) is None
    assert people.with_people(sketch, ["b", "a", "b"]) is None
    assert people.with_people(sketch, []) is None
    grown = people.with_people(sketch, ["a", "c"])
    assert grown is not None and people.merged([grown]) == people.People(3, about=False)


def test_a_few_hundred_people_are_exact_and_more_are_an_estimate():
    exact = _sketch(_ids(380))
    assert people.merged([exact]) == people.People(380, about=False)
    one_more = people.with_people(exact, ["person-380"])
    assert one_more is not None and people.merged([one_more]).count == 381
    estimated = people.merged([_sketch(_ids(1000))])
    assert estimated.about is True


def test_a_large_union_is_within_the_stated_error():
    # 30 days of 2,000 people each, half of them back the next day: 30,500 distinct people.
    days = [_sketch([f"p{i}" for i in range(1000 * d, 1000 * d + 2000)]) for d in range(30)]
    reached = people.merged(days)
    assert reached.about is True
    assert abs(reached.count - 31_000) <= 3 * people.RELATIVE_ERROR * 31_000  # three standard deviations
    assert people.merged(days[:1]).count == pytest.approx(2000, rel=3 * people.RELATIVE_ERROR)


def test_the_stated_error_is_the_library_s():
    from datasketches import hll_sketch

    assert abs(hll_sketch.get_rel_err(True, True, people.LG_K, 1)) == pytest.approx(people.RELATIVE_ERROR, abs=1e-4)
    assert len(_sketch(_ids(50_000))) < 2200  # one item stays ~2 KB (3 write units) however busy the day


def test_only_day_people_keys_are_people_keys():
    assert people.is_people_key("DAY#2026-03-01#PEOPLE")
    assert not people.is_people_key("DAY#2026-03-01#3")
    assert not people.is_people_key("DAY#2026-03-01#TRACK#PEOPLE#3")
    assert not people.is_people_key("HOUR#2026-03-01T10#PEOPLE")


# ------------------------------------------------------------------ written by attribution


def test_a_listener_on_three_days_counts_once_in_a_range_and_in_each_of_its_days(tables):
    value = campaign("c1")
    link("acct-1", value, first=T0)
    link("acct-2", value, first=T0)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    for day in range(3):
        assert attributor.attribute(message("acct-1", T0 + timedelta(days=day, hours=1))).result == "attributed"
    assert attributor.attribute(message("acct-2", T0 + timedelta(days=2, hours=2))).result == "attributed"
    start = T0.replace(hour=0)
    assert _listeners("c1", start, start + timedelta(days=7)) == (2, False)
    # The third day alone: both listened on it, though neither for the first time.
    third = start + timedelta(days=2)
    assert _listeners("c1", third, third + timedelta(days=1)) == (2, False)
    second = start + timedelta(days=1)
    assert _listeners("c1", second, second + timedelta(days=1)) == (1, False)
    assert _listeners("c1", start + timedelta(days=3), start + timedelta(days=7)) == (0, False)
    # The whole campaign: the exact first-play counters (each person once).
    assert _listeners("c1", start - timedelta(days=60), start + timedelta(days=7), whole=True) == (2, False)
    sketch = _stored("c1", (T0 + timedelta(days=2)).strftime("%Y-%m-%d"))
    assert sketch is not None and sketch.version == 2  # acct-1 then acct-2, one write each
    expected = people.merged([_sketch([listener_key("c1", "acct-1"), listener_key("c1", "acct-2")])])
    assert people.merged([sketch.people]) == expected


def test_a_range_never_counts_fewer_than_the_first_plays_it_holds(tables):
    """Days written before the sketches existed have no sketch: the exact first-play count is a floor."""
    value = campaign("c1")
    link("acct-1", value, first=T0)
    Attributor(playlists=FakePlaylists(PLAYLISTS)).attribute(message("acct-1", T0 + timedelta(hours=1)))
    CounterItem(campaign_key("c1"), people.sort_key(T0.strftime("%Y-%m-%d"))).delete()
    start = T0.replace(hour=0)
    assert _listeners("c1", start, start + timedelta(days=1)) == (1, False)


def test_a_redelivered_play_reads_the_sketch_and_writes_nothing(tables):
    value = campaign("c1")
    link("acct-1", value, first=T0)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    play = message("acct-1", T0 + timedelta(hours=1))
    assert attributor.attribute(play) == Outcome("attributed", 1)
    assert attributor.attribute(play) == Outcome("duplicate", 0)
    # A second play the same day: the listener is in the day's sketch already.
    assert attributor.attribute(message("acct-1", T0 + timedelta(hours=2))) == Outcome("attributed", 1)
    sketch = _stored("c1", T0.strftime("%Y-%m-%d"))
    assert sketch is not None and sketch.version == 1


def test_a_container_reads_a_listener_s_day_once_and_another_reads_it_without_writing(tables, dynamodb_calls):
    value = campaign("c1")
    link("acct-1", value, first=T0)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    dynamodb_calls.clear()
    assert attributor.attribute(message("acct-1", T0 + timedelta(hours=1))) == Outcome("attributed", 1)
    assert dynamodb_calls.count("GetItem") >= 1 and dynamodb_calls.count("PutItem") == 1  # the sketch, once
    dynamodb_calls.clear()
    # Same container, same listener and day: the sketch is neither read nor written again.
    assert attributor.attribute(message("acct-1", T0 + timedelta(hours=2))) == Outcome("attributed", 1)
    assert dynamodb_calls.count("PutItem") == 0
    sketch_reads = dynamodb_calls.count("GetItem")
    # The next UTC day is a new sketch: read and written.
    dynamodb_calls.clear()
    assert attributor.attribute(message("acct-1", T0 + timedelta(days=1))) == Outcome("attributed", 1)
    assert dynamodb_calls.count("GetItem") == sketch_reads + 1 and dynamodb_calls.count("PutItem") == 1
    # Another container: reads the sketch, finds the listener, writes nothing.
    dynamodb_calls.clear()
    other = Attributor(playlists=FakePlaylists(PLAYLISTS))
    assert other.attribute(message("acct-1", T0 + timedelta(hours=3))) == Outcome("attributed", 1)
    assert dynamodb_calls.count("PutItem") == 0
    assert _stored("c1", T0.strftime("%Y-%m-%d")).version == 1


def test_a_crash_after_the_sketch_leaves_the_play_to_a_redelivery_that_counts_it_once(tables, monkeypatch):
    value = campaign("c1")
    link("acct-1", value, first=T0)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    play = message("acct-1", T0 + timedelta(hours=1))
    real = attribution_service.write_coalesced

    def crash(*args, **kwargs):
        raise RuntimeError("the Lambda was stopped here")

    monkeypatch.setattr(attribution_service, "write_coalesced", crash)
    with pytest.raises(RuntimeError):
        attributor.attribute(play)
    assert _stored("c1", T0.strftime("%Y-%m-%d")).version == 1  # the sketch was written first
    assert not list(AttributionItem.query(campaign_key("c1"), AttributionItem.sk.startswith("ATTR#")))
    monkeypatch.setattr(attribution_service, "write_coalesced", real)
    assert attributor.attribute(play) == Outcome("attributed", 1)
    assert _stored("c1", T0.strftime("%Y-%m-%d")).version == 1  # added again: no change, no write
    start = T0.replace(hour=0)
    assert _listeners("c1", start, start + timedelta(days=1)) == (1, False)


def test_a_writer_that_loses_the_race_reads_again_and_adds_its_listener(tables, monkeypatch):
    real = people.with_people
    raced = []

    def with_a_rival(serialized, ids):
        if not raced:  # between this writer's read and its save, another adds someone else
            raced.append(True)
            assert people.add_people("c1", "2026-03-01", ["rival"]) is True
        return real(serialized, ids)

    monkeypatch.setattr(people, "with_people", with_a_rival)
    pauses: list[float] = []
    assert people.add_people("c1", "2026-03-01", ["me"], pause=pauses.append) is True
    assert len(pauses) == 1  # one lost race, then the write
    stored = _stored("c1", "2026-03-01")
    assert stored.version == 2
    assert people.merged([stored.people]) == people.merged([_sketch(["me", "rival"])])
    assert people.merged([stored.people]).count == 2


def test_a_writer_that_keeps_losing_raises_so_the_plays_come_again(tables, monkeypatch):
    real = people.with_people
    rivals = iter(range(100))
    inside: list[bool] = []

    def always_a_rival(serialized, ids):
        if not inside:  # the rival's own write is not raced
            inside.append(True)
            people.add_people("c1", T0.strftime("%Y-%m-%d"), [f"rival-{next(rivals)}"])
            inside.pop()
        return real(serialized, ids)

    value = campaign("c1")
    link("acct-1", value, first=T0)
    monkeypatch.setattr(people, "with_people", always_a_rival)
    monkeypatch.setattr(people.time, "sleep", lambda seconds: None)
    outcome = Attributor(playlists=FakePlaylists(PLAYLISTS)).attribute_all([message("acct-1", T0 + timedelta(hours=1))])
    assert isinstance(outcome[0], people.PeopleRaced)
    # Nothing credited: SQS delivers the play again.
    assert not list(AttributionItem.query(campaign_key("c1"), AttributionItem.sk.startswith("ATTR#")))
    monkeypatch.setattr(people, "with_people", real)
    assert Attributor(playlists=FakePlaylists(PLAYLISTS)).attribute(message("acct-1", T0 + timedelta(hours=1))) == (
        Outcome("attributed", 1)
    )


def test_the_backfill_rebuilds_the_days_of_plays_credited_before_the_sketches(tables):
    import boto3

    from scripts.backfill_people import backfill

    value = campaign("c1")
    for account in ("acct-1", "acct-2"):
        link(account, value, first=T0)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    for day in range(3):
        attributor.attribute(message("acct-1", T0 + timedelta(days=day, hours=1)))
    attributor.attribute(message("acct-2", T0 + timedelta(days=2, hours=2)))
    start = T0.replace(hour=0)
    third = start + timedelta(days=2)
    assert _listeners("c1", third, third + timedelta(days=1)) == (2, False)
    for day in range(3):  # as before the upgrade: no sketch (and no roll-up, which carries its day's sketch)
        name = (T0 + timedelta(days=day)).strftime("%Y-%m-%d")
        CounterItem(campaign_key("c1"), people.sort_key(name)).delete()
        CounterItem(campaign_key("c1"), f"ROLLUP#{name}").delete()
    assert _listeners("c1", third, third + timedelta(days=1)) == (1, False)  # only acct-2's first play
    # That read rolled the day up without a sketch: the backfill outdates the roll-up as it adds one.
    client = boto3.client("dynamodb", region_name="us-east-1")
    assert backfill(client, tables["DataTable"]) == {"campaigns": 1, "days": 3, "written": 3}
    assert _listeners("c1", third, third + timedelta(days=1)) == (2, False)
    assert _listeners("c1", start, start + timedelta(days=7)) == (2, False)
    assert backfill(client, tables["DataTable"]) == {"campaigns": 1, "days": 3, "written": 0}  # again: nothing
