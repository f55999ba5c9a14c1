"""Campaign analytics from the pre-aggregated counters alone (never raw clicks or plays).

One request reads a fixed set of the campaign's counter groups — the days of
the range (their totals, model credit per confidence bucket, confidence
buckets, tracks and breakdown values), the hours at its ends, the same for
the previous period, listener states and the last poll — plus the playlist's
state. Its cost grows with the days of the range and the distinct tracks and
breakdown values of those days, never with the number of clicks or plays.

The range (from/to) bounds every figure: totals, the previous period's totals
(the same length just before), series, top tracks, breakdowns, models and the
histogram (analytics/ranges.py: counts exact to the hour, figures kept per day
over the whole UTC days the range touches). Day points are in the requested
zone for ranges up to 90 days (analytics/zoned.py). Whole-campaign figures:
listener states (they are current), fans and cohorts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from soundlink.analytics.ranges import (
    DAY,
    HOUR,
    RangeCounters,
    floor_day,
    floor_hour,
    hours_between,
    previous_period,
    read_range,
    sum_items,
)
from soundlink.analytics.schemas import (
    Analytics,
    BreakdownRow,
    Cohort,
    Compared,
    CountedDays,
    DataQuality,
    Fans,
    HistogramBucket,
    ModelFigures,
    Point,
    Previous,
    SavedTrack,
    TopTrack,
    Totals,
)
from soundlink.analytics.zoned import local_days, local_midnight, uses_zone, zone_name
from soundlink.attribution import cohorts, saved_tracks
from soundlink.attribution.rules import CONFIDENCE_BUCKETS, MODELS
from soundlink.platform.counters import CLICK_DIMENSIONS, COUNTER_SHARDS, campaign_key
from soundlink.platform.people import merged
from soundlink.platform.tables import CounterItem, PlaylistStateItem

TOP_TRACKS = 20
# The campaign list's `fans`: the figures only (cohorts and saved tracks are the analytics').
LIST_EXCLUDES = frozenset({"cohorts", "saved_tracks"})
TOP_VALUES = 20  # per breakdown
STATES = ("active", "idle", "reauth_required", "not_allowlisted")
# Longest series a request may ask for. An hourly week of a busy campaign is
# 7 x 24 x 8 shards = 1,344 small items: one Query page.
MAX_POINTS = {"hour": 24 * 7, "day": 400}


_sum = sum_items


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


def _models(found: RangeCounters, min_confidence: float) -> dict[str, ModelFigures]:
    floor = round(min_confidence * CONFIDENCE_BUCKETS)
    per_model: dict[str, list[CounterItem]] = defaultdict(list)
    for name, items in found.with_prefix("MODEL#").items():
        _, model, bucket = name.split("#")
        if int(bucket.removeprefix("C")) >= floor:
            per_model[model] += items
    figures = {}
    for model in MODELS:
        summed = _sum(per_model[model])
        figures[model] = ModelFigures(
            streams=round(float(summed["streams"]), 3), weighted_streams=round(float(summed["weighted_streams"]), 3)
        )
    return figures


def totals_of(
    found: RangeCounters, *, model: str, min_confidence: float, whole: bool = False
) -> tuple[Totals, dict[str, ModelFigures]]:
    """The range's totals (counts exact for the range; streams from its whole UTC days) and each model's credit.

    Listeners: for the whole campaign (`whole`), the exact count (each person counted on the day
    of their first credited play, so the days add up); for a shorter range, the people with a
    credited play on its UTC days, from the union of those days' sketches (an estimate past a
    few hundred people: `listeners_about`). It is never fewer than those whose first play fell
    in the range, who are among them."""
    totals = found.counts
    models = _models(found, min_confidence)

    def count(name: str) -> int:
        return int(totals[name])

    clicks, authorizations, listeners = count("clicks"), count("authorizations"), count("listeners")
    about = False
    if not whole:
        reached = merged(found.people)
        listeners, about = max(listeners, reached.count), reached.about
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
            listeners_about=about,
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


def fans_of(
    summed: Mapping[str, Decimal],
    cohort_rows: list[Cohort] | None = None,
    saved: list[SavedTrack] | None = None,
) -> Fans:
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
        saved_tracks=saved,
    )


def saved_tracks_of(campaign_id: str, found: RangeCounters) -> list[SavedTrack]:
    """Per track, the people with a new save (the campaign's SAVED# items: one Query of at most
    32 small items), most first; names from the TRACK# day counters the range already read."""
    names = {}
    for name, items in found.with_prefix("TRACK#").items():
        labelled = next((item.track_name for item in items if item.track_name), None)
        if labelled:
            names[name.split("#", 1)[1]] = labelled
    rows = [
        SavedTrack(track_id=track_id, track_name=names.get(track_id), people=people)
        for track_id, people in saved_tracks.people_per_track(campaign_id).items()
        if people > 0
    ]
    rows.sort(key=lambda row: (-row.people, row.track_name is None, row.track_name or "", row.track_id))
    return rows


