"""The counters owners read, as the Attributor moves them: listeners, new listeners and
per-track listeners over several tracks and listeners, the play guard, and the retry of a
lost race on a listener's first attribution (moto; playlists from a fake)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from soundlink.attribution import service
from soundlink.attribution.service import GUARD_LIFETIME, Attributor, Outcome
from soundlink.platform.tables import CampaignItem, ListenerLinkItem
from tests.handlers.test_attribution_service import (
    PLAYLIST_1,
    PLAYLIST_2,
    T0,
    TRACK_IN,
    TRACK_IN_2,
    FakePlaylists,
    attributions,
    campaign,
    counters,
    guards,
    link,
    message,
)

TRACK_3 = "1301WleyT98MSxVHPZCA6M"  # on playlist 2 only
PLAYLISTS = {PLAYLIST_1: frozenset({TRACK_IN}), PLAYLIST_2: frozenset({TRACK_IN, TRACK_IN_2, TRACK_3})}


@pytest.fixture
def attributor(tables) -> Attributor:
    return Attributor(playlists=FakePlaylists(PLAYLISTS))


def total(tables, campaign_id: str, name: str) -> float:
    return counters(tables, campaign_id).get("TOTAL", {}).get(name, 0.0)


def track_listeners(tables, campaign_id: str) -> dict[str, tuple[float, float]]:
    """{track_id: (attributed_plays, listeners)} from the campaign's TRACK# counters."""
    return {
        name.split("#", 1)[1]: (values.get("attributed_plays", 0.0), values.get("listeners", 0.0))
        for name, values in counters(tables, campaign_id).items()
        if name.startswith("TRACK#")
    }


def test_several_tracks_per_listener_and_several_listeners_per_track(tables, attributor):
    b = campaign("c-b", "owner-a", PLAYLIST_2)
    for account in ("acct-1", "acct-2", "acct-3"):
        link(account, b, first=T0 - timedelta(hours=1))
    # acct-1 plays three tracks, some again; acct-2 two of them; acct-3 one, often.
    played = {
        "acct-1": [TRACK_IN, TRACK_IN_2, TRACK_IN_2, TRACK_3, TRACK_IN, TRACK_3],
        "acct-2": [TRACK_IN_2, TRACK_IN, TRACK_IN_2],
        "acct-3": [TRACK_3, TRACK_3, TRACK_3, TRACK_3],
    }
    plays = [
        message(account, T0 + timedelta(minutes=i, seconds=n), track)
        for n, (account, tracks) in enumerate(played.items())
        for i, track in enumerate(tracks)
    ]
    random.Random(14).shuffle(plays)  # noqa: S311 - a seeded order, not a secret
    for play in plays:
        assert attributor.attribute(play).result == "attributed"

    assert track_listeners(tables, "c-b") == {TRACK_IN: (3, 2), TRACK_IN_2: (4, 2), TRACK_3: (6, 2)}
    assert total(tables, "c-b", "listeners") == 3
    assert total(tables, "c-b", "new_listeners") == 3
    assert total(tables, "c-b", "attributed_plays") == 13
    for account, tracks in played.items():
        item = ListenerLinkItem.get(*ListenerLinkItem.key(account, "c-b"))
        assert item.attributed_tracks == set(tracks)


def test_new_listeners_count_once_and_never_a_listener_who_played_the_campaigns_tracks_before(tables, attributor):
    b = campaign("c-b", "owner-a", PLAYLIST_2)
    link("fresh", b, first=T0 - timedelta(hours=1))
    link("fan", b, first=T0 - timedelta(hours=1), baseline={TRACK_3, "0ther0ther0ther0ther00"})
    link("stranger", b, first=T0 - timedelta(hours=1), baseline={"0ther0ther0ther0ther00"})
    for i in range(4):
        for account in ("fresh", "fan", "stranger"):
            track = (TRACK_IN, TRACK_IN_2)[i % 2]
            assert attributor.attribute(message(account, T0 + timedelta(minutes=i), track)).result == "attributed"

    assert total(tables, "c-b", "listeners") == 3
    # `fan` had played one of the campaign's tracks before clicking: a listener, not a new one.
    assert total(tables, "c-b", "new_listeners") == 2
    assert counters(tables, "c-b")["DIM#referrer#t.co"]["new_listeners"] == 2


