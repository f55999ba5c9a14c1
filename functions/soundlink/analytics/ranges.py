"""A date range's counters: what every analytics figure of [start, end) is summed from.

One range reads
- the DAY# items of the UTC days the range touches (one Query, DAY#{first} ..
  DAY#{last}#~): each day's totals, and the day's breakdown values, tracks,
  model credit and confidence buckets (platform/counters.py);
- the HOUR# items of the partial days at its ends (at most two Queries).

Counts (clicks, consents, plays, listeners...) are exact for [start, end):
whole days from their DAY item, the ends from their hours. Tracks, breakdowns,
models, the confidence histogram and so streams and weighted streams count the
whole UTC days the range touches (`days`): those counters exist per day only.
The number of items read grows with the days of the range and the distinct
values (tracks, referrers...), never with the number of clicks or plays.

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

from soundlink.platform.counters import campaign_key
from soundlink.platform.people import is_people_key
from soundlink.platform.tables import CounterItem

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DAY_PATTERN = "%Y-%m-%d"
HOUR_PATTERN = "%Y-%m-%dT%H"


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


def read_range(campaign_id: str, start: datetime, end: datetime) -> RangeCounters:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first_day, last_day = touched_days(start, end)
    found = RangeCounters(start=start, end=end, first_day=first_day, last_day=last_day)
    full_from = floor_day(start) if start == floor_day(start) else floor_day(start) + DAY
    full_to = floor_day(end)
    key = campaign_key(campaign_id)
    days = CounterItem.query(
        key,
        CounterItem.sk.between(f"DAY#{first_day.strftime(DAY_PATTERN)}", f"DAY#{last_day.strftime(DAY_PATTERN)}#~"),
    )
    for item in days:
        parts = item.sk.split("#")
        if is_people_key(item.sk):  # DAY#{day}#PEOPLE: the day's listeners, a sketch
            if item.people:
                found.people.append(item.people)
        elif len(parts) == 3:  # DAY#{day}#{shard}: the day's totals
            moment = datetime.strptime(parts[1], DAY_PATTERN).replace(tzinfo=UTC)
            if full_from <= moment < full_to:
                found.periods.append((moment, item))
        else:  # DAY#{day}#{name...}#{shard}
            found.named["#".join(parts[2:-1])].append(item)
    if full_from >= full_to:
        edges = _hours(key, floor_hour(start), end)
    else:
        edges = _hours(key, floor_hour(start), full_from) + _hours(key, full_to, end)
    found.periods += [(_hour_of(item), item) for item in edges]
    found.counts = sum_items(item for _, item in found.periods)
    return found


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
