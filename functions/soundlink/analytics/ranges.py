"""A date range's counters: what every analytics figure of [start, end) is summed from.

One range reads
- the ROLLUP# items of its settled days (one Query; analytics/rollups.py): each
  day's totals, breakdown values, tracks, model credit and confidence buckets,
  summed over shards;
- the DAY# items of its other days (one Query, DAY#{first unrolled} ..
  DAY#{last}#~): the same, one item per shard (platform/counters.py); the settled
  days among them (a campaign read for the first time, or a day written after its
  roll-up) are rolled up by this read;
- the HOUR# items of the partial days at its ends (at most two Queries).

Counts (clicks, consents, plays, listeners...) are exact for [start, end):
whole days from their DAY item, the ends from their hours. Tracks, breakdowns,
models, the confidence histogram and so streams and weighted streams count the
whole UTC days the range touches (`days`): those counters exist per day only.
The number of items read grows with the days of the range, and with the distinct
values (tracks, referrers...) of its unsettled days (today, and yesterday until
02:00 UTC), never with the number of clicks or plays.

People: the counters count a listener (and a new listener) on the day of
their first credited play of the campaign, a visitor (unique click) on each
UTC day they came, so the days add up to the whole campaign's exact figures.
The people a range reached (listeners with a credited play on the UTC days it
touches) are the union of those days' people sketches (DAY#{day}#PEOPLE,
platform/people.py), read by the same Query: `people`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from soundlink.analytics import rollups
from soundlink.platform.counters import campaign_key
from soundlink.platform.people import is_people_key
from soundlink.platform.tables import CounterItem

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DAY_PATTERN = "%Y-%m-%d"
HOUR_PATTERN = "%Y-%m-%dT%H"
# Roll-ups one read writes at most (a Put each): an old campaign's first read after this
# change rolls up two months of days, the next read the following two.
MAX_ROLLUPS_PER_READ = 62


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    return floor_hour(moment).replace(hour=0)


def sum_items(items: Iterable[CounterItem]) -> dict[str, Decimal]:
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        for name, value in item.attribute_values.items():
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                summed[name] += Decimal(str(value))
    return summed


@dataclass
class RangeCounters:
    """The counter items of one range, read once and summed as each figure needs."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    counts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))  # exact for [start, end)
    # (start, item) of the totals summed into `counts`: whole UTC days, then the hours at the ends
    periods: list[tuple[datetime, CounterItem]] = field(default_factory=list)
    # day-scoped counters by name without day and shard ("TRACK#{id}", "DIM#referrer#t.co", ...)
    named: dict[str, list[CounterItem]] = field(default_factory=lambda: defaultdict(list))
    # the serialized people sketches of the UTC days the range touches (days with a credited play)
    people: list[bytes] = field(default_factory=list)

    def with_prefix(self, prefix: str) -> dict[str, list[CounterItem]]:
        return {name: items for name, items in self.named.items() if name.startswith(prefix)}


def touched_days(start: datetime, end: datetime) -> tuple[date, date]:
    """The first and last UTC day that [start, end) touches (start < end)."""
    return floor_day(start).date(), floor_day(end - timedelta(microseconds=1)).date()


def read_range(
    campaign_id: str, start: datetime, end: datetime, *, now: datetime | None = None, roll_up: bool = True
) -> RangeCounters:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first_day, last_day = touched_days(start, end)
    found = RangeCounters(start=start, end=end, first_day=first_day, last_day=last_day)
    full_from = floor_day(start) if start == floor_day(start) else floor_day(start) + DAY
    full_to = floor_day(end)
    key = campaign_key(campaign_id)

    def add_totals(day: date, item: CounterItem) -> None:
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if full_from <= moment < full_to:
            found.periods.append((moment, item))

    settled_to = min(last_day, rollups.last_settled_day(now or datetime.now(UTC)))
    stored = rollups.read(campaign_id, first_day, settled_to) if first_day <= settled_to else {}
    rolled = {day: entry.sums for day, entry in stored.items() if entry.sums is not None}
    missing = [day for day in _days(first_day, settled_to) if day not in rolled]
    raw_from = missing[0] if missing else max(first_day, settled_to + timedelta(days=1))
    raw: dict[date, list[CounterItem]] = defaultdict(list)
    if raw_from <= last_day:
        # Strongly consistent when rolling up: the sums must hold every write counted in the
        # late_writes read above (rollups.save's condition).
        days = CounterItem.query(
            key,
            CounterItem.sk.between(f"DAY#{raw_from.strftime(DAY_PATTERN)}", f"DAY#{last_day.strftime(DAY_PATTERN)}#~"),
            consistent_read=bool(missing and roll_up),
        )
        for item in days:
            day = datetime.strptime(item.sk.split("#")[1], DAY_PATTERN).date()
            if day not in rolled:
                raw[day].append(item)
    for day, items in raw.items():
        for item in items:
            parts = item.sk.split("#")
            if is_people_key(item.sk):  # DAY#{day}#PEOPLE: the day's listeners, a sketch
                if item.people:
                    found.people.append(item.people)
            elif len(parts) == 3:  # DAY#{day}#{shard}: the day's totals
                add_totals(day, item)
            else:  # DAY#{day}#{name...}#{shard}
                found.named["#".join(parts[2:-1])].append(item)
    for day, sums in rolled.items():
        totals, named = rollups.as_items(campaign_id, day, sums)
        add_totals(day, totals)
        if sums.people:
            found.people.append(sums.people)
        for name, item in named.items():
            found.named[name].append(item)
    if roll_up:
        for day in missing[:MAX_ROLLUPS_PER_READ]:
            seen = stored.get(day)
            rollups.save(campaign_id, day, rollups.sums_of(raw.get(day, ())), seen.late_writes if seen else 0)
    found.periods.sort(key=lambda period: period[0])
    if full_from >= full_to:
        edges = _hours(key, floor_hour(start), end)
    else:
        edges = _hours(key, floor_hour(start), full_from) + _hours(key, full_to, end)
    found.periods += [(_hour_of(item), item) for item in edges]
    found.counts = sum_items(item for _, item in found.periods)
    return found


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _hours(key: str, low: datetime, high: datetime) -> list[CounterItem]:
    """HOUR# items of the hours starting in [low, high)."""
    if low >= high:
        return []
    last = floor_hour(high - timedelta(microseconds=1))
    query = CounterItem.query(
        key,
        CounterItem.sk.between(f"HOUR#{low.strftime(HOUR_PATTERN)}", f"HOUR#{last.strftime(HOUR_PATTERN)}#~"),
    )
    return [item for item in query if low <= _hour_of(item) < high]


def _hour_of(item: CounterItem) -> datetime:
    return datetime.strptime(item.sk.split("#")[1], HOUR_PATTERN).replace(tzinfo=UTC)


def hours_between(campaign_id: str, low: datetime, high: datetime) -> list[tuple[datetime, CounterItem]]:
    """(hour, item) of every HOUR# item (every shard) of the hours starting in [low, high)."""
    return [(_hour_of(item), item) for item in _hours(campaign_key(campaign_id), floor_hour(low), high)]


def previous_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The period of the same length just before [start, end)."""
    return start - (end - start), start