def test_without_a_readable_playlist_a_new_listener_is_judged_by_the_track_played(tables):
    attributor = Attributor(playlists=FakePlaylists({PLAYLIST_1: None}))
    a = campaign("c-a", "owner-a", PLAYLIST_1)
    context = f"spotify:playlist:{PLAYLIST_1}"
    link("knew-it", a, first=T0 - timedelta(hours=1), baseline={TRACK_IN})
    link("knew-other", a, first=T0 - timedelta(hours=1), baseline={TRACK_IN_2})
    for account in ("knew-it", "knew-other"):
        assert attributor.attribute(message(account, T0, TRACK_IN, context)).result == "attributed"
    assert total(tables, "c-a", "listeners") == 2
    assert total(tables, "c-a", "new_listeners") == 1


def test_the_play_guard_outlives_any_redelivery(tables, attributor):
    a = campaign("c-a")
    link("acct", a, first=T0 - timedelta(hours=1))
    attributor.attribute(message("acct", T0))
    (guard,) = guards(tables)
    assert int(guard["expires_at"]) == int((T0 + GUARD_LIFETIME).timestamp())
    assert timedelta(days=14) <= GUARD_LIFETIME


def test_a_re_read_play_is_not_credited_again_when_the_campaigns_it_matches_changed(tables):
    """First it matched campaign A only; by the re-read A is gone and B (same owner) matches:
    the play guard, not the attributions, says it was counted."""
    playlists = FakePlaylists({PLAYLIST_1: frozenset({TRACK_IN}), PLAYLIST_2: frozenset()})
    a = campaign("c-a", "owner-a", PLAYLIST_1)
    b = campaign("c-b", "owner-a", PLAYLIST_2)
    link("acct", a, first=T0 - timedelta(hours=2))
    link("acct", b, first=T0 - timedelta(hours=1))
    play = message("acct", T0, TRACK_IN)
    assert Attributor(playlists=playlists).attribute(play) == Outcome("attributed", 1)

    playlists.tracks[PLAYLIST_2] = frozenset({TRACK_IN})  # the track was added to B's playlist
    CampaignItem.get(*CampaignItem.key(a.id)).delete()
    assert Attributor(playlists=playlists).attribute(play) == Outcome("duplicate", 0)

    assert [item["campaign_id"] for item in attributions(tables)] == ["c-a"]
    assert counters(tables, "c-b") == {}


def test_a_lost_race_on_the_first_attribution_is_retried_with_fresh_reads(tables, attributor, monkeypatch):
    a = campaign("c-a")
    link("acct", a, first=T0 - timedelta(hours=1))
    stale = service.links_of("acct")  # read before another play set the link's first attribution
    assert attributor.attribute(message("acct", T0)).result == "attributed"
    reads = []
    real = service.links_of

    def first_read_stale(account_id):
        reads.append(account_id)
        return stale if len(reads) == 1 else real(account_id)

    monkeypatch.setattr(service, "links_of", first_read_stale)

    assert attributor.attribute(message("acct", T0 + timedelta(minutes=1))) == Outcome("attributed", 1)

    assert len(reads) == 2
    assert total(tables, "c-a", "listeners") == 1
    assert total(tables, "c-a", "attributed_plays") == 2


def test_a_race_lost_on_every_attempt_fails_the_message_and_writes_nothing(tables, attributor, monkeypatch):
    a = campaign("c-a")
    link("acct", a, first=T0 - timedelta(hours=1))
    stale = service.links_of("acct")
    attributor.attribute(message("acct", T0))
    before = counters(tables, "c-a")
    monkeypatch.setattr(service, "links_of", lambda account_id: stale)

    with pytest.raises(RuntimeError, match="SQS will retry"):
        attributor.attribute(message("acct", T0 + timedelta(minutes=1)))

    assert counters(tables, "c-a") == before
    assert len(attributions(tables)) == 1
