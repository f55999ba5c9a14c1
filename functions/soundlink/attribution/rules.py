"""Every attribution rule in one place: pure functions, stdlib only, no I/O.

A play is attributed to a campaign when it falls in the campaign's window
(after the listener's first click, at most `window_days` after the last one,
inside the campaign's dates) and is either played from the campaign's
playlist or is one of the playlist's tracks. Its confidence starts from how
it matched, is halved when the listener already played the track before the
first click, and decays linearly to half over the window. Credit is then
shared among the matched campaigns of ONE owner under each attribution model;
campaigns of different owners never share a play.

`RULES_TABLE` renders these constants as Markdown for the README, so the
documentation cannot drift from the code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

MODELS = ("last_touch", "first_touch", "linear", "time_decay")
TIME_DECAY_HALF_LIFE = timedelta(days=7)
MAX_CAMPAIGNS_PER_OWNER = 5  # a play credits at most this many campaigns of one owner (the most recently clicked)
CONFIDENCE_BUCKETS = 10  # histogram buckets of width 0.1: bucket(c) = min(int(c*10), 9)


class Reason(StrEnum):
    """Why a play was attributed; stored on each attribution, in this order of evaluation."""

    CAMPAIGN_PLAYLIST_CONTEXT = "played_from_campaign_playlist"
    PLAYLIST_TRACK_NO_CONTEXT = "playlist_track_no_context"
    PLAYLIST_TRACK_OTHER_CONTEXT = "playlist_track_other_context"
    PLAYLIST_UNREADABLE = "playlist_unreadable_context_only"  # added when the playlist could not be read
    IN_BASELINE = "track_in_listener_baseline"
    CLICK_WITHIN_1H = "clicked_within_1h"
    CLICK_WITHIN_1D = "clicked_within_1d"
    CLICK_WITHIN_7D = "clicked_within_7d"
    CLICK_EARLIER = "clicked_over_7d_ago"


# Each reason as the export's reasons_in_words column says it (the codes stay in "reasons").
REASON_WORDS: dict[str, str] = {
    Reason.CAMPAIGN_PLAYLIST_CONTEXT: "played from the campaign's playlist",
    Reason.PLAYLIST_TRACK_NO_CONTEXT: "a track of the playlist, played from nowhere Spotify names",
    Reason.PLAYLIST_TRACK_OTHER_CONTEXT: "a track of the playlist, played from an album or another playlist",
    Reason.PLAYLIST_UNREADABLE: "the playlist could not be read, so only plays from it count",
    Reason.IN_BASELINE: "the listener had played this track before clicking",
    Reason.CLICK_WITHIN_1H: "within an hour of the click",
    Reason.CLICK_WITHIN_1D: "within a day of the click",
    Reason.CLICK_WITHIN_7D: "within a week of the click",
    Reason.CLICK_EARLIER: "more than a week after the click",
}


def reasons_in_words(codes: str | None) -> str:
    """'playlist_track_no_context clicked_within_1d' -> its reasons in words ('; ' between); unknown codes kept."""
    return "; ".join(REASON_WORDS.get(code, code) for code in (codes or "").split())


# Confidence of each way a play can match, before the factors below.
BASE_CONFIDENCE: dict[Reason, float] = {
    Reason.CAMPAIGN_PLAYLIST_CONTEXT: 1.0,
    Reason.PLAYLIST_TRACK_NO_CONTEXT: 0.7,
    Reason.PLAYLIST_TRACK_OTHER_CONTEXT: 0.4,
}
BASELINE_FACTOR = 0.5  # the listener played the track before the first click
DECAY_AT_WINDOW_END = 0.5  # the click factor falls linearly from 1.0 at the click to this at the window's end
# Elapsed time since the last click before the play -> its label (upper bounds inclusive).
CLICK_REASONS: tuple[tuple[timedelta, Reason], ...] = (
    (timedelta(hours=1), Reason.CLICK_WITHIN_1H),
    (timedelta(days=1), Reason.CLICK_WITHIN_1D),
    (timedelta(days=7), Reason.CLICK_WITHIN_7D),
)
CLICK_LATER_REASON = Reason.CLICK_EARLIER


@dataclass(frozen=True)
class CampaignWindow:
    """One campaign the listener is linked to."""

    campaign_id: str
    owner_id: str
    playlist_uri: str  # "spotify:playlist:<id>"
    window_days: int  # attribution window after the LAST click
    starts_at: datetime | None
    ends_at: datetime | None  # exclusive
    first_click_at: datetime
    last_click_at: datetime
    baseline_track_ids: frozenset[str]  # tracks the listener played before the first click


@dataclass(frozen=True)
class PlayFacts:
    track_id: str
    played_at: datetime  # aware UTC
    context_uri: str | None


@dataclass(frozen=True)
class Match:
    """A campaign a play is attributed to."""

    campaign_id: str
    owner_id: str
    confidence: float  # in [0, 1], rounded to 3 decimals
    reasons: tuple[str, ...]
    # model -> share of this play credited to this campaign (filled by credit())
    credit: dict[str, float] = field(default_factory=dict, hash=False)


def in_window(window: CampaignWindow, played_at: datetime) -> bool:
    """first_click_at < played_at <= last_click_at + window_days, and starts_at <= played_at < ends_at when set."""
    if not window.first_click_at < played_at <= window.last_click_at + timedelta(days=window.window_days):
        return False
    if window.starts_at is not None and played_at < window.starts_at:
        return False
    return window.ends_at is None or played_at < window.ends_at


def is_baseline(window: CampaignWindow, played_at: datetime) -> bool:
    """A play at or before the first click: it tells what the listener played anyway."""
    return played_at <= window.first_click_at


def last_click_before(window: CampaignWindow, played_at: datetime) -> datetime:
    """The last click known to precede the play: the last click, or the first when the last came after the play."""
    return window.last_click_at if window.last_click_at <= played_at else window.first_click_at


def click_reason(elapsed: timedelta) -> Reason:
    for bound, reason in CLICK_REASONS:
        if elapsed <= bound:
            return reason
    return CLICK_LATER_REASON


def decay_factor(elapsed: timedelta, window: timedelta) -> float:
    """1.0 at the click, linearly down to DECAY_AT_WINDOW_END at the window's end, flat beyond."""
    progress = 1.0 if window <= timedelta(0) else min(1.0, max(0.0, elapsed / window))
    return 1.0 - (1.0 - DECAY_AT_WINDOW_END) * progress


