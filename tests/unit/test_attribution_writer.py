"""attribution.service and attribution.writer against ONE moto table set for the module (each
test on campaigns and listeners of its own), fast enough for a mutation run: exactly-once
crediting, guards read first, counters summed per item, the 100-item split, new_listener once,
per-track listeners with several tracks per listener and several listeners per track, the
link's condition, retries on a lost race, the campaign cache.

Campaigns, links and plays are built as tests/handlers/test_attribution_service.py builds them
(its helpers are imported), inside each test: mutmut credits code run in a module-scoped
fixture only to the first test that used it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from soundlink.attribution import service as service_module
from soundlink.attribution import writer
from soundlink.attribution.rules import MODELS, Match, Reason
from soundlink.attribution.service import CAMPAIGN_CACHE_SECONDS, Attributor, Outcome
from soundlink.attribution.writer import MAX_ITEMS, LinkRaced, write_coalesced
from soundlink.platform.counters import COUNTER_NAMES, COUNTER_SHARDS
from soundlink.platform.people import is_people_key
from soundlink.platform.tables import CampaignItem, ListenerLinkItem, PlayGuardItem
from tests.handlers.test_attribution_service import (
    PLAYLIST_1,
    PLAYLIST_2,
    PLAYLISTS,
    T0,
    TRACK_IN,
    TRACK_IN_2,
    TRACK_OUT,
    FakePlaylists,
    campaign,
    link,
    message,
)
from tests.support.counter_names import counter_name
from tests.support.moto_tables import moto_tables

H = timedelta(hours=1)


@pytest.fixture(scope="module")
def db():
    with moto_tables("attr") as names:
        yield names


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def transactions(monkeypatch) -> list[int]:
    """The number of items of each transaction the writer commits (or tries to)."""
    sizes: list[int] = []
    real = writer.transaction

    class Counting:
        def __enter__(self):
            self.inner = real()
            self.writes = self.inner.__enter__()
            self.items = 0
            return self

        def __exit__(self, *exc):
            sizes.append(self.items)
            return self.inner.__exit__(*exc)

        def save(self, item, **kwargs):
            self.items += 1
            return self.writes.save(item, **kwargs)

        def update(self, item, **kwargs):
            self.items += 1
            return self.writes.update(item, **kwargs)

    monkeypatch.setattr(writer, "transaction", Counting)
    return sizes


def query(db, logical_id: str, pk: str, prefix: str = "") -> list[dict]:
    """The items of one partition (a Query, not a scan: the module's table holds every test's items)."""
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(db[logical_id])
    condition = Key("pk").eq(pk) & Key("sk").begins_with(prefix) if prefix else Key("pk").eq(pk)
    items, start = [], None
    while True:
        page = table.query(KeyConditionExpression=condition, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def counters(db, campaign_id: str) -> dict[str, dict[str, float]]:
    """The campaign's counters summed over their shards: {"TOTAL": {...}, "MODEL#linear#C9": {...}, ...}."""
    summed: dict[str, dict[str, float]] = {}
    for item in query(db, "StatsTable", f"CAMPAIGN#{campaign_id}"):
        if item["sk"].startswith("ROLLUP#") or is_people_key(item["sk"]):
            continue  # a day's roll-up mark and its people sketch: not counters (test_rollups, test_people)
        assert 0 <= int(item["sk"].rsplit("#", 1)[1]) < COUNTER_SHARDS  # every counter item on a shard
        values = summed.setdefault(counter_name(item["sk"]), {})
        for counter, value in item.items():
            if counter in COUNTER_NAMES:
                values[counter] = values.get(counter, 0.0) + float(value)
    return summed


def attributions(db, campaign_id: str) -> list[dict]:
    return query(db, "DataTable", f"CAMPAIGN#{campaign_id}", "ATTR#")


def guards(db, account: str) -> list[dict]:
    return query(db, "DataTable", f"LISTENER#{account}", "PLAY#")


def stored(db, campaign_id: str) -> tuple[list[dict], list[dict]]:
    return attributions(db, campaign_id), query(db, "StatsTable", f"CAMPAIGN#{campaign_id}")


def total(db, campaign_id: str) -> dict[str, float]:
    return counters(db, campaign_id).get("TOTAL", {})


def track(db, campaign_id: str, track_id: str) -> dict[str, float]:
    return counters(db, campaign_id).get(f"TRACK#{track_id}", {})


