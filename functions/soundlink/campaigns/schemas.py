"""The owner API's shapes of a campaign: pydantic bodies in (with their input rules) and out.

Kept apart from the service so the tracker and the pipeline read campaigns without pydantic.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from pydantic import AwareDatetime, ConfigDict, Field, StrictBool, field_validator, model_validator

from soundlink.campaigns.campaign import AttributionModel, Campaign, CampaignStatus, check_period, tracker_url
from soundlink.campaigns.playlist_ref import parse_playlist
from soundlink.campaigns.spend import CURRENCY_DIGITS, MAX_SOURCES, Spend, check_amount
from soundlink.platform.errors import BadRequest
from soundlink.platform.schema import Schema
from soundlink.platform.settings import destination_hosts

MAX_URL_LENGTH = 2048
# Dates are stored and compared in UTC; outside this range they are typos,
# and near datetime's own limits their conversion to UTC overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)  # exclusive

# ---------------------------------------------------------------- input


def _is_control(ch: str) -> bool:
    """Control characters, lone surrogates and non-characters (none of them is valid in XML)."""
    return unicodedata.category(ch) in ("Cc", "Cs") or "\ufdd0" <= ch <= "\ufdef" or (ord(ch) & 0xFFFE) == 0xFFFE


def _invisible(text: str, i: int) -> bool:
    """A format character (Cf) other than an emoji sequence's zero-width joiner (🎧‍🔥)."""
    if unicodedata.category(text[i]) != "Cf":
        return False
    if text[i] != "\u200d" or i == 0 or i == len(text) - 1:
        return True
    before, after = text[i - 1], text[i + 1]
    return not (_emoji_part(before) and _emoji_part(after))


