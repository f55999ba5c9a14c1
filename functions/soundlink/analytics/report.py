"""Campaign analytics from the pre-aggregated counters alone (never raw clicks or plays).

One request reads a fixed set of the campaign's counter groups — totals,
model credit per confidence bucket, the confidence histogram, tracks,
breakdown values, the hours of the chosen range, listener states and the
last poll — plus the playlist's state. Its cost grows with the date range
(and the number of distinct tracks and breakdown values), never with the
number of clicks or plays.

Whole-campaign figures: totals, models, histogram, top tracks, breakdowns,
listener states, fans, cohorts. Range figures: the series.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import chain

from soundlink.analytics.schemas import (
    Analytics,
    BreakdownRow,
    Cohort,
    Compared,
    DataQuality,
    Fans,
    HistogramBucket,
    ModelFigures,
    Point,
    TopTrack,
    Totals,
)
from soundlink.attribution import cohorts
from soundlink.attribution.rules import CONFIDENCE_BUCKETS, MODELS
from soundlink.platform.counters import CLICK_DIMENSIONS, COUNTER_SHARDS, campaign_key
from soundlink.platform.tables import CounterItem, PlaylistStateItem

TOP_TRACKS = 20
TOP_VALUES = 20  # per breakdown
STATES = ("active", "idle", "reauth_required", "not_allowlisted")
# Longest series a request may ask for. An hourly week of a busy campaign is
# 7 x 24 x 8 shards = 1,344 small items: one Query page.
MAX_POINTS = {"hour": 24 * 7, "day": 400}


def _sum(items: Iterable[CounterItem]) -> dict[str, Decimal]:
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        for name, value in item.attribute_values.items():
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                summed[name] += Decimal(str(value))
    return summed


def _group(items: Iterable[CounterItem]) -> dict[str, list[CounterItem]]:
    """Counter items by name, shards together (the shard is the last part of the sort key)."""
    groups: dict[str, list[CounterItem]] = defaultdict(list)
    for item in items:
        groups[item.sk.rsplit("#", 1)[0]].append(item)
    return groups


def _query(campaign_id: str, prefix: str) -> list[CounterItem]:
    return list(CounterItem.query(campaign_key(campaign_id), CounterItem.sk.startswith(prefix)))


def _get(campaign_id: str, sort_key: str) -> CounterItem | None:
    try:
        return CounterItem.get(campaign_key(campaign_id), sort_key)
    except CounterItem.DoesNotExist:
        return None


def _models(campaign_id: str, min_confidence: float) -> dict[str, ModelFigures]:
    floor = round(min_confidence * CONFIDENCE_BUCKETS)
    per_model: dict[str, list[CounterItem]] = defaultdict(list)
    for item in _query(campaign_id, "MODEL#"):
        _, model, bucket, _shard = item.sk.split("#")
        if int(bucket.removeprefix("C")) >= floor:
            per_model[model].append(item)
    figures = {}
    for model in MODELS:
        summed = _sum(per_model[model])
        figures[model] = ModelFigures(
            streams=round(float(summed["streams"]), 3), weighted_streams=round(float(summed["weighted_streams"]), 3)
        )
    return figures


def totals_of(campaign_id: str, *, model: str, min_confidence: float) -> tuple[Totals, dict[str, ModelFigures]]:
    totals = _sum(_query(campaign_id, "TOTAL#"))
    models = _models(campaign_id, min_confidence)

    def count(name: str) -> int:
        return int(totals[name])

    clicks, authorizations, listeners = count("clicks"), count("authorizations"), count("listeners")
    chosen = models[model]
    return (
        Totals(
            clicks=clicks,
            unique_clicks=count("unique_clicks"),
            bot_clicks=count("bot_clicks"),
            suspicious_clicks=count("suspicious_clicks"),
            connect_clicks=count("connect_clicks"),
            just_play_clicks=count("just_play_clicks"),
            authorizations=authorizations,
            declined=count("declined"),
            conversion_rate=round(authorizations / clicks, 4) if clicks else 0.0,
            streams=chosen.streams,
            weighted_streams=chosen.weighted_streams,
            listeners=listeners,
            new_listeners=count("new_listeners"),
            streams_per_listener=round(chosen.streams / listeners, 3) if listeners else 0.0,
            attributed_plays=count("attributed_plays"),
            possible_gaps=count("possible_gaps"),
        ),
        models,
    )


def cohorts_of(campaign_id: str, window_days: int) -> list[Cohort]:
    """The cohort table from the COHORT# counters (one Query: cohort weeks x weeks x shards items),
    oldest week first; each row as wide as the campaign's window reaches (cohorts.weeks_of)."""
    width = cohorts.weeks_of(window_days)
    rows: dict[str, Cohort] = {}
    for name, items in _group(_query(campaign_id, cohorts.PREFIX)).items():
        _, week_start, which = name.split("#")
        row = rows.setdefault(week_start, Cohort(week_start=week_start, listeners=0, returned=[0] * width))
        count = int(_sum(items)["listeners"])
        if which == cohorts.ALL:
            row.listeners = count
        elif which.startswith("W") and which[1:].isdigit() and 1 <= int(which[1:]) <= width:
            row.returned[int(which[1:]) - 1] = count
    return [rows[week] for week in sorted(rows)]


