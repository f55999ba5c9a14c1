"""attribute's Attributor against moto: attributions and counters exactly once, windows, keys, caps, credit.

Playlists come from a fake with the PlaylistTracks interface (track_ids(playlist_id, owner_id)).
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from soundlink.attribution.rules import MAX_CAMPAIGNS_PER_OWNER, MODELS, Reason, bucket
from soundlink.attribution.service import Attributor, Outcome, PlayMessage, listener_key
from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus
from soundlink.campaigns.items import campaign_to_item
from soundlink.listeners import links as listeners
from soundlink.platform.counters import COUNTER_NAMES, COUNTER_SHARDS
from soundlink.platform.people import is_people_key
from soundlink.platform.tables import CampaignItem, ListenerLinkItem
from soundlink.platform.transactions import transaction
from tests.support.counter_names import counter_name

# Events on fixed past days, counted as if as they happened (no late writes: test_rollups.py).
pytestmark = pytest.mark.usefixtures("writes_on_time")

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MS = timedelta(milliseconds=1)
PLAYLIST_1 = "37i9dQZF1DXcBWIGoYBM5M"
PLAYLIST_2 = "0000000000000000000002"
TRACK_IN = "4uLU6hMCjMI75M1A2tKUQC"  # on both playlists
TRACK_IN_2 = "7ouMYWpwJ422jRcDASZB7P"  # on playlist 2 only
TRACK_OUT = "3n3Ppam7vgaVa1iaRUc9Lp"  # on no playlist
PLAYLISTS = {PLAYLIST_1: frozenset({TRACK_IN}), PLAYLIST_2: frozenset({TRACK_IN, TRACK_IN_2})}
CLICK = {
    "referrer": "t.co",
    "utm_source": "newsletter",
    "utm_campaign": "spring",
    "device": "mobile",
    "browser": "Mobile Safari",
    "os": "iOS",
    "country": "US",
}


class FakePlaylists:
    def __init__(self, tracks: dict[str, frozenset[str] | None]) -> None:
        self.tracks = tracks
        self.calls: list[tuple[str, str]] = []

    def track_ids(self, playlist_id: str, owner_id: str) -> frozenset[str] | None:
        self.calls.append((playlist_id, owner_id))
        return self.tracks.get(playlist_id)


@pytest.fixture
def attributor(tables) -> Attributor:
    return Attributor(playlists=FakePlaylists(PLAYLISTS))


def campaign(
    campaign_id: str,
    owner_id: str = "owner-a",
    playlist_id: str = PLAYLIST_1,
    *,
    window_days: int = 28,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Campaign:
    value = Campaign(
        id=campaign_id,
        owner_id=owner_id,
        name=f"Campaign {campaign_id}",
        slug=f"slug{campaign_id}"[:10],
        playlist_id=playlist_id,
        destination_url="https://open.spotify.com/playlist/" + playlist_id,
        attribution_window_days=window_days,
        attribution_model=AttributionModel.LAST_TOUCH,
        starts_at=starts_at,
        ends_at=ends_at,
        status=CampaignStatus.ACTIVE,
        created_at=T0 - timedelta(days=60),
        updated_at=T0 - timedelta(days=60),
    )
    campaign_to_item(value).save()
    return value


def link(
    account_id: str,
    value: Campaign,
    *,
    first: datetime,
    last: datetime | None = None,
    click: dict | None = None,
    baseline: set[str] | None = None,
) -> None:
    for clicked_at in (first, last) if last else (first,):
        with transaction() as writes:
            listeners.connect(
                writes,
                account_id=account_id,
                spotify_user_id=f"user-{account_id}",
                display_name=None,
                sealed_tokens="v1.not-used-here",
                scopes="user-read-recently-played",
                now=clicked_at,
                campaign_id=value.id,
                owner_id=value.owner_id,
                clicked_at=clicked_at,
                window_ends_at=clicked_at + timedelta(days=value.attribution_window_days),
                click=CLICK if click is None else click,
            )
    if baseline:
        item = ListenerLinkItem.get(*ListenerLinkItem.key(account_id, value.id))
        item.update(
            actions=[ListenerLinkItem.baseline_track_ids.set(baseline), ListenerLinkItem.baseline_at.set(first)]
        )


def message(
    account_id: str, played_at: datetime | str, track_id: str = TRACK_IN, context_uri: str | None = None
) -> PlayMessage:
    body = {
        "account_id": account_id,
        "played_at": played_at if isinstance(played_at, str) else played_at.isoformat(),
        "track_id": track_id,
        "track_name": "Song",
        "artists": ["Artist One", "Artist Two"],
        "context_uri": context_uri,
    }
    return PlayMessage.parse(json.loads(json.dumps(body)))


def scan(tables, logical_id: str) -> list[dict]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(tables[logical_id])
    items, start = [], None
    while True:
        page = table.scan(**({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda item: (item["pk"], item["sk"]))


def counters(tables, campaign_id: str) -> dict[str, dict[str, float]]:
    """The campaign's counters summed over their shards: {"TOTAL": {...}, "MODEL#linear#C9": {...}, ...}.
    (The days' people sketches are not counters: tests/handlers/test_people.py reads them.)"""
    summed: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in scan(tables, "StatsTable"):
        if item["pk"] != f"CAMPAIGN#{campaign_id}" or item["sk"].startswith("ROLLUP#") or is_people_key(item["sk"]):
            continue  # ROLLUP#: a settled day's roll-up and its late_writes mark (analytics/rollups.py)
        name, shard = counter_name(item["sk"]), item["sk"].rsplit("#", 1)[1]
        assert 0 <= int(shard) < COUNTER_SHARDS
        for counter, value in item.items():
            if counter in COUNTER_NAMES:
                summed[name][counter] += float(value)
    return {name: {k: round(v, 9) for k, v in values.items()} for name, values in summed.items()}


def attributions(tables, campaign_id: str | None = None) -> list[dict]:
    return [
        item
        for item in scan(tables, "DataTable")
        if item["sk"].startswith("ATTR#") and (campaign_id is None or item["pk"] == f"CAMPAIGN#{campaign_id}")
    ]


def guards(tables) -> list[dict]:
    return [item for item in scan(tables, "DataTable") if item["sk"].startswith("PLAY#")]


# -------------------------------------------------------------- exactly once


def test_every_play_attributed_three_times_in_shuffled_order_counts_exactly_once(tables, attributor):
    """Twin worlds: listener `once` gets each play once in order; `thrice` gets each 3x, shuffled.

    Their campaigns are configured identically, so every summed counter and every attribution must match.
    """
    worlds = {}
    for name in ("once", "thrice"):
        a = campaign(f"{name}-a", "owner-a", PLAYLIST_1)
        b = campaign(f"{name}-b", "owner-a", PLAYLIST_2)
        c = campaign(f"{name}-c", "owner-b", PLAYLIST_2)
        account = f"listener-{name}"
        link(account, a, first=T0 - timedelta(days=3), last=T0 - timedelta(hours=2))
        link(account, b, first=T0 - timedelta(days=1), baseline={TRACK_IN_2})
        link(account, c, first=T0 - timedelta(hours=5), click={"referrer": "instagram.com"})
        worlds[name] = (account, (a.id, b.id, c.id))

    def plays(account):
        return [
            message(account, T0 + timedelta(minutes=1), TRACK_IN, f"spotify:playlist:{PLAYLIST_1}"),
            message(account, T0 + timedelta(minutes=5, milliseconds=123), TRACK_IN),
            message(account, T0 + timedelta(hours=2), TRACK_IN_2, "spotify:album:xyz"),
            message(account, T0 + timedelta(days=2), TRACK_OUT),  # matches nothing
            message(account, T0 + timedelta(days=2, minutes=3), TRACK_IN_2, f"spotify:playlist:{PLAYLIST_2}"),
        ]

    repeated = plays("listener-thrice") * 3
    random.Random(20260301).shuffle(repeated)  # noqa: S311 - a seeded order, not a secret
    # The twin gets each play once, in the order the shuffled plays first arrive: the listener's
    # first attributed play (which the hour, track and confidence counters count as `listeners`)
    # is then the same play in both worlds.
    order = list(dict.fromkeys(play.played_iso for play in repeated))
    by_time = {play.played_iso: play for play in plays("listener-once")}
    once_outcomes = [attributor.attribute(by_time[played_iso]).result for played_iso in order]
    assert sorted(once_outcomes) == ["attributed"] * 4 + ["not_attributed"]

    results = defaultdict(list)
    for play in repeated:
        results[play.played_iso].append(attributor.attribute(play).result)
    for outcomes in results.values():
        if outcomes[0] == "not_attributed":
            assert outcomes == ["not_attributed"] * 3
        else:
            assert outcomes == ["attributed", "duplicate", "duplicate"]

    for once_id, thrice_id in zip(worlds["once"][1], worlds["thrice"][1], strict=True):
        assert counters(tables, once_id) == counters(tables, thrice_id)
        assert counters(tables, once_id)  # not trivially empty

        def comparable(items):
            return sorted(
                (
                    i["sk"].split("#")[1],
                    i["track_id"],
                    i["confidence"],
                    i["reasons"],
                    json.dumps(i["credit"], default=str),
                )
                for i in items
            )

        assert comparable(attributions(tables, once_id)) == comparable(attributions(tables, thrice_id))
    # One attribution per (play, campaign) and one guard per (play, owner): 4 attributed plays.
    # Per world: plays 1 and 2 -> a, b, c; plays 3 and 5 -> b, c (10 attributions);
    # one guard per attributed play and owner: plays 1, 2, 3, 5 x owner-a, owner-b (8 guards).
    assert len(attributions(tables)) == 2 * 10
    assert len(guards(tables)) == 2 * 8


def test_a_repeated_play_changes_no_item_at_all(tables, attributor):
    a = campaign("c-a")
    link("acct", a, first=T0 - timedelta(hours=1))
    play = message("acct", T0, TRACK_IN)
    assert attributor.attribute(play) == Outcome("attributed", 1)
    before = (scan(tables, "DataTable"), scan(tables, "StatsTable"))
    for _ in range(3):
        assert attributor.attribute(play) == Outcome("duplicate", 0)
    assert (scan(tables, "DataTable"), scan(tables, "StatsTable")) == before


# ---------------------------------------------------------- unique listeners


def test_a_listener_counts_once_per_campaign_across_many_plays_and_campaigns(tables, attributor):
    a = campaign("c-a", "owner-a", PLAYLIST_1)
    b = campaign("c-b", "owner-b", PLAYLIST_2)
    for account in ("acct-1", "acct-2"):
        link(account, a, first=T0 - timedelta(days=1))
        link(account, b, first=T0 - timedelta(days=1))
    plays = [message("acct-1", T0 + timedelta(minutes=i), TRACK_IN) for i in range(12)]
    random.Random(7).shuffle(plays)  # noqa: S311 - a seeded order, not a secret
    for play in plays:
        assert attributor.attribute(play).result == "attributed"

    for campaign_id in ("c-a", "c-b"):
        total = counters(tables, campaign_id)["TOTAL"]
        assert total["listeners"] == 1
        assert total["attributed_plays"] == 12
        first = ListenerLinkItem.get(*ListenerLinkItem.key("acct-1", campaign_id)).first_attributed_at
        assert first == plays[0].played_at  # the first play attributed, whatever its time

    assert attributor.attribute(message("acct-2", T0 + timedelta(hours=1), TRACK_IN)).result == "attributed"
    assert counters(tables, "c-a")["TOTAL"]["listeners"] == 2
    assert counters(tables, "c-b")["TOTAL"]["listeners"] == 2
    # The listener is counted in the play's hour and click dimensions too, once.
    assert counters(tables, "c-a")["DIM#referrer#t.co"]["listeners"] == 2
    assert counters(tables, "c-a")["HOUR#2026-03-01T12"]["listeners"] == 1


# --------------------------------------------------------- nothing is stored


def test_plays_outside_every_window_or_of_unknown_listeners_store_nothing(tables, attributor):
    a = campaign("c-a", window_days=7)
    first, last = T0 - timedelta(days=2), T0
    link("acct", a, first=first, last=last)
    items_before = scan(tables, "DataTable")

    cases = [
        (message("acct", first - timedelta(hours=1)), "no_open_window"),  # before the first click
        (message("acct", first), "no_open_window"),  # at the first click: baseline, not a result of it
        (message("acct", last + timedelta(days=7) + MS), "no_open_window"),  # after the window
        (message("nobody", T0 + timedelta(hours=1)), "gone"),  # unknown listener
        (message("acct", T0 + timedelta(hours=1), TRACK_OUT), "not_attributed"),  # not the playlist's
        (message("acct", T0 + timedelta(hours=1), TRACK_IN_2, "spotify:album:1"), "not_attributed"),
    ]
    for play, result in cases:
        assert attributor.attribute(play) == Outcome(result)

    assert scan(tables, "DataTable") == items_before
    assert scan(tables, "StatsTable") == []


def test_window_bounds_are_exclusive_at_the_first_click_and_inclusive_at_the_end(tables, attributor):
    a = campaign("c-a", window_days=7)
    link("acct", a, first=T0 - timedelta(days=2), last=T0)
    assert attributor.attribute(message("acct", T0 - timedelta(days=2) + MS)).result == "attributed"
    assert attributor.attribute(message("acct", T0 + timedelta(days=7))).result == "attributed"
    assert len(attributions(tables)) == 2


def test_campaign_dates_bound_the_window(tables, attributor):
    a = campaign("c-a", starts_at=T0, ends_at=T0 + timedelta(days=1))
    link("acct", a, first=T0 - timedelta(days=1))
    assert attributor.attribute(message("acct", T0 - MS)).result == "no_open_window"
    assert attributor.attribute(message("acct", T0 + timedelta(days=1))).result == "no_open_window"  # ends_at excl.
    assert attributor.attribute(message("acct", T0)).result == "attributed"
    assert attributor.attribute(message("acct", T0 + timedelta(days=1) - MS)).result == "attributed"


def test_a_link_to_a_deleted_campaign_is_ignored(tables, attributor):
    a = campaign("c-a")
    link("acct", a, first=T0 - timedelta(hours=1))
    ghost = campaign("c-ghost")
    link("acct", ghost, first=T0 - timedelta(hours=1))
    CampaignItem.get(*CampaignItem.key(ghost.id)).delete()
    assert attributor.attribute(message("acct", T0)) == Outcome("attributed", 1)
    assert [item["campaign_id"] for item in attributions(tables)] == ["c-a"]


def test_an_unreadable_playlist_counts_only_plays_from_it(tables):
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_1: None}))
    a = campaign("c-a")
    link("acct", a, first=T0 - timedelta(minutes=30))
    assert attributor.attribute(message("acct", T0, TRACK_IN)).result == "not_attributed"
    assert attributor.attribute(message("acct", T0 + MS, TRACK_IN, f"spotify:playlist:{PLAYLIST_1}")).result == (
        "attributed"
    )
    (item,) = attributions(tables)
    assert item["reasons"].split() == [
        Reason.CAMPAIGN_PLAYLIST_CONTEXT.value,
        Reason.PLAYLIST_UNREADABLE.value,
        Reason.CLICK_WITHIN_1H.value,
    ]