def _series(found: RangeCounters, campaign_id: str, model: str, granularity: str, zone: tzinfo = UTC) -> list[Point]:
    """Points of the range; its end is exclusive and a period counts from its first hour.

    UTC day points come from the range's own reads (a DAY# counter per day inside
    the range, HOUR# counters for the partial days at its ends); hour points and
    day points in another zone (ranges up to 90 days) read the range's hours. The
    items read depend on the range, not on how busy the campaign was.
    """
    start, end = found.start, found.end
    first_hour = floor_hour(start)
    periods: Iterable[tuple[datetime, CounterItem]]
    if granularity == "hour":
        slots = _slots([first_hour + HOUR * n for n in range(int((end - first_hour) / HOUR) + 1)], end)
        periods = hours_between(campaign_id, first_hour, end)
        slot_of = _same
    elif zone is not UTC:
        days = local_days(start, end, zone)
        slots = _slots(days, end)
        periods = hours_between(campaign_id, first_hour, end)

        def slot_of(moment: datetime) -> datetime:
            return local_midnight(moment, zone)

    else:
        slots = _slots([floor_day(start) + DAY * n for n in range((end - floor_day(start)) // DAY + 1)], end)
        periods = found.periods
        slot_of = floor_day
    names = ("clicks", "authorizations", f"streams_{model}")
    for moment, item in periods:
        slot = slots.get(slot_of(moment))
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


def _same(moment: datetime) -> datetime:
    return moment


def _slots(starts: Iterable[datetime], end: datetime) -> dict[datetime, dict[str, Decimal]]:
    """A slot per period that starts before `end`."""
    return {moment: defaultdict(Decimal) for moment in starts if moment < end}


def _top_tracks(found: RangeCounters) -> list[TopTrack]:
    tracks = []
    for name, items in found.with_prefix("TRACK#").items():
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


def _breakdowns(found: RangeCounters, model: str) -> dict[str, list[BreakdownRow]]:
    rows: dict[str, list[BreakdownRow]] = {name: [] for name in CLICK_DIMENSIONS}
    for name, items in found.with_prefix("DIM#").items():
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


def _histogram(found: RangeCounters) -> list[HistogramBucket]:
    counts = [0] * CONFIDENCE_BUCKETS
    for name, items in found.with_prefix("CONF#").items():
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
    zone: tzinfo = UTC,
    window_days: int = 14,
    whole: bool = False,
) -> Analytics:
    """`whole`: the range holds every play the campaign can have (its listeners are then the exact
    whole-campaign count, not a sketch's)."""
    found = read_range(campaign_id, start, end)
    totals, models = totals_of(found, model=model, min_confidence=min_confidence, whole=whole)
    before_start, before_end = previous_period(start, end)
    previous, _ = totals_of(
        read_range(campaign_id, before_start, before_end), model=model, min_confidence=min_confidence
    )
    zoned = uses_zone(start, end, zone, granularity)
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
        day_zone=zone_name(zone) if zoned else "UTC",
        counted_days=CountedDays(from_=found.first_day, to=found.last_day),
        totals=totals,
        previous=Previous(from_=before_start, to=before_end, totals=previous),
        series=_series(found, campaign_id, model, granularity, zone if zoned else UTC),
        top_tracks=_top_tracks(found),
        breakdowns=_breakdowns(found, model),
        confidence_histogram=_histogram(found),
        models=models,
        compare=[
            Compared(
                campaign_id=other,
                name=name,
                totals=totals_of(read_range(other, start, end), model=model, min_confidence=min_confidence)[0],
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
        fans=(
            fans_of(_sum(_query(campaign_id, "TOTAL#")), cohort_rows, saved_tracks_of(campaign_id, found))
            if measure_fans
            else None
        ),
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
            "fans": fans_of(summed).model_dump(exclude=LIST_EXCLUDES) if campaign_id in with_fans else None,
        }
    return found