def fans_of(summed: Mapping[str, Decimal], cohort_rows: list[Cohort] | None = None) -> Fans:
    """The campaign's fans from its TOTAL shards: null figures when no listener was measured."""
    measured = int(summed["fans_measured"])

    def figure(name: str) -> int | None:
        return int(summed[name]) if measured else None

    return Fans(
        new_saves=figure("new_saves"),
        new_playlist_followers=figure("new_playlist_followers"),
        new_artist_followers=figure("new_artist_followers"),
        measured_listeners=measured,
        not_measured_listeners=int(summed["fans_not_measured"]),
        cohorts=cohort_rows,
    )


def _totals(campaign_id: str, model: str, min_confidence: float) -> Totals:
    return totals_of(campaign_id, model=model, min_confidence=min_confidence)[0]


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _floor_day(moment: datetime) -> datetime:
    return _floor_hour(moment).replace(hour=0)


def _periods(campaign_id: str, kind: str, low: datetime, high: datetime) -> Iterator[tuple[datetime, CounterItem]]:
    """HOUR# or DAY# counter items (every shard) of the periods starting in [low, high)."""
    if low >= high:
        return
    pattern, floor = ("%Y-%m-%dT%H", _floor_hour) if kind == "HOUR" else ("%Y-%m-%d", _floor_day)
    last = floor(high - timedelta(microseconds=1))  # the last period that starts before `high`
    query = CounterItem.query(
        campaign_key(campaign_id),
        CounterItem.sk.between(f"{kind}#{low.strftime(pattern)}", f"{kind}#{last.strftime(pattern)}#~"),
    )
    for item in query:
        moment = datetime.strptime(item.sk.split("#")[1], pattern).replace(tzinfo=UTC)
        if low <= moment < high:
            yield moment, item


def _series(campaign_id: str, model: str, start: datetime, end: datetime, granularity: str) -> list[Point]:
    """Points of the range; `end` is exclusive and a period counts from its first hour.

    Day points read one DAY# counter per day for the days inside the range, and
    HOUR# counters only for the partial days at its ends: the items read depend
    on the range, not on how busy the campaign was.
    """
    first_hour = _floor_hour(start)
    if granularity == "hour":
        slots = _slots(first_hour, end, HOUR)
        found = _periods(campaign_id, "HOUR", first_hour, end)
    else:
        slots = _slots(_floor_day(start), end, DAY)
        full_from = first_hour if first_hour == _floor_day(first_hour) else _floor_day(first_hour) + DAY
        full_to = _floor_day(end)
        if full_from < full_to:
            found = chain(
                _periods(campaign_id, "HOUR", first_hour, full_from),
                _periods(campaign_id, "DAY", full_from, full_to),
                _periods(campaign_id, "HOUR", full_to, end),
            )
        else:
            found = _periods(campaign_id, "HOUR", first_hour, end)
    names = ("clicks", "authorizations", f"streams_{model}")
    for moment, item in found:
        slot = slots.get(moment if granularity == "hour" else _floor_day(moment))
        if slot is None:
            continue
        for name in names:
            value = getattr(item, name, None)
            if value is not None:
                slot[name] += Decimal(str(value))
    return [
        Point(
            t=moment,
            clicks=int(values["clicks"]),
            authorizations=int(values["authorizations"]),
            streams=round(float(values[f"streams_{model}"]), 3),
        )
        for moment, values in slots.items()
    ]


def _slots(first: datetime, end: datetime, step: timedelta) -> dict[datetime, dict[str, Decimal]]:
    slots: dict[datetime, dict[str, Decimal]] = {}
    moment = first
    while moment < end:
        slots[moment] = defaultdict(Decimal)
        moment += step
    return slots


def _top_tracks(campaign_id: str) -> list[TopTrack]:
    tracks = []
    for name, items in _group(_query(campaign_id, "TRACK#")).items():
        track_id = name.split("#", 1)[1]
        summed = _sum(items)
        labelled = next((item for item in items if item.track_name), None)
        tracks.append(
            TopTrack(
                track_id=track_id,
                name=labelled.track_name if labelled else None,
                artists=labelled.track_artists if labelled else None,
                url=f"https://open.spotify.com/track/{track_id}",
                streams=int(summed["attributed_plays"]),
                listeners=int(summed["listeners"]),
            )
        )
    tracks.sort(key=lambda t: (-t.streams, -t.listeners, t.track_id))
    return tracks[:TOP_TRACKS]


