"""The pre-aggregated counters analytics read: their keys, shards and updates.

Counters live in StatsTable under the campaign's partition:
  TOTAL#{shard}, HOUR#{yyyy-mm-ddThh}#{shard}, DAY#{yyyy-mm-dd}#{shard},
  and per UTC day the counters analytics break a range down by:
  DAY#{yyyy-mm-dd}#DIM#{dimension}#{value}#{shard}, DAY#{day}#TRACK#{track}#{shard},
  DAY#{day}#MODEL#{model}#C{bucket}#{shard}, DAY#{day}#CONF#{bucket}#{shard}.
A date range reads its days with one Query (DAY#{from} .. DAY#{to}#~); the whole
campaign is the sum of its days. (Before issue 15 the DIM#, TRACK#, MODEL# and CONF#
counters were whole-campaign items: scripts/migrate_day_counters.py moves them.)
Each counter is split over COUNTER_SHARDS items, chosen by a hash of the
event's id (the same event always lands on the same shard): one item takes
at most 1,000 writes per second, so a campaign's busiest counter can take
COUNTER_SHARDS times that. Readers sum the shards.

Roll-ups (analytics/rollups.py): once a UTC day is settled (ROLLUP_AFTER past its end),
analytics sum its DAY# items over shards into one ROLLUP#{day} item and read that
instead. Plays can still land in a settled day (Spotify reports some late, a
listener who re-connects brings older plays, queues redeliver for days), so a write
into a day that may already be rolled up (LATE_AFTER past its end: an hour before a
roll-up may start, longer than any write takes) also adds 1 to that ROLLUP#{day}
item's `late_writes`, in the same transaction. A roll-up records the `late_writes`
it summed; one that no longer matches is ignored and redone from the raw items.

Updates are returned as parts of a DynamoDB transaction, so a counter moves
only together with the event it counts (exactly once, guarded by the event).
Events that arrive together go through a `Tally`: their increments are summed
by counter item first, so each item is written once per transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.transactions import TransactWrite

from soundlink.platform.tables import CounterItem

COUNTER_SHARDS = 8
# A day is rolled up from ROLLUP_AFTER past its end: polls come at least every 25 minutes
# (polling/cadence.py), so by then nearly every play of the day has landed.
ROLLUP_AFTER = timedelta(hours=2)
# Writes into a day from LATE_AFTER past its end mark its roll-up as outdated. The hour between
# the two is longer than any transaction takes (Lambda timeouts are minutes) and any clock skew.
LATE_AFTER = timedelta(hours=1)
NONE = "(none)"
# Where a click (and the consent it led to) came from; analytics break totals down by these.
CLICK_DIMENSIONS = ("referrer", "utm_source", "utm_medium", "utm_campaign", "device", "browser", "os", "country")
COUNTER_NAMES = frozenset(
    (
        "clicks",
        "unique_clicks",
        "bot_clicks",
        "prefetches",
        "consents_started",
        "suspicious_clicks",
        "connect_clicks",
        "just_play_clicks",
        "authorizations",
        "declined",
        "attributed_plays",
        "listeners",
        "possible_gaps",
        "streams",
        "weighted_streams",
        "new_listeners",
        "streams_last_touch",
        "streams_first_touch",
        "streams_linear",
        "streams_time_decay",
        "weighted_last_touch",
        "weighted_first_touch",
        "weighted_linear",
        "weighted_time_decay",
        "state_active",
        "state_idle",
        "state_reauth_required",
        "state_not_allowlisted",
        "new_saves",
        "new_playlist_followers",
        "new_artist_followers",
        "fans_measured",
        "fans_not_measured",
        "late_writes",
    )
)


def shard_of(event_id: str) -> int:
    return int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:4], "big") % COUNTER_SHARDS


def campaign_key(campaign_id: str) -> str:
    return f"CAMPAIGN#{campaign_id}"


def hour_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def day_scoped(at: datetime, name: str) -> str:
    """The sort key of counter `name` (e.g. TRACK#{id}#{shard}) for the UTC day of `at`."""
    return f"DAY#{day_of(at)}#{name}"


def rollup_key(day: str) -> str:
    return f"ROLLUP#{day}"


def late_marker(at: datetime, now: datetime | None = None) -> str | None:
    """The ROLLUP# item a write counted at `at` must mark as outdated, or None while the day is recent."""
    day_end = datetime.strptime(day_of(at), "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=1)
    return rollup_key(day_of(at)) if (now or datetime.now(UTC)) >= day_end + LATE_AFTER else None


def counter_sort_keys(at: datetime, dimensions: Mapping[str, str], shard: int, also: Iterable[str] = ()) -> list[str]:
    """Total, hour, day, then per day each dimension's value and each of `also`."""
    day = f"DAY#{day_of(at)}"
    keys = [f"TOTAL#{shard}", f"HOUR#{hour_of(at)}#{shard}", f"{day}#{shard}"]
    keys += [
        f"{day}#DIM#{name}#{dimensions.get(name) or NONE}#{shard}" for name in CLICK_DIMENSIONS if name in dimensions
    ]
    keys += [f"{day}#{name}#{shard}" for name in also]
    return keys


def add_counts(
    transaction: TransactWrite,
    campaign_id: str,
    at: datetime,
    counts: Mapping[str, float],
    *,
    event_id: str,
    dimensions: Mapping[str, str] | None = None,
    also: Iterable[str] = (),
    now: datetime | None = None,
) -> int:
    """Add `counts` to the campaign's total, its hour and day, and on its day each
    dimension's value and each counter named in `also` (e.g. TRACK#{id}, CONF#{bucket});
    a write into a settled day marks its roll-up outdated.

    Returns the number of counter items the transaction now updates.
    """
    shard = shard_of(event_id)
    keys = counter_sort_keys(at, dimensions or {}, shard, also)
    written = sum(add_to(transaction, campaign_id, key, counts) for key in keys)
    marker = late_marker(at, now)
    if marker and written:
        written += add_to(transaction, campaign_id, marker, {"late_writes": 1})
    return written


def add_to(
    transaction: TransactWrite,
    campaign_id: str,
    sort_key: str,
    counts: Mapping[str, float],
    *,
    labels: Mapping[str, str] | None = None,
) -> int:
    """Add `counts` to one counter item (its sort key already names the shard);
    `labels` are set as they are (e.g. a track's name on its TRACK# item)."""
    update = counter_update(campaign_id, sort_key, counts, labels)
    if update is None:
        return 0
    transaction.update(update[0], actions=update[1])
    return 1


def counter_update(
    campaign_id: str, sort_key: str, counts: Mapping[str, float], labels: Mapping[str, str] | None = None
) -> tuple[CounterItem, list[Any]] | None:
    """The item and update actions that add `counts` (and set `labels`); None when there is nothing to add."""
    unknown = set(counts) - COUNTER_NAMES
    if unknown:
        raise ValueError(f"unknown counters: {sorted(unknown)}")
    actions = [getattr(CounterItem, name).add(n) for name, n in sorted(counts.items()) if n]
    actions += [getattr(CounterItem, name).set(value) for name, value in sorted((labels or {}).items()) if value]
    return (CounterItem(campaign_key(campaign_id), sort_key), actions) if actions else None


class Tally:
    """Counter increments of several events, summed by counter item before they are written:
    ten plays of one hour move its HOUR item once by ten, in one item of the transaction."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], dict[str, float]] = {}
        self._labels: dict[tuple[str, str], dict[str, str]] = {}

    def add(
        self, campaign_id: str, sort_key: str, counts: Mapping[str, float], *, labels: Mapping[str, str] | None = None
    ) -> None:
        unknown = set(counts) - COUNTER_NAMES
        if unknown:
            raise ValueError(f"unknown counters: {sorted(unknown)}")
        summed = self._counts.setdefault((campaign_id, sort_key), {})
        for name, n in counts.items():
            summed[name] = summed.get(name, 0) + n
        if labels:
            self._labels.setdefault((campaign_id, sort_key), {}).update(labels)

    def add_event(
        self,
        campaign_id: str,
        at: datetime,
        counts: Mapping[str, float],
        *,
        shard: int,
        dimensions: Mapping[str, str] | None = None,
        also: Iterable[str] = (),
        now: datetime | None = None,
    ) -> None:
        """What `add_counts` adds for one event: total, hour, day, and on its day each dimension and each
        of `also`; a mark on the day's roll-up when the day is settled (one item per day, however many events)."""
        for key in counter_sort_keys(at, dimensions or {}, shard, also):
            self.add(campaign_id, key, counts)
        marker = late_marker(at, now)
        if marker:
            self.add(campaign_id, marker, {"late_writes": 1})

    def __len__(self) -> int:
        """Counter items it holds increments for (at most as many as a transaction writes)."""
        return len(self._counts)

    def copy(self) -> Tally:
        other = Tally()
        other._counts = {key: dict(counts) for key, counts in self._counts.items()}
        other._labels = {key: dict(labels) for key, labels in self._labels.items()}
        return other

    def updates(self) -> list[tuple[CounterItem, list[Any]]]:
        """One (item, actions) per counter item with something to add (sums of 0 and no label: none)."""
        found = (
            counter_update(campaign_id, sort_key, counts, self._labels.get((campaign_id, sort_key)))
            for (campaign_id, sort_key), counts in self._counts.items()
        )
        return [update for update in found if update is not None]
