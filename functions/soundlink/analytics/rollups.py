"""Roll-ups: a settled UTC day's counters summed over shards into one ROLLUP#{day} item.

A day's DAY# items are its totals and, per track, breakdown value, model x
confidence bucket and confidence bucket, one item per shard: a busy day holds
thousands. Once the day is settled (platform/counters.py ROLLUP_AFTER past its
end) an analytics request that reads it sums them into one item, so later reads of
that day cost one small item whatever the plays, tracks or referrers were.

- Written by the analytics request that finds a settled day without a valid
  roll-up (days with nothing written get an empty one, so a range never goes back
  to the raw items of a quiet day), with a Put of the recomputed sums, never by
  increments: running it twice writes the same item.
- The Put is conditional on the day's `late_writes` being what the request read
  before it queried the raw items (strongly consistent). A write that lands in a
  settled day adds 1 to `late_writes` in its own transaction, so a roll-up that
  missed it fails its condition (and is redone by the next read), and a stored
  roll-up whose `summed_late` differs from `late_writes` is ignored: that day is
  read raw and rolled up again. Nothing written late is lost.
- Per name only the counters analytics read from it (KEPT: a breakdown value's
  clicks, consents and credit, a track's plays and listeners...); the day's totals
  keep every counter. A reader of another counter adds it to KEPT and bumps FORMAT
  (older roll-ups are then ignored and redone).
- The day's people sketch (DAY#{day}#PEOPLE, platform/people.py) is kept as it is,
  so a range's listeners merge the same sketches from roll-ups as from raw days. A
  listener is added to it before their play's counters are written, and a play
  written into a settled day marks `late_writes`: a roll-up never keeps a sketch
  older than the counters it sums.
- At most MAX_SUMS_BYTES compressed (DynamoDB's item limit is 400 KB); a day with
  more distinct tracks and values than that holds is not rolled up and stays read
  from its raw items (correct, only not flat).
- Deleting an owner deletes the campaign's StatsTable partition, roll-ups with it.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pynamodb.exceptions import PutError

from soundlink.attribution.rules import MODELS
from soundlink.platform.counters import ROLLUP_AFTER, campaign_key, rollup_key
from soundlink.platform.observability import logger
from soundlink.platform.people import is_people_key
from soundlink.platform.tables import CounterItem, RollupItem

DAY_PATTERN = "%Y-%m-%d"
MAX_SUMS_BYTES = 300_000
LABELS = ("track_name", "track_artists")
FORMAT = 1
# By the first part of a name: the counters report.py reads from it (names not listed keep all).
KEPT = {
    "DIM": frozenset({"clicks", "unique_clicks", "authorizations", *(f"streams_{model}" for model in MODELS)}),
    "TRACK": frozenset({"attributed_plays", "listeners"}),
    "MODEL": frozenset({"streams", "weighted_streams"}),
    "CONF": frozenset({"attributed_plays"}),
}


@dataclass
class DaySums:
    """One UTC day's counters summed over shards: the day's totals, and by name (TRACK#{id},
    DIM#{dimension}#{value}, MODEL#{model}#C{bucket}, CONF#{bucket}) each counter's sums."""

    totals: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    named: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    people: bytes | None = None  # the day's people sketch, serialized (None: nobody credited)


@dataclass(frozen=True)
class Stored:
    """A ROLLUP# item as read: its sums only while no write landed after they were summed."""

    late_writes: int
    sums: DaySums | None


def _numbers(item: CounterItem) -> Iterable[tuple[str, Decimal]]:
    for name, value in item.attribute_values.items():
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            yield name, Decimal(str(value))


def sums_of(items: Iterable[CounterItem]) -> DaySums:
    """The sums of one day's DAY#{day}#... items (every shard of every counter)."""
    sums = DaySums()
    for item in items:
        if is_people_key(item.sk):
            sums.people = bytes(item.people) if item.people else None
            continue
        parts = item.sk.split("#")
        kept = None
        if len(parts) == 3:  # DAY#{day}#{shard}
            target = sums.totals
        else:  # DAY#{day}#{name...}#{shard}
            name = "#".join(parts[2:-1])
            kept = KEPT.get(parts[2])
            target = sums.named.setdefault(name, defaultdict(Decimal))
            for label in LABELS:
                value = getattr(item, label, None)
                if value and label not in sums.labels.get(name, {}):
                    sums.labels.setdefault(name, {})[label] = value
        for counter, value in _numbers(item):
            if kept is None or counter in kept:
                target[counter] += value
    return sums


def encode(sums: DaySums) -> bytes:
    def plain(counts: dict[str, Decimal]) -> dict[str, str]:
        return {name: str(value) for name, value in sorted(counts.items()) if value}

    body = {
        "v": FORMAT,
        "totals": plain(sums.totals),
        "named": {name: plain(counts) for name, counts in sorted(sums.named.items())},
        "labels": {name: sums.labels[name] for name in sorted(sums.labels)},
        "people": base64.b64encode(sums.people).decode() if sums.people else None,
    }
    return zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)