def _breakdowns(campaign_id: str, model: str) -> dict[str, list[BreakdownRow]]:
    rows: dict[str, list[BreakdownRow]] = {name: [] for name in CLICK_DIMENSIONS}
    for name, items in _group(_query(campaign_id, "DIM#")).items():
        _, dimension, value = name.split("#", 2)
        if dimension not in rows:
            continue
        summed = _sum(items)
        rows[dimension].append(
            BreakdownRow(
                value=value,
                clicks=int(summed["clicks"]),
                unique_clicks=int(summed["unique_clicks"]),
                authorizations=int(summed["authorizations"]),
                streams=round(float(summed[f"streams_{model}"]), 3),
            )
        )
    for dimension in rows:
        rows[dimension].sort(key=lambda r: (-r.clicks, -r.streams, r.value))
        rows[dimension] = rows[dimension][:TOP_VALUES]
    return rows


def _histogram(campaign_id: str) -> list[HistogramBucket]:
    counts = [0] * CONFIDENCE_BUCKETS
    for name, items in _group(_query(campaign_id, "CONF#")).items():
        counts[int(name.split("#")[1])] += int(_sum(items)["attributed_plays"])
    return [
        HistogramBucket(min=b / CONFIDENCE_BUCKETS, max=(b + 1) / CONFIDENCE_BUCKETS, streams=n)
        for b, n in enumerate(counts)
    ]


def campaign_analytics(
    campaign_id: str,
    playlist_id: str,
    *,
    model: str,
    min_confidence: float,
    start: datetime,
    end: datetime,
    granularity: str,
    compare: Iterable[tuple[str, str]] = (),
    measure_fans: bool = False,
    window_days: int = 14,
) -> Analytics:
    totals, models = totals_of(campaign_id, model=model, min_confidence=min_confidence)
    cohort_rows = cohorts_of(campaign_id, window_days)
    states = _get(campaign_id, "STATES")
    poll = _get(campaign_id, "POLL")
    try:
        playlist = PlaylistStateItem.get(*PlaylistStateItem.key(playlist_id))
    except PlaylistStateItem.DoesNotExist:
        playlist = None
    return Analytics(
        campaign_id=campaign_id,
        model=model,
        min_confidence=min_confidence,
        granularity=granularity,
        from_=start,
        to=end,
        totals=totals,
        series=_series(campaign_id, model, start, end, granularity),
        top_tracks=_top_tracks(campaign_id),
        breakdowns=_breakdowns(campaign_id, model),
        confidence_histogram=_histogram(campaign_id),
        models=models,
        compare=[
            Compared(
                campaign_id=other, name=name, totals=totals_of(other, model=model, min_confidence=min_confidence)[0]
            )
            for other, name in compare
        ],
        listener_states={state: max(0, int(getattr(states, f"state_{state}", None) or 0)) for state in STATES},
        data_quality=DataQuality(
            possible_gaps=totals.possible_gaps,
            playlist_readable=playlist.readable if playlist else None,
            playlist_reason=playlist.reason if playlist else None,
            last_successful_poll=poll.last_polled_at if poll else None,
        ),
        fans=fans_of(_sum(_query(campaign_id, "TOTAL#")), cohort_rows) if measure_fans else None,
        cohorts=cohort_rows,
    )


def headlines(
    campaigns: Iterable[tuple[str, str]], *, measuring_fans: Iterable[str] = ()
) -> dict[str, dict[str, object]]:
    """{campaign id: {clicks, listeners, streams, fans}} for (campaign id, model) pairs, from their
    TOTAL shards in BatchGetItem calls (100 keys each): no Query per campaign, never a Scan.
    `fans` (the Fans figures without cohorts) for the campaigns in `measuring_fans`, else None."""
    with_fans = set(measuring_fans)
    wanted = list(campaigns)
    keys = [(campaign_key(cid), f"TOTAL#{shard}") for cid, _ in wanted for shard in range(COUNTER_SHARDS)]
    by_campaign: dict[str, list[CounterItem]] = defaultdict(list)
    for item in CounterItem.batch_get(keys):
        by_campaign[item.pk.removeprefix("CAMPAIGN#")].append(item)
    found = {}
    for campaign_id, model in wanted:
        summed = _sum(by_campaign[campaign_id])
        found[campaign_id] = {
            "clicks": int(summed["clicks"]),
            "listeners": int(summed["listeners"]),
            "streams": round(float(summed[f"streams_{model}"]), 3),
            "fans": fans_of(summed).model_dump(exclude={"cohorts"}) if campaign_id in with_fans else None,
        }
    return found