def _emoji_part(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or ch == "\ufe0f" or 0x1F3FB <= ord(ch) <= 0x1F3FF


def _check_name(value: str | None) -> str | None:
    if value is not None and any(_is_control(ch) for ch in value):
        raise ValueError("name must not contain control characters (line breaks, tabs, ...)")
    # Listeners read it on the landing page: no bidi overrides (U+202E) or zero-width characters
    # that make it read as something else.
    if value is not None and any(_invisible(value, i) for i in range(len(value))):
        raise ValueError(
            "must not contain invisible formatting characters (direction overrides, zero-width spaces, ...)"
        )
    return value


SPOTIFY_HOSTS = frozenset({"open.spotify.com"})
_SPOTIFY_URI = re.compile(r"^spotify:(playlist|album|track|artist|show|episode|user)(:[A-Za-z0-9._-]+)+$")


def _check_destination(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"destination_url is longer than {MAX_URL_LENGTH} characters")
    # A listener is redirected there: no header injection (CR/LF), no spaces,
    # no invisible or direction-changing characters in what the owner sees.
    if any(ch.isspace() or _is_control(ch) or unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp") for ch in value):
        raise ValueError("destination_url must not contain spaces or control characters; percent-encode them")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises for a port that is not a number from 0 to 65535)
    except ValueError:
        raise ValueError("destination_url is not a valid URL") from None
    if _SPOTIFY_URI.match(value):
        return value  # opens the Spotify app itself
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(
            "destination_url must be an https:// address or a spotify: URI, e.g. https://open.spotify.com/playlist/…"
        )
    if "\\" in value:
        raise ValueError("destination_url must not contain backslashes (browsers read them as slashes)")
    if "@" in parts.netloc or parts.username or parts.password:
        raise ValueError("destination_url must not contain a user name or password")
    host = parts.hostname.rstrip(".")
    if not host.isascii():
        raise ValueError("destination_url's host must be ASCII; write an international name in punycode (xn--…)")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValueError("destination_url must name a host, not an IP address")
    if host not in SPOTIFY_HOSTS | destination_hosts():
        allowed = ", ".join(sorted(SPOTIFY_HOSTS | destination_hosts()))
        raise ValueError(
            f"destination_url must lead to Spotify ({allowed}); other sites need the operator's allow-list "
            "(the DestinationHosts parameter)"
        )
    return value


def _check_moment(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise ValueError("must be between 2000-01-01 and 2100-12-31 (UTC)")
    return value


def _check_playlist(value: str) -> str:
    try:
        return parse_playlist(value).id
    except BadRequest as error:
        raise ValueError(error.message) from None


class SpendIn(Schema):
    """What the campaign cost: `total` for the whole campaign or `per_day`, in `currency`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    currency: str = Field(description="ISO 4217 code, e.g. EUR, USD, JPY", examples=["EUR"])
    total: Decimal | None = Field(None, description="What the whole campaign cost", examples=["250.00"])
    per_day: Decimal | None = Field(None, description="What each day of the campaign cost", examples=["12.50"])
    by_source: dict[str, Decimal] | None = Field(
        None,
        description="Part of the amount (on the same basis: total or per day) spent on each utm_source",
        examples=[{"instagram": "100.00"}],
    )

    @field_validator("total", "per_day", mode="wrap")
    @classmethod
    def _number(cls, value: Any, handler: Any) -> Decimal | None:
        # A JSON number or a string of digits; NaN and infinity get a sentence, not pydantic's code.
        if isinstance(value, float) and value != value:
            raise ValueError("must be a number (not NaN)")
        return handler(value)

    @model_validator(mode="after")
    def _rules(self) -> SpendIn:
        self.currency = self.currency.upper()
        if self.currency not in CURRENCY_DIGITS:
            raise ValueError(
                f"currency {self.currency[:10]!r} is not an ISO 4217 currency in use; write its 3-letter code, "
                "e.g. EUR, USD, GBP, JPY"
            )
        if (self.total is None) == (self.per_day is None):
            raise ValueError(
                "give total (what the whole campaign cost) or per_day (what each day cost)"
                + (", not both" if self.total is not None else "")
            )
        basis = "total" if self.total is not None else "per_day"
        amount = check_amount(self.total if self.total is not None else self.per_day, self.currency, basis)
        sources = self.by_source or {}
        if len(sources) > MAX_SOURCES:
            raise ValueError(f"by_source names at most {MAX_SOURCES} sources")
        for source, value in sources.items():
            if not source.strip() or len(source) > 100 or any(_is_control(ch) for ch in source):
                raise ValueError("each by_source key must be a utm_source of 1 to 100 printable characters")
            check_amount(value, self.currency, f"by_source[{source[:40]!r}]")
        if sum(sources.values(), Decimal(0)) > amount:
            raise ValueError(f"the by_source amounts add up to more than {basis} ({amount} {self.currency})")
        return self

    def to_spend(self) -> Spend:
        return Spend(
            currency=self.currency,
            total=self.total,
            per_day=self.per_day,
            by_source={source.strip(): value for source, value in (self.by_source or {}).items()},
        )


class SpendOut(Schema):
    """Amounts are decimal strings (exact, never floats)."""

    currency: str
    total: str | None = None
    per_day: str | None = None
    by_source: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, spend: Spend | None) -> SpendOut | None:
        if spend is None:
            return None
        return cls(
            currency=spend.currency,
            total=None if spend.total is None else str(spend.total),
            per_day=None if spend.per_day is None else str(spend.per_day),
            by_source={source: str(value) for source, value in spend.by_source.items()},
        )


class CampaignCreate(Schema):
    """Body of POST /campaigns."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120, description="Shown to you and on the link's landing page")
    presented_by: str | None = Field(
        None, min_length=1, max_length=120, description="Who presents it to listeners, e.g. the artist's name"
    )
    playlist: str = Field(
        max_length=500,
        description="Spotify playlist link, spotify:playlist: URI or 22-character id",
        examples=["https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"],
    )
    attribution_window_days: int = Field(14, ge=1, le=90)
    attribution_model: AttributionModel = AttributionModel.LAST_TOUCH
    measure_fans: StrictBool = Field(
        False,
        description="Also measure saves, follows and who came back: consent then asks for the library scopes",
    )
    destination_url: str | None = Field(None, description="https URL; defaults to the playlist on Spotify")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    spend: SpendIn | None = Field(None, description="What the campaign cost (for cost per stream)")

    _name = field_validator("name", "presented_by")(_check_name)
    _playlist = field_validator("playlist")(_check_playlist)
    _destination = field_validator("destination_url")(_check_destination)
    _moments = field_validator("starts_at", "ends_at")(_check_moment)

    @model_validator(mode="after")
    def _period(self) -> CampaignCreate:
        check_period(self.starts_at, self.ends_at)
        return self


class CampaignUpdate(Schema):
    """Body of PATCH /campaigns/{id}: only the fields present change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=120)
    presented_by: str | None = Field(None, min_length=1, max_length=120, description="null removes it")
    attribution_window_days: int | None = Field(None, ge=1, le=90)
    attribution_model: AttributionModel | None = None
    measure_fans: StrictBool | None = None
    destination_url: str | None = Field(None, description="null resets it to the playlist on Spotify")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    spend: SpendIn | None = Field(None, description="null removes it")
    playlist: Any = Field(None, description="Cannot be changed; present only to explain why")

    _name = field_validator("name", "presented_by")(_check_name)
    _destination = field_validator("destination_url")(_check_destination)
    _moments = field_validator("starts_at", "ends_at")(_check_moment)

    @field_validator("playlist")
    @classmethod
    def _playlist_fixed(cls, value: Any) -> None:
        raise ValueError(
            "the playlist of a campaign cannot be changed (its analytics belong to it); "
            "create a new campaign for another playlist"
        )

    @model_validator(mode="after")
    def _not_null(self) -> CampaignUpdate:
        for name in ("name", "attribution_window_days", "attribution_model", "measure_fans"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if not self.model_fields_set:
            raise ValueError("nothing to change: send at least one field")
        return self


# ---------------------------------------------------------- presentation


class CampaignOut(Schema):
    """A campaign as the owner API returns it."""

    id: str
    name: str
    presented_by: str | None = None
    slug: str
    tracker_url: str
    qr_url: str
    playlist_id: str
    playlist_uri: str
    playlist_url: str
    destination_url: str
    attribution_window_days: int
    attribution_model: AttributionModel
    measure_fans: bool = False
    starts_at: datetime | None
    ends_at: datetime | None
    status: CampaignStatus
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    playlist_name: str | None = Field(None, description="As Spotify names it, when Soundlink could read it")
    playlist_image_url: str | None = None
    playlist_warning: str | None = Field(
        None, description="Why Soundlink could not read the playlist when the campaign was made, and what to do"
    )
    spend: SpendOut | None = None

    @classmethod
    def of(cls, campaign: Campaign, api_url: str) -> CampaignOut:
        return cls(
            id=campaign.id,
            name=campaign.name,
            presented_by=campaign.presented_by,
            slug=campaign.slug,
            tracker_url=tracker_url(api_url, campaign.slug),
            qr_url=f"{api_url}/campaigns/{campaign.id}/qr.svg",
            playlist_id=campaign.playlist_id,
            playlist_uri=campaign.playlist.uri,
            playlist_url=campaign.playlist.url,
            destination_url=campaign.destination_url,
            attribution_window_days=campaign.attribution_window_days,
            attribution_model=campaign.attribution_model,
            measure_fans=campaign.measure_fans,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            status=campaign.status,
            created_at=campaign.created_at,
            updated_at=campaign.updated_at,
            archived_at=campaign.archived_at,
            playlist_name=campaign.playlist_name,
            playlist_image_url=campaign.playlist_image_url,
            playlist_warning=campaign.playlist_warning,
            spend=SpendOut.of(campaign.spend),
        )


class FansHeadline(Schema):
    """Saves and follows the campaign made (people counted once each); a figure is null while no
    listener's library could be checked, never a zero."""

    new_saves: int | None
    new_playlist_followers: int | None
    new_artist_followers: int | None
    measured_listeners: int
    not_measured_listeners: int


class Headline(Schema):
    """A campaign's numbers at a glance (the campaigns list)."""

    clicks: int
    listeners: int
    streams: float = Field(description="Plays credited to the campaign under its own model")
    fans: FansHeadline | None = Field(None, description="null when the campaign does not measure fans")
    authorizations: int = Field(0, description="Listeners who connected Spotify")
    connect_rate: float | None = Field(None, description="authorizations / clicks; null: no click yet")
    weighted_streams: float = Field(0.0, description="streams weighted by their confidence (as on its page)")
    new_listeners: int = 0
    cost_currency: str | None = None
    cost_per_weighted_stream: str | None = Field(
        None, description="The whole campaign's spend / weighted_streams; null: no spend, or no stream yet"
    )
    last_7_days: list[float] = Field(
        default_factory=list, description="Streams under its model on each of the last 7 UTC days, oldest first"
    )


class CampaignListItem(CampaignOut):
    headline: Headline


class SpotifyQuota(Schema):
    """Development Mode's ceiling, for the dashboard to show wherever listener numbers appear."""

    extended_quota: bool = Field(description="false: Spotify's Development Mode (the SpotifyExtendedQuota parameter)")
    listener_ceiling: int | None = Field(description="Most Spotify accounts the app may follow; null: no ceiling")
    listeners_followed: int = Field(description="Spotify accounts of listeners the app follows now, across owners")


class CampaignList(Schema):
    campaigns: list[CampaignListItem]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")
    spotify: SpotifyQuota | None = None