def decode(raw: bytes) -> DaySums | None:
    body = json.loads(zlib.decompress(raw))
    if body.get("v") != FORMAT:
        return None  # written by another version: read raw, roll up again

    def numbers(counts: dict[str, str]) -> dict[str, Decimal]:
        return defaultdict(Decimal, {name: Decimal(value) for name, value in counts.items()})

    return DaySums(
        totals=numbers(body["totals"]),
        named={name: numbers(counts) for name, counts in body["named"].items()},
        labels=body["labels"],
        people=base64.b64decode(body["people"]) if body.get("people") else None,
    )


def as_items(campaign_id: str, day: date, sums: DaySums) -> tuple[CounterItem, dict[str, CounterItem]]:
    """The sums as counter items (the day's totals, and one per name) for readers that sum items."""
    pk, prefix = campaign_key(campaign_id), f"DAY#{day.strftime(DAY_PATTERN)}"
    totals = CounterItem(pk, f"{prefix}#R", **{name: value for name, value in sums.totals.items() if value})
    named = {
        name: CounterItem(pk, f"{prefix}#{name}#R", **counts, **sums.labels.get(name, {}))
        for name, counts in sums.named.items()
    }
    return totals, named


def last_settled_day(now: datetime) -> date:
    """The latest UTC day that ended at least ROLLUP_AFTER before `now`."""
    return (now.astimezone(UTC) - ROLLUP_AFTER).date() - timedelta(days=1)


def read(campaign_id: str, first: date, last: date) -> dict[date, Stored]:
    """The ROLLUP# items of [first, last], one Query (small items: one page for a year of days)."""
    found = {}
    query = RollupItem.query(
        campaign_key(campaign_id),
        RollupItem.sk.between(rollup_key(first.strftime(DAY_PATTERN)), rollup_key(last.strftime(DAY_PATTERN))),
    )
    for item in query:
        late = int(item.late_writes or 0)
        sums = None
        if item.sums is not None and int(item.summed_late or 0) == late:
            sums = decode(item.sums)
        found[datetime.strptime(item.sk.split("#")[1], DAY_PATTERN).date()] = Stored(late_writes=late, sums=sums)
    return found


def save(campaign_id: str, day: date, sums: DaySums, seen_late: int) -> bool:
    """Put the day's roll-up unless a write landed in the day since `seen_late` was read (then
    False: the next read redoes it). False too when it would be too big to keep (the day stays raw)."""
    body = encode(sums)
    if len(body) > MAX_SUMS_BYTES:
        logger.warning("day too big to roll up", extra={"campaign_id": campaign_id, "day": str(day)})
        return False
    item = RollupItem(
        campaign_key(campaign_id),
        rollup_key(day.strftime(DAY_PATTERN)),
        late_writes=seen_late,
        summed_late=seen_late,
        sums=body,
    )
    condition = RollupItem.late_writes == seen_late
    if not seen_late:
        condition = RollupItem.pk.does_not_exist() | condition
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            # The figures were answered from the raw items: a roll-up that could not be written is
            # only a cost, tried again by the next read.
            logger.warning("roll-up not written", extra={"campaign_id": campaign_id, "day": str(day)})
        return False
    return True
