"""The analytics response as the owner API returns it (its OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from soundlink.analytics.cost import Cost
from soundlink.platform.schema import Schema


class Totals(Schema):
    clicks: int = Field(description="Landing page views by people (bots, prefetches and suspicious requests excluded)")
    unique_clicks: int = Field(description="First click of a visitor on a UTC day")
    bot_clicks: int = Field(description="Bots, link previews and HEAD requests")
    suspicious_clicks: int = Field(
        description="Neither people nor declared bots (implausible browsers, a visitor past 5 an hour, requests "
        "the WAF rate rule marked): sent on, counted in no other figure"
    )
    connect_clicks: int = Field(description='"Connect Spotify" on the landing page (people)')
    just_play_clicks: int = Field(description='"Just take me to the playlist" on the landing page (people)')
    authorizations: int = Field(description="Listeners who connected Spotify")
    declined: int = Field(description="Listeners who declined on Spotify's consent page")
    conversion_rate: float = Field(description="authorizations / clicks: the share of clicks that connected Spotify")
    streams: float = Field(description="Attributed plays credited to this campaign under the model")
    weighted_streams: float = Field(description="streams weighted by their confidence")
    listeners: int = Field(
        description="People with at least one attributed play (any confidence) in the range, each counted once: "
        "exact for the whole campaign; for a shorter range, the people with an attributed play on the UTC days "
        "it touches, from a HyperLogLog sketch per day (exact below ~380 people, else see listeners_about)"
    )
    listeners_about: bool = Field(
        False,
        description="True when listeners is an estimate (relative standard error 1.6%; 95% of estimates within "
        "3.3%); false when it is exact",
    )
    new_listeners: int = Field(
        description="Listeners whose first attributed play of the campaign fell in the range and who had played "
        "none of its tracks before the click (an event per person: ranges add up, exactly)"
    )
    streams_per_listener: float = Field(description="streams / listeners")
    attributed_plays: int = Field(description="Plays attributed to this campaign, whatever the model's credit")
    possible_gaps: int = Field(description="Polls that found 50 new plays: some plays may have been missed")


class Point(Schema):
    t: datetime
    clicks: int
    authorizations: int
    streams: float = Field(description="Credit under the model, all confidences")


class TopTrack(Schema):
    track_id: str
    name: str | None
    artists: str | None
    url: str
    streams: int = Field(description="Attributed plays of the track")
    listeners: int


class BreakdownRow(Schema):
    value: str
    clicks: int
    unique_clicks: int
    authorizations: int
    streams: float


class HistogramBucket(Schema):
    min: float
    max: float
    streams: int = Field(description="Attributed plays whose confidence is in [min, max)")


class ModelFigures(Schema):
    streams: float
    weighted_streams: float


class Compared(Schema):
    campaign_id: str
    name: str
    totals: Totals


class DataQuality(Schema):
    possible_gaps: int
    playlist_readable: bool | None = Field(description="None: not checked yet (no attributed listener polled)")
    playlist_reason: str | None
    last_successful_poll: datetime | None


class Cohort(Schema):
    """Listeners whose first click fell in one week, and in which weeks after it they came back."""

    week_start: str = Field(description="Monday (UTC, YYYY-MM-DD) of the week of these listeners' first click")
    listeners: int = Field(description="Listeners of this week with at least one counted stream")
    returned: list[int] = Field(
        description="returned[0]: of them, those with a counted stream within 7 days after their first click; "
        "returned[1]: 8 to 14 days after; ... as far as the campaign's window reaches"
    )


class SavedTrack(Schema):
    track_id: str
    track_name: str | None = Field(
        description="From the track's stream counters in the requested range; null when it had no attributed "
        "stream there"
    )
    people: int = Field(description="People with a new save of this track (a person counts under each track)")


class Fans(Schema):
    """Saves and follows the campaign made (people counted once each). A figure is null where
    nothing was measured (no listener gave the library scopes): never a zero."""

    new_saves: int | None = Field(description="People who saved a campaign track they had not saved before")
    new_playlist_followers: int | None
    new_artist_followers: int | None
    measured_listeners: int = Field(description="Listeners whose library Soundlink could check")
    not_measured_listeners: int = Field(description="Listeners who connected without the library scopes")
    cohorts: list[Cohort] | None = Field(
        None, description="Who came back, per week of first click (the same rows as the analytics' cohorts)"
    )
    saved_tracks: list[SavedTrack] | None = Field(
        None, description="Which tracks got new saves, most people first (analytics only, not the campaign list)"
    )


class CountedDays(Schema):
    """The whole UTC days that tracks, breakdowns, models, the histogram and streams count."""

    from_: date = Field(alias="from")
    to: date

    model_config = {"populate_by_name": True}


class Previous(Schema):
    """The period of the same length just before the range: what the deltas compare with."""

    from_: datetime = Field(alias="from")
    to: datetime
    totals: Totals

    model_config = {"populate_by_name": True}


class Analytics(Schema):
    campaign_id: str
    model: str
    min_confidence: float
    granularity: str
    from_: datetime = Field(alias="from")
    to: datetime
    day_zone: str = Field(
        "UTC", description='The zone of day points: the requested tz for ranges up to 90 days, else "UTC"'
    )
    counted_days: CountedDays
    totals: Totals
    previous: Previous
    series: list[Point]
    top_tracks: list[TopTrack]
    breakdowns: dict[str, list[BreakdownRow]]
    confidence_histogram: list[HistogramBucket]
    models: dict[str, ModelFigures]
    compare: list[Compared]
    listener_states: dict[str, int]
    data_quality: DataQuality
    fans: Fans | None = Field(None, description="null when the campaign does not measure fans")
    cohorts: list[Cohort] = Field(
        default_factory=list,
        description="Who came back, per week of first click, oldest first: counted for every campaign "
        "(streams need no library scopes); also in fans.cohorts when the campaign measures fans",
    )
    cost: Cost | None = Field(None, description="What the range cost per click, listener and stream; null: no spend")
    spotify: dict | None = Field(
        None, description="Development Mode's ceiling: {extended_quota, listener_ceiling, listeners_followed}"
    )

    model_config = {"populate_by_name": True}
