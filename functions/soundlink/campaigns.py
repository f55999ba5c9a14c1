"""Campaigns: what an owner creates, shares and archives, and the rules for it.

The service receives its repository as a port (`CampaignRepository`), so the
rules are tested with an in-memory fake and the DynamoDB adapter with moto.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from soundlink.campaign import SLUG_ALPHABET, SLUG_LENGTH, AttributionModel, Campaign, CampaignStatus, tracker_url
from soundlink.errors import BadRequest, Conflict, NotFound
from soundlink.playlist_ref import PlaylistRef, parse_playlist

SLUG_ATTEMPTS = 5
MAX_URL_LENGTH = 2048
# Dates are stored and compared in UTC; outside this range they are typos,
# and near datetime's own limits their conversion to UTC overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)  # exclusive
# Campaign ids are uuid4 strings as `str(uuid.uuid4())` writes them.
_CAMPAIGN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def is_campaign_id(value: str) -> bool:
    """Whether a value could be the id of a campaign (checked before any read)."""
    return _CAMPAIGN_ID.fullmatch(value) is not None


class SlugTaken(Exception):
    """The slug chosen for a new campaign already belongs to another one."""


class StaleCampaign(Exception):
    """The campaign changed between read and write (optimistic locking)."""


@dataclass(frozen=True)
class Page:
    campaigns: list[Campaign]
    next_cursor: str | None


class CampaignRepository(Protocol):
    def create(self, campaign: Campaign) -> None:
        """Store a new campaign and claim its slug; SlugTaken if the slug is used."""

    def get(self, campaign_id: str) -> Campaign | None: ...

    def get_by_slug(self, slug: str) -> Campaign | None: ...

    def list_for_owner(self, owner_id: str, *, limit: int, cursor: str | None, status: CampaignStatus | None) -> Page:
        """An owner's campaigns, newest first; BadRequest for a cursor it did not issue."""

    def save(self, campaign: Campaign) -> Campaign:
        """Replace a stored campaign if its version is unchanged (else StaleCampaign)."""


# ---------------------------------------------------------------- input


def _is_control(ch: str) -> bool:
    """Control characters, lone surrogates and non-characters (none of them is valid in XML)."""
    return unicodedata.category(ch) in ("Cc", "Cs") or "\ufdd0" <= ch <= "\ufdef" or (ord(ch) & 0xFFFE) == 0xFFFE


def _check_name(value: str | None) -> str | None:
    if value is not None and any(_is_control(ch) for ch in value):
        raise ValueError("name must not contain control characters (line breaks, tabs, ...)")
    return value


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
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("destination_url must be an https:// address, e.g. https://open.spotify.com/playlist/…")
    if parts.username or parts.password:
        raise ValueError("destination_url must not contain a user name or password")
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


