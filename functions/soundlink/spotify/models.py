"""Typed values read from Spotify: tokens, profiles, tracks, plays, playlists.

Tokens and secrets are never part of a repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    scope: str
    expires_at: datetime

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def expires_within(self, delta: timedelta, *, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or datetime.now(UTC)) + delta


@dataclass(frozen=True)
class Profile:
    id: str
    account_id: str | None
    display_name: str | None
    uri: str | None

    @property
    def listener_id(self) -> str:
        # Since May 2026 Spotify says to link accounts by account_id (immutable);
        # id is the fallback for responses that predate it.
        return self.account_id or self.id


@dataclass(frozen=True)
class Artist:
    id: str | None
    name: str


@dataclass(frozen=True)
class Album:
    id: str | None
    name: str
    uri: str | None


@dataclass(frozen=True)
class Track:
    id: str
    uri: str
    name: str
    artists: tuple[Artist, ...]
    album: Album | None
    duration_ms: int

    @property
    def artist_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.artists if a.id)

    @property
    def artist_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.artists)


@dataclass(frozen=True)
class PlayContext:
    type: str | None
    uri: str | None


@dataclass(frozen=True)
class Play:
    track: Track
    played_at: datetime  # aware, UTC: when the play ended
    context: PlayContext | None  # often None: album plays, Liked Songs, API-started plays

    @property
    def played_at_ms(self) -> int:
        return to_ms(self.played_at)

    @property
    def context_type(self) -> str | None:
        return self.context.type if self.context else None

    @property
    def context_uri(self) -> str | None:
        return self.context.uri if self.context else None


@dataclass(frozen=True)
class RecentlyPlayed:
    plays: tuple[Play, ...]  # newer than the cursor asked for, oldest first
    cursor_ms: int | None  # pass as after_ms on the next poll
    # Spotify keeps only 50 plays: when 50 or more are new, some may have been lost.
    possible_gap: bool


@dataclass(frozen=True)
class Playlist:
    id: str
    name: str
    owner_id: str | None
    snapshot_id: str
    uri: str
    collaborative: bool = False
    image_url: str | None = None  # the largest cover Spotify lists first
    # Only for a playlist the reading account owns or collaborates on (since Feb 2026): else None.
    track_count: int | None = None


@dataclass(frozen=True)
class PlaylistTrack:
    track: Track
    added_at: datetime | None


def to_ms(moment: datetime) -> int:
    """Unix milliseconds, as Spotify's cursors count them."""
    # Integer arithmetic: float timestamps can turn .123 s into 122.99999 ms.
    return (moment - _EPOCH) // timedelta(milliseconds=1)
