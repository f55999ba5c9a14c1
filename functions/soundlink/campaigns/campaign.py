"""A campaign as the domain knows it: plain values, no validation machinery.

Kept apart from service.py and schemas.py (the owner API's rules and pydantic
models) so the tracker can read campaigns without importing pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from soundlink.campaigns.playlist_ref import PlaylistRef
from soundlink.campaigns.spend import Spend

# No 0/o, 1/i/l: a slug read aloud or off a poster survives. 31 symbols x 10
# = ~49.5 bits, far too many to enumerate through a throttled public route.
SLUG_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
SLUG_LENGTH = 10


class AttributionModel(StrEnum):
    LAST_TOUCH = "last_touch"
    FIRST_TOUCH = "first_touch"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Campaign:
    id: str
    owner_id: str
    name: str
    slug: str
    playlist_id: str
    destination_url: str
    attribution_window_days: int
    attribution_model: AttributionModel
    starts_at: datetime | None
    ends_at: datetime | None
    status: CampaignStatus
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None
    version: int = 0
    # Shown on the landing page: who presents it (e.g. the artist), and the playlist as Spotify
    # names and pictures it (read with the owner's connection, when Soundlink could).
    presented_by: str | None = None
    playlist_name: str | None = None
    playlist_image_url: str | None = None
    # Also measure saves, follows and who came back (listeners are asked for the library scopes).
    measure_fans: bool = False
    # What it cost (None: not entered), and why the playlist could not be read when it was made.
    spend: Spend | None = None
    playlist_warning: str | None = None

    @property
    def playlist(self) -> PlaylistRef:
        return PlaylistRef(self.playlist_id)

    def accepts_new_consents(self, at: datetime) -> bool:
        """Whether its tracker may start new consents at this moment."""
        if self.status is not CampaignStatus.ACTIVE:
            return False
        if self.starts_at and at < self.starts_at:
            return False
        return not (self.ends_at and at >= self.ends_at)


def is_slug(value: str) -> bool:
    """Whether a value could be a slug this service issued (checked before any read)."""
    return len(value) == SLUG_LENGTH and all(ch in SLUG_ALPHABET for ch in value)


def tracker_url(api_url: str, slug: str) -> str:
    return f"{api_url}/c/{slug}"


def check_period(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """ValueError unless a campaign with both dates ends after it starts."""
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValueError("ends_at must be later than starts_at")
