"""Spotify's response bodies into typed values (shared/spotify/fixed-spotify-open-api.yml);
a body of another shape is an ``UnexpectedResponse``, never a KeyError."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from soundlink.spotify.errors import UnexpectedResponse
from soundlink.spotify.models import Album, Artist, Play, PlayContext, Playlist, PlaylistTrack, Profile, TokenSet, Track


def parse(parser: Callable[[Any], Any], body: Any, what: str) -> Any:
    try:
        return parser(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnexpectedResponse(
            f"Spotify sent a {what} of an unexpected shape ({type(exc).__name__}: {exc})", status=200
        ) from None


def parse_token_set(body: Any, *, previous: TokenSet | None) -> TokenSet:
    def read(data: Any) -> TokenSet:
        access_token = data["access_token"]
        if not isinstance(access_token, str) or not access_token:
            raise ValueError("access_token is missing")
        expires_in = int(data.get("expires_in") or 3600)
        refresh_token = data.get("refresh_token") or (previous.refresh_token if previous else None)
        scope = data.get("scope")
        if scope is None:
            scope = previous.scope if previous else ""
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            scope=str(scope),
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        )

    return parse(read, body, "token response")


def parse_profile(data: Any) -> Profile:
    return Profile(
        id=str(data["id"]),
        account_id=str_or_none(data.get("account_id")),
        display_name=str_or_none(data.get("display_name")),
        uri=str_or_none(data.get("uri")),
    )


def parse_track(data: Any) -> Track | None:
    """A TrackObject, or None for what cannot be attributed (episodes, local files, no id)."""
    if not isinstance(data, dict) or data.get("type", "track") != "track" or data.get("is_local"):
        return None
    if not data.get("id"):
        return None
    album_data = data.get("album")
    album = None
    if isinstance(album_data, dict):
        album = Album(
            id=str_or_none(album_data.get("id")),
            name=str(album_data.get("name") or ""),
            uri=str_or_none(album_data.get("uri")),
        )
    artists = tuple(
        Artist(id=str_or_none(a.get("id")), name=str(a.get("name") or ""))
        for a in data.get("artists") or ()
        if isinstance(a, dict)
    )
    return Track(
        id=str(data["id"]),
        uri=str(data.get("uri") or f"spotify:track:{data['id']}"),
        name=str(data.get("name") or ""),
        artists=artists,
        album=album,
        duration_ms=int(data.get("duration_ms") or 0),
    )


def parse_play_page(data: Any) -> tuple[list[tuple[datetime, Play | None]], str | None]:
    items: list[tuple[datetime, Play | None]] = []
    for item in data["items"]:
        played_at = parse_time(item["played_at"])
        track = parse_track(item.get("track"))
        context_data = item.get("context")
        context = None
        if isinstance(context_data, dict):
            context = PlayContext(type=str_or_none(context_data.get("type")), uri=str_or_none(context_data.get("uri")))
        items.append((played_at, Play(track=track, played_at=played_at, context=context) if track else None))
    return items, str_or_none(data.get("next"))


def parse_playlist(data: Any) -> Playlist:
    owner = data.get("owner")
    return Playlist(
        id=str(data["id"]),
        name=str(data.get("name") or ""),
        owner_id=str_or_none(owner.get("id")) if isinstance(owner, dict) else None,
        snapshot_id=str(data["snapshot_id"]),
        uri=str(data.get("uri") or f"spotify:playlist:{data['id']}"),
        collaborative=bool(data.get("collaborative")),
        image_url=_first_image(data.get("images")),
        track_count=_total(data.get("items") or data.get("tracks")),
    )


def _total(page: Any) -> int | None:
    total = page.get("total") if isinstance(page, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None


def _first_image(images: Any) -> str | None:
    if isinstance(images, list) and images and isinstance(images[0], dict):
        url = images[0].get("url")
        return url if isinstance(url, str) and url.startswith("https://") else None
    return None


def parse_playlist_items_page(data: Any) -> tuple[list[PlaylistTrack], int, bool]:
    raw = data["items"]
    tracks: list[PlaylistTrack] = []
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("is_local"):
            continue
        # Since 2026 the track is in `item`; `track` is deprecated and not read.
        track = parse_track(entry.get("item"))
        if track is None:
            continue
        added_at = entry.get("added_at")
        tracks.append(PlaylistTrack(track=track, added_at=parse_time(added_at) if added_at else None))
    return tracks, len(raw), bool(data.get("next"))


def parse_library_contains(data: Any, count: int) -> tuple[bool, ...]:
    """The ArrayOfBooleans of ``GET /v1/me/library/contains``: one boolean per URI asked."""
    if not isinstance(data, list) or len(data) != count or not all(isinstance(v, bool) for v in data):
        raise ValueError(f"expected {count} booleans")
    return tuple(data)


# ---------------------------------------------------------------------- helpers


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