def one_campaign(owner: str | None = None, playlist: str = PLAYLIST_1, **kwargs):
    return campaign(uid("c"), owner or uid("owner"), playlist, **kwargs)


def stored_link(account: str, campaign_id: str) -> ListenerLinkItem:
    return ListenerLinkItem.get(*ListenerLinkItem.key(account, campaign_id))


# ------------------------------------------------------------------ exactly once, guards


def test_a_play_is_credited_once_and_its_guard_lives_thirty_days(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    play = message(account, T0, TRACK_IN)
    first = attributor.attribute(play)
    assert first == Outcome("attributed", 1)
    assert first.campaign_ids == (c.id,)
    before = stored(db, c.id), query(db, "DataTable", f"LISTENER#{account}")
    again = attributor.attribute(play)
    assert again == Outcome("duplicate", 0)
    assert again.campaign_ids == (c.id,)
    assert (stored(db, c.id), query(db, "DataTable", f"LISTENER#{account}")) == before
    guard = PlayGuardItem.get(*PlayGuardItem.key(account, play.played_iso, c.owner_id))
    assert guard.track_id == TRACK_IN
    assert guard.expires_at == int((T0 + timedelta(days=30)).timestamp())
    assert total(db, c.id)["attributed_plays"] == 1


def test_guards_are_read_first_so_a_redelivery_costs_no_transaction(db, transactions):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    plays = [message(account, T0 + n * H, TRACK_IN) for n in range(3)]
    assert [o.result for o in attributor.attribute_all(plays)] == ["attributed"] * 3
    assert len(transactions) == 1
    assert [o.result for o in attributor.attribute_all(plays)] == ["duplicate"] * 3
    assert len(transactions) == 1  # the guards were found by the read: nothing written


def test_a_guard_written_meanwhile_is_caught_by_the_condition(db):
    """A guard stored after the read (another delivery): the transaction refuses it, the play is
    left out and the others of the group written once."""
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    links = {c.id: stored_link(account, c.id)}
    plays = [message(account, T0 + n * H, TRACK_IN) for n in range(3)]
    PlayGuardItem(
        *PlayGuardItem.key(account, plays[1].played_iso, c.owner_id), track_id=TRACK_IN, expires_at=2**31
    ).save()
    entries = [(n, play, [_match(c)]) for n, play in enumerate(plays)]
    assert write_coalesced(entries, c.owner_id, links, {c.id: PLAYLISTS[PLAYLIST_1]}) == {0: 1, 2: 1}
    assert total(db, c.id)["attributed_plays"] == 2
    assert {a["sk"].split("#")[1] for a in attributions(db, c.id)} == {plays[0].played_iso, plays[2].played_iso}
    # Everything already there: nothing more written.
    assert write_coalesced(entries, c.owner_id, links, {c.id: PLAYLISTS[PLAYLIST_1]}) == {}
    assert total(db, c.id)["attributed_plays"] == 2


def test_an_attribution_written_before_drops_only_that_campaigns_part(db):
    owner = uid("owner")
    a, b = one_campaign(owner), one_campaign(owner, PLAYLIST_2)
    account = uid("acct")
    link(account, a, first=T0 - H)
    link(account, b, first=T0 - H)
    links = {a.id: stored_link(account, a.id), b.id: stored_link(account, b.id)}
    play = message(account, T0, TRACK_IN)
    # b's attribution of this play exists (an earlier delivery), its guard does not.
    write_coalesced([(0, play, [_match(b)])], owner, {b.id: stored_link(account, b.id)}, {b.id: None})
    PlayGuardItem.get(*PlayGuardItem.key(account, play.played_iso, owner)).delete()
    links = {a.id: stored_link(account, a.id), b.id: stored_link(account, b.id)}
    assert write_coalesced([(0, play, [_match(a), _match(b)])], owner, links, {}) == {0: 1}
    assert total(db, a.id)["attributed_plays"] == 1
    assert total(db, b.id)["attributed_plays"] == 1
    assert len(attributions(db, b.id)) == 1


def test_a_refused_link_raises_link_raced_and_writes_nothing(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    stale = {c.id: stored_link(account, c.id)}
    Attributor(playlists=FakePlaylists(PLAYLISTS)).attribute(message(account, T0, TRACK_IN))
    later = message(account, T0 + H, TRACK_IN_2)
    with pytest.raises(LinkRaced):
        write_coalesced([(0, later, [_match(c)])], c.owner_id, stale, {c.id: None})
    assert total(db, c.id)["attributed_plays"] == 1


def test_a_refusal_that_is_no_condition_of_ours_is_raised(db, monkeypatch):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    from pynamodb.exceptions import TransactWriteError

    def refuse():
        raise TransactWriteError("throttled")

    links = {c.id: stored_link(account, c.id)}

    class Refusing:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            if exc[0] is None:
                refuse()

        def save(self, *_a, **_k):
            pass

        def update(self, *_a, **_k):
            pass

    monkeypatch.setattr(writer, "transaction", Refusing)
    with pytest.raises(TransactWriteError):
        write_coalesced([(0, message(account, T0), [_match(c)])], c.owner_id, links, {})


def _match(c, confidence: float = 0.9, credit: dict[str, float] | None = None) -> Match:
    return Match(
        campaign_id=c.id,
        owner_id=c.owner_id,
        confidence=confidence,
        reasons=(str(Reason.CLICK_EARLIER),),
        credit=credit if credit is not None else dict.fromkeys(MODELS, 1.0),
    )


# ------------------------------------------------------------------ counters


def test_plays_of_one_batch_are_summed_into_each_counter_item_once(db, transactions):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    plays = [message(account, T0 + n * timedelta(minutes=1), TRACK_IN) for n in range(4)]
    assert attributor.attribute_all(plays) == [Outcome("attributed", 1)] * 4
    assert len(transactions) == 1
    summed = counters(db, c.id)
    assert summed["TOTAL"]["attributed_plays"] == 4
    assert summed["TOTAL"]["listeners"] == 1
    assert summed[f"TRACK#{TRACK_IN}"] == {"attributed_plays": 4, "listeners": 1}
    for model in MODELS:
        assert summed["TOTAL"][f"streams_{model}"] == 4
    # One update per counter item: the transaction holds 4 guards, 4 attributions, the link and
    # each counter item once (not once per play).
    # (The day's people sketch is written before the transaction, not in it: platform/people.py.)
    counter_items = [item for item in query(db, "StatsTable", f"CAMPAIGN#{c.id}") if not is_people_key(item["sk"])]
    assert transactions == [4 + 4 + 1 + len(counter_items)]


def test_new_listener_counts_once_and_not_for_a_listener_of_the_playlist_before(db):
    c = one_campaign()
    fresh, known = uid("acct"), uid("acct")
    link(fresh, c, first=T0 - H)
    link(known, c, first=T0 - H, baseline={TRACK_IN, TRACK_OUT})
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    for n in range(3):
        for account in (fresh, known):
            assert attributor.attribute(message(account, T0 + n * H, TRACK_IN)).result == "attributed"
    summed = total(db, c.id)
    assert summed["listeners"] == 2
    assert summed["new_listeners"] == 1
    assert summed["attributed_plays"] == 6


def test_a_listener_of_another_track_of_the_playlist_is_not_new(db):
    c = one_campaign(playlist=PLAYLIST_2)
    account = uid("acct")
    link(account, c, first=T0 - H, baseline={TRACK_IN})  # played the playlist's other track before
    assert Attributor(playlists=FakePlaylists(PLAYLISTS)).attribute(message(account, T0, TRACK_IN_2)).result == (
        "attributed"
    )
    assert total(db, c.id)["listeners"] == 1
    assert total(db, c.id).get("new_listeners", 0) == 0


def test_new_listener_without_the_playlist_is_judged_by_the_played_track(db):
    """Playlist unknown (None): the played track stands for the campaign's tracks."""
    c = one_campaign()
    fresh, known = uid("acct"), uid("acct")
    link(fresh, c, first=T0 - H, baseline={TRACK_OUT})
    link(known, c, first=T0 - H, baseline={TRACK_IN})
    attributor = Attributor(playlists=FakePlaylists({}))
    for account in (fresh, known):
        assert attributor.attribute(message(account, T0, TRACK_IN, f"spotify:playlist:{PLAYLIST_1}")).result == (
            "attributed"
        )
    assert total(db, c.id)["new_listeners"] == 1
    assert total(db, c.id)["listeners"] == 2


def test_per_track_listeners_with_several_tracks_per_listener_and_listeners_per_track(db):
    c = one_campaign(playlist=PLAYLIST_2)
    one, two = uid("acct"), uid("acct")
    link(one, c, first=T0 - H)
    link(two, c, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    # one: IN, IN_2, IN in one batch then IN_2 again later; two: IN_2 alone.
    batch = [message(one, T0, TRACK_IN), message(one, T0 + H, TRACK_IN_2), message(one, T0 + 2 * H, TRACK_IN)]
    assert [o.result for o in attributor.attribute_all(batch)] == ["attributed"] * 3
    assert attributor.attribute(message(one, T0 + 3 * H, TRACK_IN_2)).result == "attributed"
    assert attributor.attribute(message(two, T0 + 4 * H, TRACK_IN_2)).result == "attributed"
    assert track(db, c.id, TRACK_IN) == {"attributed_plays": 2, "listeners": 1}
    assert track(db, c.id, TRACK_IN_2) == {"attributed_plays": 3, "listeners": 2}
    assert total(db, c.id)["listeners"] == 2
    assert stored_link(one, c.id).attributed_tracks == {TRACK_IN, TRACK_IN_2}
    assert stored_link(one, c.id).first_attributed_at == T0


def test_the_first_attribution_is_the_earliest_play_of_a_batch_whatever_its_order(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    plays = [message(account, T0 + 2 * H), message(account, T0), message(account, T0 + H)]
    assert [o.result for o in attributor.attribute_all(plays)] == ["attributed"] * 3
    assert stored_link(account, c.id).first_attributed_at == T0
    summed = counters(db, c.id)
    hour = f"HOUR#{T0:%Y-%m-%dT%H}"
    assert summed[hour]["listeners"] == 1
    assert summed[f"HOUR#{T0 + H:%Y-%m-%dT%H}"].get("listeners", 0) == 0


def test_counters_carry_the_click_dimensions_confidence_bucket_models_and_weights(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    links = {c.id: stored_link(account, c.id)}
    credit = {"last_touch": 1.0, "first_touch": 0.5, "linear": 0.25, "time_decay": 0.0}
    play = message(account, T0, TRACK_IN)
    assert write_coalesced([(0, play, [_match(c, 0.75, credit)])], c.owner_id, links, {}) == {0: 1}
    summed = counters(db, c.id)
    for model, share in credit.items():
        assert summed["TOTAL"].get(f"streams_{model}", 0) == share
        assert summed["TOTAL"].get(f"weighted_{model}", 0) == share * 0.75
    assert summed["MODEL#linear#C7"] == {"streams": 0.25, "weighted_streams": 0.1875}
    assert summed["CONF#7"]["attributed_plays"] == 1
    assert summed["DIM#referrer#t.co"]["attributed_plays"] == 1
    assert summed["DIM#utm_medium#(none)"]["attributed_plays"] == 1  # not in the click: every dimension counted
    assert summed["TOTAL"]["new_listeners"] == 1
    attribution = attributions(db, c.id)[0]
    assert attribution["credit"] == {"last_touch": 1, "first_touch": 0.5, "linear": 0.25, "time_decay": 0}
    assert attribution["track_name"] == "Song"
    assert attribution["artists"] == "Artist One, Artist Two"


# ------------------------------------------------------------------ the 100-item split


def test_a_batch_past_100_items_is_split_oldest_first_and_counted_once(db, transactions):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    plays = [message(account, T0 + n * timedelta(minutes=1), TRACK_IN) for n in range(60)]
    assert attributor.attribute_all(plays) == [Outcome("attributed", 1)] * 60
    assert len(transactions) > 1
    assert all(size <= MAX_ITEMS for size in transactions)
    summed = total(db, c.id)
    assert summed["attributed_plays"] == 60
    assert summed["listeners"] == 1
    assert summed["new_listeners"] == 1
    assert track(db, c.id, TRACK_IN) == {"attributed_plays": 60, "listeners": 1}
    assert len(attributions(db, c.id)) == 60
    assert stored_link(account, c.id).first_attributed_at == T0
    assert {g["sk"].rsplit("#", 1)[1] for g in guards(db, account)} == {c.owner_id}
    assert len(guards(db, account)) == 60
    # A redelivery of the whole batch: all duplicates, nothing written.
    assert [o.result for o in attributor.attribute_all(plays)] == ["duplicate"] * 60
    assert total(db, c.id)["attributed_plays"] == 60


def test_a_group_of_exactly_100_items_is_one_transaction(db, transactions, monkeypatch):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    links = {c.id: stored_link(account, c.id)}
    plays = [message(account, T0 + n * timedelta(minutes=1), TRACK_IN) for n in range(2)]
    entries = [(n, play, [_match(c)]) for n, play in enumerate(plays)]
    size = len(writer._plan([(*e, True) for e in entries], c.owner_id, dict(links), {}, {}).operations)
    monkeypatch.setattr(writer, "MAX_ITEMS", size)
    assert write_coalesced(entries, c.owner_id, links, {}) == {0: 1, 1: 1}
    assert transactions == [size]
    more = [(n, message(account, T0 + H + n * timedelta(minutes=1), TRACK_IN), [_match(c)]) for n in range(2)]
    size = len(writer._plan([(*e, True) for e in more], c.owner_id, dict(links), {}, {}).operations)
    monkeypatch.setattr(writer, "MAX_ITEMS", size - 1)
    assert write_coalesced(more, c.owner_id, links, {}) == {0: 1, 1: 1}
    assert len(transactions) == 3  # one play per transaction
    assert total(db, c.id)["attributed_plays"] == 4


def test_one_play_credited_to_several_campaigns_that_fit_is_one_transaction(db, transactions, monkeypatch):
    owner = uid("owner")
    account = uid("acct")
    cs = [one_campaign(owner) for _ in range(3)]
    for c in cs:
        link(account, c, first=T0 - H)
    links = {c.id: stored_link(account, c.id) for c in cs}
    play = message(account, T0, TRACK_IN)
    matches = [_match(c) for c in cs]
    size = len(writer._plan([(0, play, matches, True)], owner, dict(links), {}, {}).operations)
    monkeypatch.setattr(writer, "MAX_ITEMS", size)  # exactly at the limit: still one transaction
    assert write_coalesced([(0, play, matches)], owner, links, {}) == {0: 3}
    assert transactions == [size]
    assert len(guards(db, account)) == 1


def test_one_play_credited_to_too_many_campaigns_is_split_by_campaign_guard_last(db, transactions, monkeypatch):
    owner = uid("owner")
    account = uid("acct")
    cs = [one_campaign(owner) for _ in range(4)]
    for c in cs:
        link(account, c, first=T0 - H)
    links = {c.id: stored_link(account, c.id) for c in cs}
    play = message(account, T0, TRACK_IN)
    matches = [_match(c) for c in cs]
    monkeypatch.setattr(writer, "MAX_ITEMS", 25)  # one campaign's items fit, four do not
    assert write_coalesced([(0, play, matches)], owner, links, {}) == {0: 4}
    assert len(transactions) > 1
    assert all(size <= 25 for size in transactions)
    for c in cs:
        assert total(db, c.id)["attributed_plays"] == 1
        assert total(db, c.id)["listeners"] == 1
    assert len(guards(db, account)) == 1
    # Written again (the guard found by the transaction): nothing more.
    links = {c.id: stored_link(account, c.id) for c in cs}
    assert write_coalesced([(0, play, matches)], owner, links, {}) == {}
    for c in cs:
        assert total(db, c.id)["attributed_plays"] == 1


def test_a_play_split_by_campaign_whose_first_campaign_was_written_before_writes_the_others(
    db, transactions, monkeypatch
):
    owner = uid("owner")
    account = uid("acct")
    cs = [one_campaign(owner) for _ in range(4)]
    for c in cs:
        link(account, c, first=T0 - H)
    play = message(account, T0, TRACK_IN)
    # The first campaign's attribution exists (an earlier, interrupted delivery); no guard yet.
    write_coalesced([(0, play, [_match(cs[0])])], owner, {cs[0].id: stored_link(account, cs[0].id)}, {})
    PlayGuardItem.get(*PlayGuardItem.key(account, play.played_iso, owner)).delete()
    links = {c.id: stored_link(account, c.id) for c in cs}
    monkeypatch.setattr(writer, "MAX_ITEMS", 40)  # two campaigns' items fit, four do not
    assert write_coalesced([(0, play, [_match(c) for c in cs])], owner, links, {}) == {0: 3}
    for c in cs:
        assert total(db, c.id)["attributed_plays"] == 1
        assert len(attributions(db, c.id)) == 1
    assert len(guards(db, account)) == 1


# ------------------------------------------------------------------ outcomes, races, cache


def test_outcomes_gone_no_open_window_not_attributed_in_batch_order(db):
    c = one_campaign(ends_at=T0 + 2 * H)
    linked, unlinked = uid("acct"), uid("acct")
    link(linked, c, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    plays = [
        message(unlinked, T0),
        message(linked, T0 - 2 * H),  # before the click
        message(linked, T0, TRACK_OUT),  # not on the playlist
        message(linked, T0 + 2 * H),  # at the end: the window is closed
        message(linked, T0 + H),
    ]
    assert [o.result for o in attributor.attribute_all(plays)] == [
        "gone",
        "no_open_window",
        "not_attributed",
        "no_open_window",
        "attributed",
    ]
    assert total(db, c.id)["attributed_plays"] == 1


def test_a_play_before_the_campaign_starts_has_no_open_window(db):
    c = one_campaign(starts_at=T0)
    account = uid("acct")
    link(account, c, first=T0 - 2 * H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    plays = [message(account, T0 - H), message(account, T0)]
    assert [o.result for o in attributor.attribute_all(plays)] == ["no_open_window", "attributed"]


def test_a_play_of_a_deleted_campaign_has_no_open_window(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    CampaignItem.get(*CampaignItem.key(c.id)).delete()
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    assert attributor.attribute(message(account, T0)) == Outcome("no_open_window")
    assert attributor.campaign(c.id) is None


def test_campaigns_of_two_owners_each_get_a_guard_and_the_outcome_counts_both(db):
    a, b = one_campaign(), one_campaign(playlist=PLAYLIST_2)
    account = uid("acct")
    link(account, a, first=T0 - H)
    link(account, b, first=T0 - H)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    outcome = attributor.attribute(message(account, T0, TRACK_IN))
    assert outcome == Outcome("attributed", 2)
    assert outcome.campaign_ids == tuple(sorted((a.id, b.id)))
    assert len(guards(db, account)) == 2
    # b's owner's guard lost: b's part only is written again.
    play = message(account, T0, TRACK_IN)
    PlayGuardItem.get(*PlayGuardItem.key(account, play.played_iso, b.owner_id)).delete()
    assert attributor.attribute(play) == Outcome("duplicate", 0)  # b's attribution refuses it
    assert total(db, a.id)["attributed_plays"] == 1
    assert total(db, b.id)["attributed_plays"] == 1


def test_a_lost_race_is_retried_with_fresh_reads(db, monkeypatch):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    real = service_module.write_coalesced
    calls = []

    def losing_twice(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise LinkRaced
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "write_coalesced", losing_twice)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    assert attributor.attribute(message(account, T0)) == Outcome("attributed", 1)
    assert len(calls) == 3
    assert total(db, c.id)["attributed_plays"] == 1


def test_a_play_decided_before_a_lost_race_keeps_its_outcome(db, monkeypatch):
    """The retry re-reads for the plays still open only: one found on no playlist before the race
    stays not attributed though the playlist changed meanwhile."""
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    fake = FakePlaylists(dict(PLAYLISTS))
    real = service_module.write_coalesced
    calls = []

    def losing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            fake.tracks[PLAYLIST_1] = frozenset({TRACK_IN, TRACK_OUT})
            raise LinkRaced
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "write_coalesced", losing_once)
    attributor = Attributor(playlists=fake)
    results = attributor.attribute_all([message(account, T0, TRACK_OUT), message(account, T0 + H, TRACK_IN)])
    assert [o.result for o in results] == ["not_attributed", "attributed"]
    assert len(calls) == 2
    assert total(db, c.id)["attributed_plays"] == 1


def test_a_race_lost_three_times_leaves_the_play_to_sqs_and_others_are_kept(db, monkeypatch):
    c = one_campaign()
    racing, calm = uid("acct"), uid("acct")
    link(racing, c, first=T0 - H)
    link(calm, c, first=T0 - H)
    real = service_module.write_coalesced
    calls = []

    def always_losing(entries, *args, **kwargs):
        if entries and entries[0][1].account_id == racing:
            calls.append(1)
            raise LinkRaced
        return real(entries, *args, **kwargs)

    monkeypatch.setattr(service_module, "write_coalesced", always_losing)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    results = attributor.attribute_all([message(racing, T0), message(calm, T0), message(racing, T0 + H)])
    assert isinstance(results[0], RuntimeError)
    assert str(results[0]) == "the listener's first attribution kept changing under us; SQS will retry the play"
    assert results[2] is results[0]
    assert results[1] == Outcome("attributed", 1)
    assert len(calls) == 3
    with pytest.raises(RuntimeError, match="kept changing"):
        attributor.attribute(message(racing, T0))


def test_a_failure_of_one_listener_is_its_plays_exception(db, monkeypatch):
    c = one_campaign()
    failing, calm = uid("acct"), uid("acct")
    link(failing, c, first=T0 - H)
    link(calm, c, first=T0 - H)
    real = service_module.write_coalesced
    calls = []

    def failing_once(entries, *args, **kwargs):
        if entries and entries[0][1].account_id == failing:
            calls.append(1)
            raise OSError("DynamoDB unreachable")
        return real(entries, *args, **kwargs)

    monkeypatch.setattr(service_module, "write_coalesced", failing_once)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    results = attributor.attribute_all([message(failing, T0), message(calm, T0)])
    assert isinstance(results[0], OSError)
    assert results[1] == Outcome("attributed", 1)
    assert len(calls) == 1  # not retried here: SQS delivers it again


def test_a_campaign_is_read_again_after_a_minute(db):
    c = one_campaign()
    clock = Clock()
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS), clock=clock)
    assert attributor.campaign(c.id).name == c.name
    item = CampaignItem.get(*CampaignItem.key(c.id))
    item.update(actions=[CampaignItem.name.set("Renamed")])
    clock.now += CAMPAIGN_CACHE_SECONDS - 1
    assert attributor.campaign(c.id).name == c.name
    clock.now += 1  # exactly a minute: read again
    assert attributor.campaign(c.id).name == "Renamed"
    missing = uid("c")
    assert attributor.campaign(missing) is None
    campaign(missing, uid("owner"))
    assert attributor.campaign(missing) is None  # cached as missing
    clock.now += CAMPAIGN_CACHE_SECONDS
    assert attributor.campaign(missing) is not None


def test_playlists_are_asked_once_per_campaign_with_its_owner(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0 - H)
    fake = FakePlaylists(PLAYLISTS)
    attributor = Attributor(playlists=fake)
    attributor.attribute_all([message(account, T0 + n * H) for n in range(3)])
    assert fake.calls == [(PLAYLIST_1, c.owner_id)]


# ------------------------------------------------------------------ attribution items, cohort weeks, the link


def test_an_attribution_holds_the_play_the_match_and_its_cohort_week(db):
    c = one_campaign(window_days=14)
    account = uid("acct")
    link(account, c, first=T0)  # T0 is Sunday 2026-03-01: its week starts Monday 2026-02-23
    links = {c.id: stored_link(account, c.id)}
    play = message(account, T0 + 8 * timedelta(days=1), TRACK_IN, f"spotify:playlist:{PLAYLIST_1}")
    credit = {"last_touch": 1 / 3, "first_touch": 1.0, "linear": 0.5, "time_decay": 0.25}
    match = Match(c.id, c.owner_id, 0.5, ("click_earlier", "playlist_context"), credit)
    assert write_coalesced([(0, play, [match])], c.owner_id, links, {}, {c.id: 14}) == {0: 1}
    (item,) = attributions(db, c.id)
    assert item["sk"] == f"ATTR#{play.played_iso}#{account}"
    assert item["gsi2pk"] == f"LISTENER#{account}"
    assert item["gsi2sk"] == f"ATTR#{c.id}#{play.played_iso}"
    assert item["campaign_id"] == c.id
    assert item["owner_id"] == c.owner_id
    assert item["listener_key"] != account
    assert item["track_id"] == TRACK_IN
    assert item["context_uri"] == f"spotify:playlist:{PLAYLIST_1}"
    assert float(item["confidence"]) == 0.5
    assert item["reasons"] == "click_earlier playlist_context"
    assert float(item["credit"]["last_touch"]) == 0.333333
    assert item["cohort_week"] == "2026-02-23"
    assert item["week_after_click"] == 2
    summed = counters(db, c.id)
    assert summed["COHORT#2026-02-23#ALL"] == {"listeners": 1}
    assert summed["COHORT#2026-02-23#W2"] == {"listeners": 1}
    assert stored_link(account, c.id).cohort_weeks == {2}


def test_cohort_weeks_count_each_week_once_and_the_cohort_once(db):
    c = one_campaign(window_days=14)
    account = uid("acct")
    link(account, c, first=T0)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    day = timedelta(days=1)
    batch = [message(account, T0 + H), message(account, T0 + 2 * day), message(account, T0 + 8 * day)]
    assert [o.result for o in attributor.attribute_all(batch)] == ["attributed"] * 3
    assert attributor.attribute(message(account, T0 + 9 * day)).result == "attributed"
    assert attributor.attribute(message(account, T0 + 3 * day)).result == "attributed"  # week 1 again, later
    summed = counters(db, c.id)
    assert summed["COHORT#2026-02-23#ALL"] == {"listeners": 1}
    assert summed["COHORT#2026-02-23#W1"] == {"listeners": 1}
    assert summed["COHORT#2026-02-23#W2"] == {"listeners": 1}
    assert "COHORT#2026-02-23#W3" not in summed
    assert stored_link(account, c.id).cohort_weeks == {1, 2}


def test_a_campaign_without_its_window_counts_no_cohort_week(db):
    c = one_campaign(window_days=14)
    account = uid("acct")
    link(account, c, first=T0)
    links = {c.id: stored_link(account, c.id)}
    assert write_coalesced([(0, message(account, T0 + H), [_match(c)])], c.owner_id, links, {}) == {0: 1}
    assert not [name for name in counters(db, c.id) if name.startswith("COHORT#")]
    assert attributions(db, c.id)[0].get("week_after_click") is None
    assert stored_link(account, c.id).cohort_weeks is None


def test_a_link_that_gained_a_track_or_week_since_the_read_is_refused(db):
    c = one_campaign(playlist=PLAYLIST_2, window_days=14)
    account = uid("acct")
    link(account, c, first=T0)
    attributor = Attributor(playlists=FakePlaylists(PLAYLISTS))
    attributor.attribute(message(account, T0 + H, TRACK_IN))
    stale = {c.id: stored_link(account, c.id)}  # first attribution set, tracks {IN}, weeks {1}
    attributor.attribute(message(account, T0 + 2 * H, TRACK_IN_2))  # IN_2 credited meanwhile
    with pytest.raises(LinkRaced):
        write_coalesced([(0, message(account, T0 + 3 * H, TRACK_IN_2), [_match(c)])], c.owner_id, stale, {}, {})
    stale = {c.id: stored_link(account, c.id)}
    attributor.attribute(message(account, T0 + 8 * timedelta(days=1), TRACK_IN))  # week 2 counted meanwhile
    later = message(account, T0 + 9 * timedelta(days=1), TRACK_IN)
    with pytest.raises(LinkRaced):
        write_coalesced([(0, later, [_match(c)])], c.owner_id, stale, {}, {c.id: 14})
    assert track(db, c.id, TRACK_IN_2) == {"attributed_plays": 1, "listeners": 1}
    assert counters(db, c.id)["COHORT#2026-02-23#W2"] == {"listeners": 1}
    assert total(db, c.id)["attributed_plays"] == 3
    # The same play with a fresh read goes through, counting nothing twice.
    fresh = {c.id: stored_link(account, c.id)}
    assert write_coalesced([(0, later, [_match(c)])], c.owner_id, fresh, {}, {c.id: 14}) == {0: 1}
    assert counters(db, c.id)["COHORT#2026-02-23#W2"] == {"listeners": 1}
    assert track(db, c.id, TRACK_IN) == {"attributed_plays": 3, "listeners": 1}


def test_a_first_attribution_set_since_the_read_is_refused(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0)
    stale = {c.id: stored_link(account, c.id)}
    write_coalesced([(0, message(account, T0 + H), [_match(c)])], c.owner_id, dict(stale), {})
    stale = {c.id: ListenerLinkItem.get(*ListenerLinkItem.key(account, c.id))}
    stale[c.id].first_attributed_at = None
    stale[c.id].attributed_tracks = None
    with pytest.raises(LinkRaced):
        write_coalesced([(0, message(account, T0 + 2 * H, TRACK_IN_2), [_match(c)])], c.owner_id, stale, {})
    assert total(db, c.id)["listeners"] == 1


def test_long_track_names_and_artists_are_cut(db):
    c = one_campaign()
    account = uid("acct")
    link(account, c, first=T0)
    links = {c.id: stored_link(account, c.id)}
    play = message(account, T0 + H)
    play = type(play)(**{**play.__dict__, "track_name": "n" * 400, "artists": ("a" * 600,)})
    write_coalesced([(0, play, [_match(c)])], c.owner_id, links, {})
    item = attributions(db, c.id)[0]
    assert item["track_name"] == "n" * 300
    assert item["artists"] == "a" * 500
    (counter,) = [i for i in query(db, "StatsTable", f"CAMPAIGN#{c.id}") if "#TRACK#" in i["sk"]]
    assert counter["track_name"] == "n" * 300
    assert counter["track_artists"] == "a" * 500
    bare = type(play)(**{**play.__dict__, "track_name": None, "artists": (), "played_at": T0 + 2 * H})
    write_coalesced([(0, bare, [_match(c)])], c.owner_id, {c.id: stored_link(account, c.id)}, {})
    names = {i.get("track_name") for i in attributions(db, c.id)}
    assert names == {"n" * 300, None}