# ------------------------------------------------------------- the message


def good_body(**changes) -> dict:
    body = {"account_id": "acct", "played_at": "2026-03-01T12:00:00.123Z", "track_id": TRACK_IN}
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "body",
    [
        good_body(played_at="2026-03-01T12:00:00.123"),  # no timezone
        good_body(played_at="2026-03-01T12:00:00"),
        good_body(track_id=""),
        good_body(track_id=None),
        good_body(track_id=123),
        good_body(account_id=None),
        good_body(account_id=""),
        good_body(played_at="yesterday"),
        good_body(played_at=1772366400123),
    ],
    ids=[
        "naive-ms",
        "naive",
        "empty-track",
        "null-track",
        "numeric-track",
        "null-account",
        "empty-account",
        "not-a-time",
        "unix-ms",
    ],
)
def test_parse_refuses_malformed_messages(body):
    with pytest.raises((ValueError, TypeError)):
        PlayMessage.parse(body)


@pytest.mark.parametrize("body", [[], "play", None, 42, ["account_id"]])
def test_parse_refuses_what_is_not_an_object(body):
    with pytest.raises((ValueError, TypeError, KeyError)):
        PlayMessage.parse(body)


@pytest.mark.parametrize("missing", ["account_id", "played_at", "track_id"])
def test_parse_refuses_a_missing_field(missing):
    body = good_body()
    del body[missing]
    with pytest.raises(KeyError):
        PlayMessage.parse(body)