def confidence(
    window: CampaignWindow, play: PlayFacts, playlist_track_ids: frozenset[str] | None
) -> tuple[float, tuple[str, ...]] | None:
    """The confidence that the campaign caused the play, and why; None when the play does not match.

    `playlist_track_ids` None means the playlist could not be read: only a
    play from the playlist itself (its context) can match then.
    """
    if not in_window(window, play.played_at):
        return None
    reasons: list[Reason] = []
    if play.context_uri is not None and play.context_uri == window.playlist_uri:
        reasons.append(Reason.CAMPAIGN_PLAYLIST_CONTEXT)
        if playlist_track_ids is None:
            reasons.append(Reason.PLAYLIST_UNREADABLE)
    elif playlist_track_ids is not None and play.track_id in playlist_track_ids:
        if play.context_uri is None:
            reasons.append(Reason.PLAYLIST_TRACK_NO_CONTEXT)
        else:
            reasons.append(Reason.PLAYLIST_TRACK_OTHER_CONTEXT)
    else:
        return None
    value = BASE_CONFIDENCE[reasons[0]]
    if play.track_id in window.baseline_track_ids:
        value *= BASELINE_FACTOR
        reasons.append(Reason.IN_BASELINE)
    elapsed = play.played_at - last_click_before(window, play.played_at)
    value *= decay_factor(elapsed, timedelta(days=window.window_days))
    reasons.append(click_reason(elapsed))
    value = min(1.0, max(0.0, round(value, 3)))
    return value, tuple(reason.value for reason in reasons)


def credit(matches_of_one_owner: list[tuple[Match, CampaignWindow]], played_at: datetime) -> list[Match]:
    """Keep the owner's MAX_CAMPAIGNS_PER_OWNER most recently clicked matches and share the play among them.

    Returned most recent click first (ties: smallest campaign_id), each with
    `credit` filled for every model; each model's credits sum to 1. "Click"
    is the last click before the play (see last_click_before).
    """
    if not matches_of_one_owner:
        return []
    _check_one_owner(matches_of_one_owner, played_at)
    clicks = {window.campaign_id: last_click_before(window, played_at) for _, window in matches_of_one_owner}
    ranked = sorted(matches_of_one_owner, key=lambda pair: pair[0].campaign_id)
    ranked.sort(key=lambda pair: clicks[pair[0].campaign_id], reverse=True)  # stable: ties stay by id
    kept = ranked[:MAX_CAMPAIGNS_PER_OWNER]
    ids = [match.campaign_id for match, _ in kept]

    last_touch = ids[0]  # the latest click, ties by smallest id: the ranking's head
    first_touch = min(kept, key=lambda pair: (pair[1].first_click_at, pair[1].campaign_id))[0].campaign_id
    elapsed = {cid: played_at - clicks[cid] for cid in ids}
    nearest = min(elapsed.values())
    # Relative to the nearest click, so weights never underflow to zero together.
    weights = {cid: 0.5 ** ((elapsed[cid] - nearest) / TIME_DECAY_HALF_LIFE) for cid in ids}
    total_weight = math.fsum(weights.values())

    credited = []
    for match, _ in kept:
        cid = match.campaign_id
        shares = {
            "last_touch": 1.0 if cid == last_touch else 0.0,
            "first_touch": 1.0 if cid == first_touch else 0.0,
            "linear": 1.0 / len(kept),
            "time_decay": weights[cid] / total_weight,
        }
        credited.append(replace(match, credit={model: shares[model] for model in MODELS}))
    return credited


