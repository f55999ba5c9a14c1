"""The attribution rules (soundlink/attribution/rules.py): windows, confidence, credit, buckets.

Pure functions only: every rule and its boundaries (equal bounds, one
microsecond either side, empty inputs, ties), plus a seeded random check of
the invariants (credits sum to 1 per owner and model, confidence in [0, 1]).
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soundlink.attribution.rules import (
    BASE_CONFIDENCE,
    BASELINE_FACTOR,
    CLICK_REASONS,
    CONFIDENCE_BUCKETS,
    DECAY_AT_WINDOW_END,
    MAX_CAMPAIGNS_PER_OWNER,
    MODELS,
    RULES_TABLE,
    TIME_DECAY_HALF_LIFE,
    CampaignWindow,
    Match,
    PlayFacts,
    Reason,
    attribute,
    bucket,
    confidence,
    credit,
    in_window,
    is_baseline,
    last_click_before,
)
from soundlink.campaigns.campaign import AttributionModel

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
PLAYLIST = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
OTHER_PLAYLIST = "spotify:playlist:0000000000000000000000"
TRACKS = frozenset({"t1", "t2"})
CLICK = {Reason.CLICK_WITHIN_1H, Reason.CLICK_WITHIN_1D, Reason.CLICK_WITHIN_7D, Reason.CLICK_EARLIER}
BASES = {Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.PLAYLIST_TRACK_NO_CONTEXT, Reason.PLAYLIST_TRACK_OTHER_CONTEXT}


def window(**fields) -> CampaignWindow:
    """By default: clicked 2 days before T0 and again at T0, 28-day window, no dates, empty baseline."""
    values = {
        "campaign_id": "c1",
        "owner_id": "o1",
        "playlist_uri": PLAYLIST,
        "window_days": 28,
        "starts_at": None,
        "ends_at": None,
        "first_click_at": T0 - timedelta(days=2),
        "last_click_at": T0,
        "baseline_track_ids": frozenset(),
    }
    values.update(fields)
    return CampaignWindow(**values)


def play(track_id="t1", played_at=T0, context_uri=None) -> PlayFacts:
    return PlayFacts(track_id, played_at, context_uri)


def pair(campaign_id, owner_id="o1", *, first, last=None, confidence=0.5) -> tuple[Match, CampaignWindow]:
    w = window(campaign_id=campaign_id, owner_id=owner_id, first_click_at=first, last_click_at=last or first)
    return Match(campaign_id, owner_id, confidence, (Reason.CAMPAIGN_PLAYLIST_CONTEXT,)), w


def credits_by_id(matches: list[Match]) -> dict[str, dict[str, float]]:
    return {m.campaign_id: m.credit for m in matches}


def assert_sums_to_one(matches: list[Match]) -> None:
    for model in MODELS:
        assert math.isclose(sum(m.credit[model] for m in matches), 1.0, rel_tol=0, abs_tol=1e-9), model


# --- constants ---------------------------------------------------------------------------------------------------


def test_models_are_the_campaign_attribution_models():
    assert tuple(model.value for model in AttributionModel) == MODELS


def test_reasons_keep_their_stored_values_in_evaluation_order():
    assert [r.value for r in Reason] == [
        "played_from_campaign_playlist",
        "playlist_track_no_context",
        "playlist_track_other_context",
        "playlist_unreadable_context_only",
        "track_in_listener_baseline",
        "clicked_within_1h",
        "clicked_within_1d",
        "clicked_within_7d",
        "clicked_over_7d_ago",
    ]


def test_documented_constants():
    assert timedelta(days=7) == TIME_DECAY_HALF_LIFE
    assert MAX_CAMPAIGNS_PER_OWNER == 5
    assert CONFIDENCE_BUCKETS == 10
    assert BASE_CONFIDENCE == {
        Reason.CAMPAIGN_PLAYLIST_CONTEXT: 1.0,
        Reason.PLAYLIST_TRACK_NO_CONTEXT: 0.7,
        Reason.PLAYLIST_TRACK_OTHER_CONTEXT: 0.4,
    }
    assert BASELINE_FACTOR == 0.5
    assert DECAY_AT_WINDOW_END == 0.5
    assert [bound for bound, _ in CLICK_REASONS] == [timedelta(hours=1), timedelta(days=1), timedelta(days=7)]


def test_module_imports_only_the_standard_library():
    functions = Path(__file__).resolve().parents[2] / "functions"
    code = (
        "import sys; before = set(sys.modules); import soundlink.attribution.rules; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=functions, capture_output=True, text=True, check=True
    ).stdout.split()
    foreign = {
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "soundlink"
    }
    assert not foreign
    assert {name for name in loaded if name.startswith("soundlink")} == {
        "soundlink",
        "soundlink.attribution",
        "soundlink.attribution.rules",
    }


# --- in_window / is_baseline -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("played_at", "inside"),
    [
        (T0 - timedelta(days=2) - US, False),  # before the first click
        (T0 - timedelta(days=2), False),  # at the first click: not after it
        (T0 - timedelta(days=2) + US, True),
        (T0 - timedelta(days=1), True),  # between the first and the last click
        (T0, True),  # at the last click
        (T0 + timedelta(days=28) - US, True),
        (T0 + timedelta(days=28), True),  # exactly last click + window: inside
        (T0 + timedelta(days=28) + US, False),
    ],
)
def test_in_window_click_bounds(played_at, inside):
    assert in_window(window(), played_at) is inside


def test_in_window_counts_the_window_from_the_last_click():
    w = window(first_click_at=T0 - timedelta(days=40), last_click_at=T0 - timedelta(days=1), window_days=7)
    assert in_window(w, T0 + timedelta(days=6))
    assert not in_window(w, T0 + timedelta(days=6) + US)
    assert in_window(w, T0 - timedelta(days=39))  # long before last click, yet after the first: inside


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "inside"),
    [
        (None, None, True),
        (T0, None, True),  # starts_at == played_at: inclusive
        (T0 + US, None, False),
        (T0 - US, None, True),
        (None, T0, False),  # ends_at == played_at: exclusive
        (None, T0 + US, True),
        (None, T0 - US, False),
        (T0, T0 + US, True),  # the narrowest window holding the play
        (T0, T0, False),  # empty campaign dates
    ],
)
def test_in_window_campaign_dates(starts_at, ends_at, inside):
    assert in_window(window(starts_at=starts_at, ends_at=ends_at), T0) is inside


def test_in_window_zero_days_only_between_clicks():
    w = window(window_days=0)
    assert in_window(w, T0)  # at the last click
    assert not in_window(w, T0 + US)


@pytest.mark.parametrize(
    ("played_at", "baseline"),
    [
        (T0 - timedelta(days=30), True),
        (T0 - timedelta(days=2) - US, True),
        (T0 - timedelta(days=2), True),  # at the first click: still baseline
        (T0 - timedelta(days=2) + US, False),
        (T0, False),
    ],
)
def test_is_baseline(played_at, baseline):
    assert is_baseline(window(), played_at) is baseline


def test_baseline_and_window_never_overlap_and_meet_at_the_first_click():
    w = window()
    for offset in (-US, timedelta(0), US):
        at = w.first_click_at + offset
        assert not (is_baseline(w, at) and in_window(w, at))
    assert is_baseline(w, w.first_click_at)
    assert in_window(w, w.first_click_at + US)


def test_last_click_before():
    assert last_click_before(window(), T0) == T0
    assert last_click_before(window(), T0 + US) == T0
    assert last_click_before(window(), T0 - US) == T0 - timedelta(days=2)


# --- confidence: how the play matched ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("track_id", "context_uri", "tracks", "expected"),
    [
        ("t1", PLAYLIST, TRACKS, (1.0, (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_WITHIN_1H))),
        ("zz", PLAYLIST, TRACKS, (1.0, (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_WITHIN_1H))),
        ("t1", PLAYLIST, frozenset(), (1.0, (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_WITHIN_1H))),
        ("t1", None, TRACKS, (0.7, (Reason.PLAYLIST_TRACK_NO_CONTEXT, Reason.CLICK_WITHIN_1H))),
        ("t1", OTHER_PLAYLIST, TRACKS, (0.4, (Reason.PLAYLIST_TRACK_OTHER_CONTEXT, Reason.CLICK_WITHIN_1H))),
        ("t1", "spotify:album:abc", TRACKS, (0.4, (Reason.PLAYLIST_TRACK_OTHER_CONTEXT, Reason.CLICK_WITHIN_1H))),
        ("zz", None, TRACKS, None),  # not a playlist track, no context
        ("zz", OTHER_PLAYLIST, TRACKS, None),
        ("t1", None, frozenset(), None),  # empty playlist
    ],
)
def test_base_reasons(track_id, context_uri, tracks, expected):
    assert confidence(window(), play(track_id, T0, context_uri), tracks) == expected


def test_reasons_are_plain_strings():
    _, reasons = confidence(window(), play(context_uri=PLAYLIST), TRACKS)
    assert all(type(reason) is str for reason in reasons)
    assert reasons == ("played_from_campaign_playlist", "clicked_within_1h")


def test_unreadable_playlist_with_context_match():
    assert confidence(window(), play(context_uri=PLAYLIST), None) == (
        1.0,
        (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.PLAYLIST_UNREADABLE, Reason.CLICK_WITHIN_1H),
    )


@pytest.mark.parametrize("context_uri", [None, OTHER_PLAYLIST])
def test_unreadable_playlist_without_context_match(context_uri):
    assert confidence(window(), play("t1", T0, context_uri), None) is None


def test_readable_playlist_never_says_unreadable():
    _, reasons = confidence(window(), play(context_uri=PLAYLIST), TRACKS)
    assert Reason.PLAYLIST_UNREADABLE not in reasons


@pytest.mark.parametrize(
    "played_at",
    [T0 - timedelta(days=2), T0 - timedelta(days=3), T0 + timedelta(days=28) + US],
)
def test_no_match_outside_the_window_even_from_the_playlist(played_at):
    assert confidence(window(), play("t1", played_at, PLAYLIST), TRACKS) is None


def test_no_match_outside_campaign_dates():
    assert confidence(window(ends_at=T0), play(context_uri=PLAYLIST), TRACKS) is None
    assert confidence(window(starts_at=T0 + US), play(context_uri=PLAYLIST), TRACKS) is None


@pytest.mark.parametrize(
    ("context_uri", "tracks", "expected", "base"),
    [
        (PLAYLIST, TRACKS, 0.5, Reason.CAMPAIGN_PLAYLIST_CONTEXT),
        (None, TRACKS, 0.35, Reason.PLAYLIST_TRACK_NO_CONTEXT),
        (OTHER_PLAYLIST, TRACKS, 0.2, Reason.PLAYLIST_TRACK_OTHER_CONTEXT),
    ],
)
def test_baseline_halves(context_uri, tracks, expected, base):
    w = window(baseline_track_ids=frozenset({"t1"}))
    assert confidence(w, play("t1", T0, context_uri), tracks) == (
        expected,
        (base, Reason.IN_BASELINE, Reason.CLICK_WITHIN_1H),
    )


def test_baseline_of_another_track_does_not_halve():
    w = window(baseline_track_ids=frozenset({"t2"}))
    assert confidence(w, play("t1", T0, PLAYLIST), TRACKS) == (
        1.0,
        (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_WITHIN_1H),
    )


def test_all_reasons_in_evaluation_order():
    w = window(baseline_track_ids=frozenset({"t1"}))
    _, reasons = confidence(w, play("t1", T0 + timedelta(days=10), PLAYLIST), None)
    assert reasons == (
        Reason.CAMPAIGN_PLAYLIST_CONTEXT,
        Reason.PLAYLIST_UNREADABLE,
        Reason.IN_BASELINE,
        Reason.CLICK_EARLIER,
    )
    order = list(Reason)
    assert [order.index(r) for r in reasons] == sorted(order.index(r) for r in reasons)


# --- confidence: decay since the last click ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "factor"),
    [
        (timedelta(0), 1.0),  # at the click
        (timedelta(days=14), 0.75),  # half the 28-day window
        (timedelta(days=21), 0.625),
        (timedelta(days=28), 0.5),  # the window's end
    ],
)
@pytest.mark.parametrize("base_context", [PLAYLIST, None, OTHER_PLAYLIST])
def test_decay_over_the_window(elapsed, factor, base_context):
    base = {PLAYLIST: 1.0, None: 0.7, OTHER_PLAYLIST: 0.4}[base_context]
    value, _ = confidence(window(), play("t1", T0 + elapsed, base_context), TRACKS)
    assert value == round(base * factor, 3)


def test_decay_beyond_the_window_stays_at_half():
    # The last click came after the play: the decay runs from the first click, 40 days before, with a 28-day window.
    w = window(first_click_at=T0 - timedelta(days=40), last_click_at=T0 + timedelta(days=1))
    assert in_window(w, T0)
    assert confidence(w, play(context_uri=PLAYLIST), TRACKS) == (
        0.5,
        (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_EARLIER),
    )


def test_decay_runs_from_the_first_click_when_the_last_came_after_the_play():
    w = window(first_click_at=T0 - timedelta(days=1), last_click_at=T0 + US)
    assert confidence(w, play(context_uri=PLAYLIST), TRACKS) == (
        round(1.0 - 0.5 / 28, 3),
        (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_WITHIN_1D),
    )


def test_decay_with_a_zero_day_window_is_already_at_half():
    w = window(window_days=0, first_click_at=T0 - timedelta(hours=2), last_click_at=T0 + timedelta(hours=1))
    assert confidence(w, play(context_uri=PLAYLIST), TRACKS) == (
        0.5,
        (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_WITHIN_1D),
    )


def test_confidence_is_rounded_to_three_decimals():
    value, _ = confidence(window(window_days=3), play("t1", T0 + timedelta(days=1), None), TRACKS)
    assert value == 0.583  # 0.7 * (1 - 0.5/3) = 0.58333...


def test_lowest_confidence_baseline_other_context_at_window_end():
    w = window(baseline_track_ids=frozenset({"t1"}))
    value, _ = confidence(w, play("t1", T0 + timedelta(days=28), OTHER_PLAYLIST), TRACKS)
    assert value == 0.1


@pytest.mark.parametrize(
    ("elapsed", "reason"),
    [
        (timedelta(0), Reason.CLICK_WITHIN_1H),
        (timedelta(hours=1) - US, Reason.CLICK_WITHIN_1H),
        (timedelta(hours=1), Reason.CLICK_WITHIN_1H),
        (timedelta(hours=1) + US, Reason.CLICK_WITHIN_1D),
        (timedelta(days=1), Reason.CLICK_WITHIN_1D),
        (timedelta(days=1) + US, Reason.CLICK_WITHIN_7D),
        (timedelta(days=7), Reason.CLICK_WITHIN_7D),
        (timedelta(days=7) + US, Reason.CLICK_EARLIER),
        (timedelta(days=28), Reason.CLICK_EARLIER),
    ],
)
def test_click_reason_boundaries(elapsed, reason):
    _, reasons = confidence(window(), play("t1", T0 + elapsed, PLAYLIST), TRACKS)
    assert reasons[-1] == reason
    assert len(CLICK & set(reasons)) == 1


# --- credit -------------------------------------------------------------------------------------------------------


def test_credit_of_nothing_is_nothing():
    assert credit([], T0) == []


def test_credit_one_campaign_takes_everything():
    matches = credit([pair("c1", first=T0 - timedelta(days=3))], T0)
    assert [m.credit for m in matches] == [dict.fromkeys(MODELS, 1.0)]
    assert list(matches[0].credit) == list(MODELS)


def test_credit_leaves_the_input_match_untouched():
    given = pair("c1", first=T0 - timedelta(days=3))
    credit([given], T0)
    assert given[0].credit == {}


def test_credit_keeps_match_fields():
    match, w = pair("c1", first=T0 - timedelta(days=3), confidence=0.42)
    match = replace(match, reasons=("a", "b"))
    (out,) = credit([(match, w)], T0)
    assert (out.campaign_id, out.owner_id, out.confidence, out.reasons) == ("c1", "o1", 0.42, ("a", "b"))


def test_credit_two_campaigns():
    matches = credit(
        [
            pair("early", first=T0 - timedelta(days=10), last=T0 - timedelta(days=7)),
            pair("late", first=T0 - timedelta(days=5), last=T0),
        ],
        T0,
    )
    assert [m.campaign_id for m in matches] == ["late", "early"]  # most recent click first
    got = credits_by_id(matches)
    assert got["late"]["last_touch"] == 1.0 and got["early"]["last_touch"] == 0.0
    assert got["early"]["first_touch"] == 1.0 and got["late"]["first_touch"] == 0.0
    assert got["late"]["linear"] == got["early"]["linear"] == 0.5
    assert got["late"]["time_decay"] == pytest.approx(2 / 3, abs=1e-12)
    assert got["early"]["time_decay"] == pytest.approx(1 / 3, abs=1e-12)
    assert_sums_to_one(matches)


def test_time_decay_one_half_life_apart_is_two_thirds_one_third_wherever_the_play_is():
    for gap in (timedelta(0), timedelta(hours=5), timedelta(days=20)):
        played = T0 + gap
        got = credits_by_id(
            credit([pair("a", first=T0 - timedelta(days=7)), pair("b", first=T0 - US, last=T0)], played)
        )
        assert got["b"]["time_decay"] == pytest.approx(2 / 3, abs=1e-12)
        assert got["a"]["time_decay"] == pytest.approx(1 / 3, abs=1e-12)


def test_time_decay_weights_three_campaigns():
    got = credits_by_id(
        credit(
            [
                pair("a", first=T0 - timedelta(days=1), last=T0),
                pair("b", first=T0 - timedelta(days=7)),
                pair("c", first=T0 - timedelta(days=14)),
            ],
            T0,
        )
    )
    # weights 1, 1/2, 1/4 -> 4/7, 2/7, 1/7
    assert [got[c]["time_decay"] for c in "abc"] == pytest.approx([4 / 7, 2 / 7, 1 / 7], abs=1e-12)


def test_time_decay_never_divides_by_zero_for_very_old_clicks():
    # 0.5 ** (elapsed / 7 days) underflows to 0.0 beyond ~7,500 days; the shares must not.
    old = T0 - timedelta(days=20_000)
    got = credits_by_id(credit([pair("a", first=old), pair("b", first=old - timedelta(days=7))], T0))
    assert got["a"]["time_decay"] == pytest.approx(2 / 3, abs=1e-12)
    assert got["b"]["time_decay"] == pytest.approx(1 / 3, abs=1e-12)


def test_credit_three_campaigns():
    matches = credit(
        [
            pair("b", first=T0 - timedelta(days=9), last=T0 - timedelta(days=2)),
            pair("a", first=T0 - timedelta(days=3), last=T0 - timedelta(hours=1)),
            pair("c", first=T0 - timedelta(days=8), last=T0 - timedelta(days=8)),
        ],
        T0,
    )
    assert [m.campaign_id for m in matches] == ["a", "b", "c"]
    got = credits_by_id(matches)
    assert [got[c]["last_touch"] for c in "abc"] == [1.0, 0.0, 0.0]
    assert [got[c]["first_touch"] for c in "abc"] == [0.0, 1.0, 0.0]
    assert [got[c]["linear"] for c in "abc"] == [1 / 3] * 3
    decay = [got[c]["time_decay"] for c in "abc"]
    assert decay == sorted(decay, reverse=True)
    assert_sums_to_one(matches)


def test_credit_seven_campaigns_keeps_the_five_most_recently_clicked():
    pairs = [pair(f"c{i}", first=T0 - timedelta(days=10 + i), last=T0 - timedelta(days=i)) for i in range(7)]
    random.Random(7).shuffle(pairs)  # noqa: S311 - a seeded order, not a secret
    matches = credit(pairs, T0)
    assert len(matches) == MAX_CAMPAIGNS_PER_OWNER
    assert [m.campaign_id for m in matches] == ["c0", "c1", "c2", "c3", "c4"]
    got = credits_by_id(matches)
    assert got["c0"]["last_touch"] == 1.0
    # first_touch among the kept: c6 clicked first of all but was dropped; c4 is the earliest kept.
    assert got["c4"]["first_touch"] == 1.0
    assert all(share == 0.2 for share in (c["linear"] for c in got.values()))
    assert_sums_to_one(matches)


def test_credit_exactly_five_keeps_all():
    pairs = [pair(f"c{i}", first=T0 - timedelta(days=i + 1)) for i in range(5)]
    assert len(credit(pairs, T0)) == 5
    assert len(credit([*pairs, pair("c9", first=T0 - timedelta(days=30))], T0)) == 5


def test_credit_ties_on_the_last_click_go_to_the_smallest_campaign_id():
    click = T0 - timedelta(hours=3)
    matches = credit([pair("b", first=click), pair("c", first=click), pair("a", first=click)], T0)
    assert [m.campaign_id for m in matches] == ["a", "b", "c"]
    got = credits_by_id(matches)
    assert got["a"]["last_touch"] == 1.0 and got["a"]["first_touch"] == 1.0
    assert [got[c]["time_decay"] for c in "abc"] == pytest.approx([1 / 3] * 3, abs=1e-12)
    assert_sums_to_one(matches)


def test_credit_ties_at_the_cap_keep_the_smallest_ids():
    click = T0 - timedelta(days=1)
    pairs = [pair(f"c{i}", first=click) for i in (6, 3, 0, 5, 2, 4, 1)]
    assert [m.campaign_id for m in credit(pairs, T0)] == ["c0", "c1", "c2", "c3", "c4"]


def test_credit_first_touch_tie_goes_to_the_smallest_campaign_id():
    first = T0 - timedelta(days=5)
    got = credits_by_id(
        credit([pair("z", first=first, last=T0 - timedelta(days=1)), pair("m", first=first, last=T0)], T0)
    )
    assert got["m"]["first_touch"] == 1.0 and got["z"]["first_touch"] == 0.0
    assert got["m"]["last_touch"] == 1.0


def test_last_touch_ignores_a_last_click_after_the_play():
    # "a" was clicked again after the play: for this play its last click is its first, 5 days before.
    matches = credit(
        [
            pair("a", first=T0 - timedelta(days=5), last=T0 + timedelta(hours=1)),
            pair("b", first=T0 - timedelta(days=3), last=T0 - timedelta(days=2)),
        ],
        T0,
    )
    assert [m.campaign_id for m in matches] == ["b", "a"]
    got = credits_by_id(matches)
    assert got["b"]["last_touch"] == 1.0
    assert got["a"]["first_touch"] == 1.0
    assert got["b"]["time_decay"] > got["a"]["time_decay"]


def test_last_touch_at_the_play_instant_counts():
    got = credits_by_id(
        credit([pair("a", first=T0 - timedelta(days=1), last=T0), pair("b", first=T0 - timedelta(hours=1))], T0)
    )
    assert got["a"]["last_touch"] == 1.0


@pytest.mark.parametrize(
    "pairs",
    [
        [pair("a", "o1", first=T0 - timedelta(days=1)), pair("b", "o2", first=T0 - timedelta(days=1))],
        [(Match("a", "o1", 1.0, ()), window(campaign_id="a", owner_id="o2"))],
        [(Match("a", "o1", 1.0, ()), window(campaign_id="b"))],
        [pair("a", first=T0 - timedelta(days=1)), pair("a", first=T0 - timedelta(days=2))],
        [pair("a", first=T0)],  # the play is not after the first click
    ],
    ids=["two owners", "match and window owners differ", "ids differ", "duplicate", "play at first click"],
)
def test_credit_rejects_inputs_no_match_can_produce(pairs):
    with pytest.raises(ValueError):
        credit(pairs, T0)


# --- attribute ----------------------------------------------------------------------------------------------------


def test_attribute_nothing():
    assert attribute(play(), [], {}) == []
    assert attribute(play(), [window()], {"c1": frozenset()}) == []


def test_attribute_single_campaign():
    (match,) = attribute(play(context_uri=PLAYLIST), [window()], {"c1": TRACKS})
    assert match == Match(
        "c1",
        "o1",
        1.0,
        (Reason.CAMPAIGN_PLAYLIST_CONTEXT, Reason.CLICK_WITHIN_1H),
        dict.fromkeys(MODELS, 1.0),
    )


def test_attribute_different_owners_never_share_credit():
    windows = [
        window(campaign_id="a1", owner_id="owner-b", last_click_at=T0 - timedelta(days=1)),
        window(campaign_id="a2", owner_id="owner-b", last_click_at=T0 - timedelta(days=8)),
        window(campaign_id="x", owner_id="owner-a", last_click_at=T0 - timedelta(hours=2)),
    ]
    playlists = dict.fromkeys(("a1", "a2", "x"), TRACKS)
    matches = attribute(play("t1", T0, None), windows, playlists)
    assert [(m.owner_id, m.campaign_id) for m in matches] == [("owner-a", "x"), ("owner-b", "a1"), ("owner-b", "a2")]
    assert matches[0].credit == dict.fromkeys(MODELS, 1.0)  # alone for its owner despite the other campaigns
    assert_sums_to_one(matches[1:])
    assert matches[1].credit["last_touch"] == 1.0


def test_attribute_caps_each_owner_separately():
    windows = [
        window(campaign_id=f"{owner}{i}", owner_id=owner, last_click_at=T0 - timedelta(days=i))
        for owner in ("p", "q")
        for i in range(7)
    ]
    matches = attribute(play(context_uri=PLAYLIST), windows, {})
    assert [m.campaign_id for m in matches] == [*(f"p{i}" for i in range(5)), *(f"q{i}" for i in range(5))]
    assert_sums_to_one(matches[:5])
    assert_sums_to_one(matches[5:])


def test_attribute_skips_campaigns_that_do_not_match():
    windows = [
        window(campaign_id="hit"),
        window(campaign_id="not-yet", first_click_at=T0, last_click_at=T0),  # play at the first click
        window(campaign_id="other-tracks"),
        window(campaign_id="ended", ends_at=T0),
    ]
    playlists = {"hit": TRACKS, "not-yet": TRACKS, "other-tracks": frozenset({"t9"}), "ended": TRACKS}
    matches = attribute(play("t1", T0, None), windows, playlists)
    assert [m.campaign_id for m in matches] == ["hit"]
    assert matches[0].credit == dict.fromkeys(MODELS, 1.0)


def test_attribute_unreadable_and_missing_playlists_count_only_context():
    windows = [window(campaign_id="unreadable"), window(campaign_id="missing")]
    assert attribute(play("t1", T0, None), windows, {"unreadable": None}) == []
    matches = attribute(play("t1", T0, PLAYLIST), windows, {"unreadable": None})
    assert [m.campaign_id for m in matches] == ["missing", "unreadable"]  # same click: by id
    assert all(Reason.PLAYLIST_UNREADABLE in m.reasons for m in matches)


def test_attribute_confidence_matches_confidence():
    w = window(baseline_track_ids=frozenset({"t1"}))
    p = play("t1", T0 + timedelta(days=3), OTHER_PLAYLIST)
    (match,) = attribute(p, [w], {"c1": TRACKS})
    assert (match.confidence, match.reasons) == confidence(w, p, TRACKS)


# --- random invariants --------------------------------------------------------------------------------------------


def random_case(rng: random.Random):
    def moment() -> datetime:
        return T0 + timedelta(seconds=rng.randint(-40 * 86400, 40 * 86400), microseconds=rng.choice([0, 1, 999999]))

    tracks = [f"t{i}" for i in range(6)]
    playlist_uris = [f"spotify:playlist:p{i}" for i in range(4)]
    windows, playlists = [], {}
    for i in range(rng.randint(0, 14)):
        first = moment()
        last = first + rng.choice([timedelta(0), timedelta(seconds=rng.randint(0, 30 * 86400))])
        starts = rng.choice([None, moment()])
        ends = rng.choice([None, moment()])
        cid = f"c{i:02d}"
        windows.append(
            CampaignWindow(
                campaign_id=cid,
                owner_id=rng.choice(["o1", "o2", "o3"]),
                playlist_uri=rng.choice(playlist_uris),
                window_days=rng.choice([0, 1, 7, 14, 28, 60]),
                starts_at=starts,
                ends_at=ends,
                first_click_at=first,
                last_click_at=last,
                baseline_track_ids=frozenset(rng.sample(tracks, rng.randint(0, 3))),
            )
        )
        kind = rng.random()
        if kind < 0.7:
            playlists[cid] = frozenset(rng.sample(tracks, rng.randint(0, 6)))
        elif kind < 0.9:
            playlists[cid] = None
        # else: missing from the dict
    p = PlayFacts(rng.choice(tracks), moment(), rng.choice([None, "spotify:album:x", *playlist_uris]))
    return p, windows, playlists


@pytest.mark.parametrize("seed", range(20))
def test_random_invariants(seed):
    rng = random.Random(seed)  # noqa: S311 - seeded test inputs
    for _ in range(200):
        p, windows, playlists = random_case(rng)
        scored = {w.campaign_id: confidence(w, p, playlists.get(w.campaign_id)) for w in windows}
        for w in windows:
            result = scored[w.campaign_id]
            if result is None:
                continue
            value, reasons = result
            assert 0.0 <= value <= 1.0 and value == round(value, 3)
            assert in_window(w, p.played_at) and not is_baseline(w, p.played_at)
            assert reasons[0] in BASES and len(CLICK & set(reasons)) == 1 and reasons[-1] in CLICK
            assert len(set(reasons)) == len(reasons)
            assert (Reason.IN_BASELINE in reasons) == (p.track_id in w.baseline_track_ids)
            assert (Reason.PLAYLIST_UNREADABLE in reasons) == (playlists.get(w.campaign_id) is None)
            assert 0 <= bucket(value) < CONFIDENCE_BUCKETS

        matches = attribute(p, windows, playlists)
        by_id = {w.campaign_id: w for w in windows}
        owners: dict[str, list[Match]] = {}
        for m in matches:
            owners.setdefault(m.owner_id, []).append(m)
            assert (m.confidence, m.reasons) == scored[m.campaign_id]
            assert m.owner_id == by_id[m.campaign_id].owner_id
            assert all(0.0 <= share <= 1.0 for share in m.credit.values())
            assert list(m.credit) == list(MODELS)
        assert [m.owner_id for m in matches] == sorted(m.owner_id for m in matches)  # grouped per owner
        assert len({m.campaign_id for m in matches}) == len(matches)
        for owner, owned in owners.items():
            assert_sums_to_one(owned)
            assert sum(m.credit["last_touch"] == 1.0 for m in owned) == 1
            assert sum(m.credit["first_touch"] == 1.0 for m in owned) == 1
            eligible = [cid for cid, r in scored.items() if r is not None and by_id[cid].owner_id == owner]
            assert len(owned) == min(len(eligible), MAX_CAMPAIGNS_PER_OWNER)
        matched_owners = {by_id[cid].owner_id for cid, r in scored.items() if r is not None}
        assert set(owners) == matched_owners


# --- bucket -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, 0), (0.099, 0), (0.1, 1), (0.5, 5), (0.899, 8), (0.9, 9), (0.999, 9), (1.0, 9)],
)
def test_bucket(value, expected):
    assert bucket(value) == expected


def test_bucket_every_three_decimal_confidence():
    for k in range(1001):
        assert bucket(round(k / 1000, 3)) == min(k // 100, CONFIDENCE_BUCKETS - 1), k


@pytest.mark.parametrize("value", [-0.001, 1.001, float("nan"), float("inf")])
def test_bucket_rejects_values_outside_zero_one(value):
    with pytest.raises(ValueError):
        bucket(value)


# --- RULES_TABLE --------------------------------------------------------------------------------------------------


def test_rules_table_has_one_row_per_reason_in_order():
    lines = RULES_TABLE.strip().splitlines()
    assert lines[0] == "| reason | effect on confidence |"
    assert lines[1] == "| --- | --- |"
    reason_rows = lines[2 : 2 + len(Reason)]
    assert [row.split("|")[1].strip() for row in reason_rows] == [f"`{r.value}`" for r in Reason]
    assert all(line.startswith("| ") and line.endswith(" |") and line.count("|") == 3 for line in lines)


def test_rules_table_states_the_constants_used_by_the_code():
    rows = {row.split("|")[1].strip().strip("`"): row for row in RULES_TABLE.splitlines()[2:]}
    for reason, base in BASE_CONFIDENCE.items():
        assert f"base {base}" in rows[reason.value]
    assert f"`* {BASELINE_FACTOR}`" in rows[Reason.IN_BASELINE.value]
    for reason in CLICK:
        assert f"`* (1.0 - {1.0 - DECAY_AT_WINDOW_END:g} * min(1, elapsed / window))`" in rows[reason.value]
    assert "≤ 1 h" in rows[Reason.CLICK_WITHIN_1H.value]
    assert "1 h < elapsed ≤ 1 day" in rows[Reason.CLICK_WITHIN_1D.value]
    assert "1 day < elapsed ≤ 7 days" in rows[Reason.CLICK_WITHIN_7D.value]
    assert "elapsed > 7 days" in rows[Reason.CLICK_EARLIER.value]
    assert f"at most {MAX_CAMPAIGNS_PER_OWNER} campaigns" in RULES_TABLE


def test_the_readme_shows_the_rules_table_the_code_uses():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert RULES_TABLE in readme


def test_the_rules_table_rendered_now_is_the_one_in_the_readme():
    # RULES_TABLE is rendered once, at import; rendering it again at test time holds the
    # renderer itself to the README (and lets mutation testing reach it).
    from soundlink.attribution import rules

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert rules._rules_table() == RULES_TABLE
    assert rules._rules_table() in readme


@pytest.mark.parametrize("elapsed", [timedelta(0), timedelta(hours=6), timedelta(hours=12), timedelta(days=1)])
def test_a_one_day_window_decays_over_that_day(elapsed):
    from soundlink.attribution.rules import decay_factor

    progress = elapsed / timedelta(days=1)
    assert decay_factor(elapsed, timedelta(days=1)) == pytest.approx(1.0 - (1.0 - DECAY_AT_WINDOW_END) * progress)


def test_bucket_says_which_confidence_it_refused():
    with pytest.raises(ValueError, match=r"confidence 1\.5 is outside \[0, 1\]"):
        bucket(1.5)