def _check_period(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValueError("ends_at must be later than starts_at")


class CampaignCreate(BaseModel):
    """Body of POST /campaigns."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120, description="Shown to you only")
    playlist: str = Field(
        max_length=500,
        description="Spotify playlist link, spotify:playlist: URI or 22-character id",
        examples=["https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"],
    )
    attribution_window_days: int = Field(14, ge=1, le=90)
    attribution_model: AttributionModel = AttributionModel.LAST_TOUCH
    destination_url: str | None = Field(None, description="https URL; defaults to the playlist on Spotify")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    _name = field_validator("name")(_check_name)
    _playlist = field_validator("playlist")(_check_playlist)
    _destination = field_validator("destination_url")(_check_destination)
    _moments = field_validator("starts_at", "ends_at")(_check_moment)

    @model_validator(mode="after")
    def _period(self) -> CampaignCreate:
        _check_period(self.starts_at, self.ends_at)
        return self


class CampaignUpdate(BaseModel):
    """Body of PATCH /campaigns/{id}: only the fields present change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=120)
    attribution_window_days: int | None = Field(None, ge=1, le=90)
    attribution_model: AttributionModel | None = None
    destination_url: str | None = Field(None, description="null resets it to the playlist on Spotify")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    playlist: Any = Field(None, description="Cannot be changed; present only to explain why")

    _name = field_validator("name")(_check_name)
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
        for name in ("name", "attribution_window_days", "attribution_model"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if not self.model_fields_set:
            raise ValueError("nothing to change: send at least one field")
        return self


# --------------------------------------------------------------- service


def new_slug() -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CampaignService:
    def __init__(
        self,
        repository: CampaignRepository,
        *,
        now: Callable[[], datetime] = _utcnow,
        slugs: Callable[[], str] = new_slug,
    ) -> None:
        self._repository = repository
        self._now = now
        self._slugs = slugs

    def create(self, owner_id: str, draft: CampaignCreate) -> Campaign:
        now = self._now()
        if draft.ends_at and draft.ends_at <= now:
            raise BadRequest("ends_at is in the past: a campaign must end in the future")
        playlist = PlaylistRef(draft.playlist)
        campaign_id = str(uuid.uuid4())
        for _ in range(SLUG_ATTEMPTS):
            campaign = Campaign(
                id=campaign_id,
                owner_id=owner_id,
                name=draft.name,
                slug=self._slugs(),
                playlist_id=playlist.id,
                destination_url=draft.destination_url or playlist.url,
                attribution_window_days=draft.attribution_window_days,
                attribution_model=draft.attribution_model,
                starts_at=draft.starts_at,
                ends_at=draft.ends_at,
                status=CampaignStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            try:
                self._repository.create(campaign)
            except SlugTaken:
                continue
            return campaign
        # Reaching this means the slug space is nearly full or the random
        # source is broken; either way retrying the request is the fix.
        raise Conflict("could not allocate a unique tracker slug; please try again")

    def get(self, owner_id: str, campaign_id: str) -> Campaign:
        # An id this service cannot have issued is not looked up (nor echoed in full).
        if not is_campaign_id(campaign_id):
            shown = campaign_id if len(campaign_id) <= 40 else campaign_id[:40] + "…"
            raise NotFound(f"campaign {shown!r} not found")
        campaign = self._repository.get(campaign_id)
        # Another owner's campaign is indistinguishable from a missing one.
        if campaign is None or campaign.owner_id != owner_id:
            raise NotFound(f"campaign {campaign_id} not found")
        return campaign

    def list(
        self, owner_id: str, *, limit: int = 50, cursor: str | None = None, status: CampaignStatus | None = None
    ) -> Page:
        return self._repository.list_for_owner(owner_id, limit=limit, cursor=cursor, status=status)

    def update(self, owner_id: str, campaign_id: str, changes: CampaignUpdate) -> Campaign:
        campaign = self.get(owner_id, campaign_id)
        if campaign.status is CampaignStatus.ARCHIVED:
            raise Conflict(f"campaign {campaign_id} is archived; archived campaigns cannot be changed")
        fields = changes.model_dump(exclude_unset=True, exclude={"playlist"})
        if "destination_url" in fields:
            fields["destination_url"] = fields["destination_url"] or campaign.playlist.url
        updated = replace(campaign, **fields, updated_at=self._now())
        try:
            _check_period(updated.starts_at, updated.ends_at)
        except ValueError as error:
            raise BadRequest(str(error)) from None
        return self._save(updated)

    def archive(self, owner_id: str, campaign_id: str) -> Campaign:
        """Stop the tracker from starting new consents; analytics are kept."""
        campaign = self.get(owner_id, campaign_id)
        if campaign.status is CampaignStatus.ARCHIVED:
            return campaign
        now = self._now()
        return self._save(replace(campaign, status=CampaignStatus.ARCHIVED, archived_at=now, updated_at=now))

    def _save(self, campaign: Campaign) -> Campaign:
        try:
            return self._repository.save(campaign)
        except StaleCampaign:
            raise Conflict(f"campaign {campaign.id} was changed by another request; reload it and try again") from None


# ---------------------------------------------------------- presentation


class CampaignOut(BaseModel):
    """A campaign as the owner API returns it."""

    id: str
    name: str
    slug: str
    tracker_url: str
    qr_url: str
    playlist_id: str
    playlist_uri: str
    playlist_url: str
    destination_url: str
    attribution_window_days: int
    attribution_model: AttributionModel
    starts_at: datetime | None
    ends_at: datetime | None
    status: CampaignStatus
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def of(cls, campaign: Campaign, api_url: str) -> CampaignOut:
        return cls(
            id=campaign.id,
            name=campaign.name,
            slug=campaign.slug,
            tracker_url=tracker_url(api_url, campaign.slug),
            qr_url=f"{api_url}/campaigns/{campaign.id}/qr.svg",
            playlist_id=campaign.playlist_id,
            playlist_uri=campaign.playlist.uri,
            playlist_url=campaign.playlist.url,
            destination_url=campaign.destination_url,
            attribution_window_days=campaign.attribution_window_days,
            attribution_model=campaign.attribution_model,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            status=campaign.status,
            created_at=campaign.created_at,
            updated_at=campaign.updated_at,
            archived_at=campaign.archived_at,
        )


class Headline(BaseModel):
    """A campaign's numbers at a glance (the campaigns list)."""

    clicks: int
    listeners: int
    streams: float = Field(description="Plays credited to the campaign under its own model")


class CampaignListItem(CampaignOut):
    headline: Headline


class CampaignList(BaseModel):
    campaigns: list[CampaignListItem]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")