def _check_one_owner(pairs: list[tuple[Match, CampaignWindow]], played_at: datetime) -> None:
    owners = {match.owner_id for match, _ in pairs} | {window.owner_id for _, window in pairs}
    if len(owners) != 1:
        raise ValueError(f"credit() takes the matches of one owner, got {sorted(owners)}")
    seen: set[str] = set()
    for match, window in pairs:
        if match.campaign_id != window.campaign_id:
            raise ValueError(f"match {match.campaign_id} paired with window {window.campaign_id}")
        if match.campaign_id in seen:
            raise ValueError(f"campaign {match.campaign_id} given twice")
        seen.add(match.campaign_id)
        if window.first_click_at >= played_at:
            raise ValueError(f"campaign {match.campaign_id}: the play is not after its first click")


def attribute(
    play: PlayFacts, windows: list[CampaignWindow], playlists: dict[str, frozenset[str] | None]
) -> list[Match]:
    """Every campaign the play is attributed to, owners in id order, each owner's credits filled.

    `playlists`: campaign_id -> the playlist's track ids, None when it could
    not be read (a campaign missing from it is treated the same way).
    """
    per_owner: dict[str, list[tuple[Match, CampaignWindow]]] = {}
    for window in windows:
        scored = confidence(window, play, playlists.get(window.campaign_id))
        if scored is None:
            continue
        value, reasons = scored
        match = Match(window.campaign_id, window.owner_id, value, reasons, {})
        per_owner.setdefault(window.owner_id, []).append((match, window))
    matches: list[Match] = []
    for owner_id in sorted(per_owner):
        matches.extend(credit(per_owner[owner_id], play.played_at))
    return matches


def bucket(confidence: float) -> int:
    """The confidence histogram bucket: [0, 0.1) -> 0 ... [0.9, 1.0] -> 9."""
    if not 0.0 <= confidence <= 1.0:  # also rejects NaN
        raise ValueError(f"confidence {confidence!r} is outside [0, 1]")
    return min(int(confidence * CONFIDENCE_BUCKETS), CONFIDENCE_BUCKETS - 1)


def _duration(delta: timedelta) -> str:
    if delta % timedelta(days=1) == timedelta(0):
        days = delta // timedelta(days=1)
        return f"{days} day" if days == 1 else f"{days} days"
    if delta % timedelta(hours=1) == timedelta(0):
        return f"{delta // timedelta(hours=1)} h"
    return str(delta)


def _rules_table() -> str:
    decay = f"`* (1.0 - {1.0 - DECAY_AT_WINDOW_END:g} * min(1, elapsed / window))`"
    effects = {
        Reason.CAMPAIGN_PLAYLIST_CONTEXT: f"base {BASE_CONFIDENCE[Reason.CAMPAIGN_PLAYLIST_CONTEXT]}: "
        "played from the campaign's playlist",
        Reason.PLAYLIST_TRACK_NO_CONTEXT: f"base {BASE_CONFIDENCE[Reason.PLAYLIST_TRACK_NO_CONTEXT]}: "
        "a track of the playlist, played with no context",
        Reason.PLAYLIST_TRACK_OTHER_CONTEXT: f"base {BASE_CONFIDENCE[Reason.PLAYLIST_TRACK_OTHER_CONTEXT]}: "
        "a track of the playlist, played from another context",
        Reason.PLAYLIST_UNREADABLE: "none; the playlist could not be read, so only plays from it (context) match",
        Reason.IN_BASELINE: f"`* {BASELINE_FACTOR}`: the listener played the track before the first click",
    }
    lower = None
    for bound, reason in CLICK_REASONS:
        span = f"elapsed ≤ {_duration(bound)}" if lower is None else f"{lower} < elapsed ≤ {_duration(bound)}"
        effects[reason] = f"{decay}; {span}"
        lower = _duration(bound)
    effects[CLICK_LATER_REASON] = f"{decay}; elapsed > {lower}"
    rows = ["| reason | effect on confidence |", "| --- | --- |"]
    rows += [f"| `{reason.value}` | {effects[reason]} |" for reason in Reason]
    rows.append(
        "| (every match) | elapsed = time since the last click before the play; window = the campaign's "
        "attribution window; result rounded to 3 decimals, within [0, 1]; "
        f"at most {MAX_CAMPAIGNS_PER_OWNER} campaigns of one owner (the most recently clicked) share a play |"
    )
    return "\n".join(rows) + "\n"


RULES_TABLE = _rules_table()
