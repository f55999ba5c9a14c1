"""Fans: saves and follows a campaign made, verified with Spotify's library, counted once.

For a listener of a campaign that measures fans, Soundlink asks
``GET /v1/me/library/contains`` about the campaign's tracks, their artists and
its playlist, and keeps one boolean per URI (``FansItem``): the baseline at
consent. A re-check (after an attributed play, at most once a day; and at the
window's end) that finds a URI saved or followed which the baseline had as
``False`` counts a new save (track), a new artist follow or a new playlist
follow, inside the window only. Each person counts once per kind, and once under
each track they newly saved (attribution/saved_tracks.py), in the same transaction
that records which URIs were counted, on condition that the counted set is still
the one read: a redelivered check counts nothing twice.

A listener whose consent lacked the library scopes is "not measured": that
is counted apart and never shown as zero new fans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition, size

from soundlink.attribution import saved_tracks
from soundlink.platform.counters import Tally, shard_of
from soundlink.platform.tables import FansItem
from soundlink.platform.transactions import transaction

# A URI's type names what a new "yes" for it means.
KIND_OF_TYPE = {"track": "save", "artist": "artist", "playlist": "playlist"}
COUNTER_OF_KIND = {"save": "new_saves", "artist": "new_artist_followers", "playlist": "new_playlist_followers"}
MAX_URIS_PER_CALL = 40
MAX_ATTEMPTS = 3  # reads and transactions of one check when other checks of the listener race it


def kind_of(uri: str) -> str | None:
    parts = uri.split(":")
    return KIND_OF_TYPE.get(parts[1]) if len(parts) == 3 and parts[0] == "spotify" else None


def campaign_uris(track_ids: Iterable[str], artist_ids: Iterable[str], playlist_id: str) -> list[str]:
    """What a baseline (or the window's end) asks about: tracks, their artists, the playlist."""
    uris = [f"spotify:track:{t}" for t in track_ids] + [f"spotify:artist:{a}" for a in artist_ids]
    return list(dict.fromkeys([*uris, f"spotify:playlist:{playlist_id}"]))


def play_uris(track_id: str, artist_ids: Iterable[str], playlist_id: str) -> list[str]:
    """What a re-check after a play asks about: the played track, its artists, the playlist (one call)."""
    uris = campaign_uris([track_id], artist_ids, playlist_id)
    return uris[:MAX_URIS_PER_CALL]


def day_of(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def record_baseline(account_id: str, campaign_id: str, answers: Mapping[str, bool] | None, at: datetime) -> bool:
    """Store the baseline once (a redelivered baseline, or one after a re-check, changes nothing).

    ``answers`` None: the consent lacked the scopes, the listener is not measured.
    Returns whether this call stored it."""
    item = FansItem(*FansItem.key(account_id, campaign_id))
    counts: dict[str, float]
    if answers is None:
        item.not_measured = True
        counts = {"fans_not_measured": 1}
    else:
        item.baseline = {uri: bool(flag) for uri, flag in answers.items()}
        item.checked_day = day_of(at)  # the baseline is that day's check: no re-check hours later
        counts = {"fans_measured": 1}
    tally = Tally()
    tally.add(campaign_id, f"TOTAL#{shard_of(account_id)}", counts)
    with_condition = FansItem.sk.does_not_exist()
    try:
        with transaction() as txn:
            txn.save(item, condition=with_condition)
            for counter, actions in tally.updates():
                txn.update(counter, actions=actions)
    except (TransactWriteError, PutError) as error:
        if _condition_failed(error):
            return False
        raise
    return True


def wants_recheck(account_id: str, campaign_id: str, at: datetime) -> bool:
    """Whether a credited play calls for a re-check job: one is due, or the listener has no
    fans record at all (connected before the campaign measured fans, or the baseline is still
    on its way: the check decides which, without asking Spotify)."""
    try:
        item = FansItem.get(*FansItem.key(account_id, campaign_id), consistent_read=True)
    except FansItem.DoesNotExist:
        return True
    return item.baseline is not None and item.checked_day != day_of(at)


def due_for_recheck(account_id: str, campaign_id: str, at: datetime) -> bool:
    """At most one re-check after a play per listener, campaign and day; none without a baseline."""
    try:
        item = FansItem.get(*FansItem.key(account_id, campaign_id), consistent_read=True)
    except FansItem.DoesNotExist:
        return False
    return item.baseline is not None and item.checked_day != day_of(at)


def record_check(
    account_id: str,
    campaign_id: str,
    answers: Mapping[str, bool],
    at: datetime,
    window_ends_at: datetime | None,
) -> dict[str, int]:
    """Count what a re-check found new, exactly once. Returns the counters it moved.

    One transaction marks the new URIs counted, counts the person once per new kind
    (TOTAL#) and once under each newly saved track (saved_tracks: a few SAVED# items,
    never one per track). Its guard is that ``counted`` is still the set this call read
    (it only grows): a constant-size condition, whatever the number of new URIs (a
    condition per URI would pass DynamoDB's 4 KB expression limit at a few hundred).
    When another check got there first, read again and count only what is still new."""
    for _ in range(MAX_ATTEMPTS):
        try:
            item = FansItem.get(*FansItem.key(account_id, campaign_id), consistent_read=True)
        except FansItem.DoesNotExist:
            return {}  # no baseline, nothing can be new
        if item.baseline is None:
            return {}
        moved = _count_new(item, account_id, campaign_id, answers, at, window_ends_at)
        if moved is not None:
            return moved
    raise RuntimeError(f"fans check of {campaign_id}: {MAX_ATTEMPTS} concurrent updates, retry the job")


def _count_new(
    item: FansItem,
    account_id: str,
    campaign_id: str,
    answers: Mapping[str, bool],
    at: datetime,
    window_ends_at: datetime | None,
) -> dict[str, int] | None:
    """The transaction of record_check; None when ``counted`` changed since it was read."""
    baseline = dict(item.baseline.as_dict() if hasattr(item.baseline, "as_dict") else item.baseline)
    counted = set(item.counted or ())
    kinds = set(item.kinds or ())
    inside = window_ends_at is None or at <= window_ends_at
    new = sorted(
        uri
        for uri, flag in answers.items()
        if inside and flag and baseline.get(uri) is False and uri not in counted and kind_of(uri)
    )
    new_kinds = sorted({kind_of(uri) for uri in new} - kinds)  # type: ignore[arg-type]
    actions = [FansItem.checked_day.set(day_of(at))]
    condition: Condition = FansItem.sk.exists()
    condition &= size(FansItem.counted) == len(counted) if counted else FansItem.counted.does_not_exist()
    if new:
        actions.append(FansItem.counted.add(set(new)))
    if new_kinds:
        actions.append(FansItem.kinds.add(set(new_kinds)))
    counts = {COUNTER_OF_KIND[kind]: 1 for kind in new_kinds}
    tally = Tally()
    if counts:
        tally.add(campaign_id, f"TOTAL#{shard_of(account_id)}", counts)
    saved = [uri.split(":")[2] for uri in new if kind_of(uri) == "save"]
    try:
        with transaction() as txn:
            txn.update(item, actions=actions, condition=condition)
            for counter, counter_actions in [*tally.updates(), *saved_tracks.updates(campaign_id, account_id, saved)]:
                txn.update(counter, actions=counter_actions)
    except TransactWriteError as error:
        if _condition_failed(error):
            return None
        raise
    return counts


def _condition_failed(error: Exception) -> bool:
    reasons = getattr(error, "cancellation_reasons", None) or []
    if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
        return True
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"