def test_parse_keeps_the_optional_fields():
    play = PlayMessage.parse(good_body(track_name="Song", artists=["A", "B"], context_uri="spotify:album:1"))
    assert (play.track_name, play.artists, play.context_uri) == ("Song", ("A", "B"), "spotify:album:1")
    bare = PlayMessage.parse(good_body())
    assert (bare.track_name, bare.artists, bare.context_uri) == (None, (), None)


SPELLINGS = [
    "2026-03-01T12:00:00.123Z",
    "2026-03-01T12:00:00.123+00:00",
    "2026-03-01T12:00:00.123000+00:00",
    "2026-03-01T12:00:00.123456+00:00",
    "2026-03-01T12:00:00.123999Z",
    "2026-03-01T13:00:00.123+01:00",
    "2026-03-01T06:30:00.123456-05:30",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_one_moment_has_the_same_millisecond_key(spelling):
    play = PlayMessage.parse(good_body(played_at=spelling))
    assert play.played_at == datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert play.played_at.tzinfo is UTC
    assert play.played_iso == "2026-03-01T12:00:00.123+00:00"


def test_a_whole_second_keeps_its_milliseconds_in_the_key():
    for spelling in ("2026-03-01T12:00:00Z", "2026-03-01T12:00:00+00:00", "2026-03-01T12:00:00.000400+00:00"):
        assert PlayMessage.parse(good_body(played_at=spelling)).played_iso == "2026-03-01T12:00:00.000+00:00"


def test_spellings_of_one_play_attribute_it_once(tables, attributor):
    a = campaign("c-a")
    link("acct", a, first=T0 - timedelta(hours=1))
    results = [attributor.attribute(PlayMessage.parse(good_body(played_at=s))).result for s in SPELLINGS]
    assert results == ["attributed"] + ["duplicate"] * (len(SPELLINGS) - 1)
    (item,) = attributions(tables)
    assert item["sk"] == "ATTR#2026-03-01T12:00:00.123+00:00#acct"
    (guard,) = guards(tables)
    assert guard["sk"] == "PLAY#2026-03-01T12:00:00.123+00:00#owner-a"
    total = counters(tables, "c-a")["TOTAL"]
    assert (total["attributed_plays"], total["listeners"]) == (1, 1)


# ------------------------------------------------------------ what is stored


def test_an_attribution_holds_the_play_its_confidence_reasons_and_credit(tables, attributor):
    a = campaign("c-a", playlist_id=PLAYLIST_1)
    link("acct", a, first=T0 - timedelta(hours=1), baseline={TRACK_IN})
    play = message("acct", T0, TRACK_IN, f"spotify:playlist:{PLAYLIST_1}")
    assert attributor.attribute(play) == Outcome("attributed", 1)

    (item,) = attributions(tables)
    assert item["pk"] == "CAMPAIGN#c-a" and item["sk"] == f"ATTR#{play.played_iso}#acct"
    assert item["gsi2pk"] == "LISTENER#acct" and item["gsi2sk"] == f"ATTR#c-a#{play.played_iso}"
    assert item["listener_key"] == listener_key("c-a", "acct") != listener_key("c-b", "acct")
    assert "acct" not in item["listener_key"]
    assert item["track_id"] == TRACK_IN and item["track_name"] == "Song"
    assert item["artists"] == "Artist One, Artist Two"
    assert item["context_uri"] == f"spotify:playlist:{PLAYLIST_1}"
    # 1.0 (context) x 0.5 (baseline) x decay after 1 h of a 28-day window.
    expected = round(1.0 * 0.5 * (1 - 0.5 * (1 / (28 * 24))), 3)
    assert float(item["confidence"]) == expected
    assert item["reasons"].split() == [
        Reason.CAMPAIGN_PLAYLIST_CONTEXT.value,
        Reason.IN_BASELINE.value,
        Reason.CLICK_WITHIN_1H.value,
    ]
    assert {model: float(share) for model, share in item["credit"].items()} == dict.fromkeys(MODELS, 1.0)
    totals = counters(tables, "c-a")
    assert (totals["TOTAL"]["attributed_plays"], totals["TOTAL"]["listeners"]) == (1, 1)
    assert totals[f"TRACK#{TRACK_IN}"]["attributed_plays"] == 1
    assert totals["HOUR#2026-03-01T12"]["attributed_plays"] == 1
    conf = bucket(expected)
    assert conf == 5
    assert totals[f"CONF#{conf}"]["attributed_plays"] == 1
    assert totals["DIM#country#US"]["attributed_plays"] == 1
    assert totals["DIM#referrer#t.co"]["attributed_plays"] == 1
    for model in MODELS:
        assert totals[f"MODEL#{model}#C{conf}"] == {"streams": 1.0, "weighted_streams": expected}


# ----------------------------------------------------- transaction size, credit


def test_a_play_of_many_campaigns_of_one_owner_credits_the_five_most_recent_within_100_items(
    tables, attributor, transactions
):
    ids = [f"c-{i}" for i in range(8)]
    for i, campaign_id in enumerate(ids):
        link("acct", campaign(campaign_id, "owner-a"), first=T0 - timedelta(hours=10 - i))  # c-7 clicked last
    transactions.clear()

    outcome = attributor.attribute(message("acct", T0, TRACK_IN))

    assert outcome == Outcome("attributed", MAX_CAMPAIGNS_PER_OWNER)
    assert sorted(item["campaign_id"] for item in attributions(tables)) == ids[-MAX_CAMPAIGNS_PER_OWNER:]
    assert len(transactions) == 1
    assert 0 < len(transactions[0]) <= 100
    # Attribute the next play too: links already have their first attribution, so it is smaller.
    attributor.attribute(message("acct", T0 + timedelta(minutes=1), TRACK_IN))
    assert len(transactions[1]) < len(transactions[0]) <= 100


def test_campaigns_of_several_owners_each_get_a_whole_play_per_model(tables, attributor, transactions):
    owners = {"owner-a": ["a1", "a2", "a3"], "owner-b": ["b1", "b2"], "owner-c": ["c1"]}
    hours = iter(range(1, 20))
    for owner, campaign_ids in owners.items():
        for campaign_id in campaign_ids:
            value = campaign(campaign_id, owner, PLAYLIST_2)
            first = T0 - timedelta(days=next(hours))
            link("acct", value, first=first, last=first + timedelta(hours=12))
    play = message("acct", T0, TRACK_IN_2)
    transactions.clear()

    assert attributor.attribute(play) == Outcome("attributed", 6)

    assert len(transactions) == 3  # one per owner
    for owner, campaign_ids in owners.items():
        rows = [item for item in attributions(tables) if item["owner_id"] == owner]
        assert sorted(row["campaign_id"] for row in rows) == campaign_ids
        for model in MODELS:
            credits = [float(row["credit"][model]) for row in rows]
            assert math.isclose(sum(credits), 1.0, abs_tol=1e-5), (owner, model, credits)
            assert all(0.0 <= share <= 1.0 for share in credits)
            streams = sum(
                values.get("streams", 0.0)
                for campaign_id in campaign_ids
                for name, values in counters(tables, campaign_id).items()
                if name.startswith(f"MODEL#{model}#")
            )
            assert math.isclose(streams, 1.0, abs_tol=1e-6), (owner, model, streams)
        assert sum(float(row["credit"]["last_touch"]) == 1.0 for row in rows) == 1
        assert sum(float(row["credit"]["first_touch"]) == 1.0 for row in rows) == 1
    # last touch: the most recent click of each owner; first touch: the earliest first click.
    by_id = {item["campaign_id"]: item for item in attributions(tables)}
    assert float(by_id["a1"]["credit"]["last_touch"]) == 1.0 and float(by_id["a3"]["credit"]["first_touch"]) == 1.0
    assert float(by_id["b1"]["credit"]["last_touch"]) == 1.0 and float(by_id["b2"]["credit"]["first_touch"]) == 1.0
    assert float(by_id["c1"]["credit"]["linear"]) == 1.0
