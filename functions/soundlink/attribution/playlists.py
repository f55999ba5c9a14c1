"""A campaign playlist's tracks, read with its owner's Spotify connection and cached by snapshot_id.

Since 2026 only a playlist's owner or collaborators may read its items, so
the campaign owner's own connection reads it. The playlist's metadata
(snapshot_id) is checked at most once per REFRESH per playlist; its items
are read only when the snapshot changed, and a snapshot's items are kept in
DynamoDB and in the container's memory. When nothing can read the playlist
(no owner connection, revoked, forbidden, missing) the answer is None and
attribution counts context matches only; the state records why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from soundlink.campaigns import owner_spotify
from soundlink.platform.tables import OwnerSpotifyItem, PlaylistSnapshotItem, PlaylistStateItem
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import (
    NotAllowListed,
    PlaylistNotFound,
    PlaylistNotReadable,
    SpotifyError,
    SpotifyRequestError,
    TokenRevoked,
)

if TYPE_CHECKING:
    from soundlink.spotify.models import TokenSet
    from soundlink.tokens.cipher import TokenCipher

REFRESH = timedelta(minutes=10)
SNAPSHOT_LIFETIME = timedelta(days=30)
_MEMORY_ENTRIES = 64


@dataclass(frozen=True)
class Catalog:
    """A playlist's tracks and their artists at one snapshot (a fans check asks about both)."""

    track_ids: frozenset[str]
    artist_ids: frozenset[str]


class PlaylistTracks:
    def __init__(
        self,
        *,
        cipher: Callable[[], TokenCipher],
        spotify_config: Callable[[], SpotifyConfig],
        now: Callable[[], datetime],
    ) -> None:
        self._cipher = cipher
        self._config = spotify_config
        self._now = now
        self._memory: dict[tuple[str, str], Catalog] = {}

    def track_ids(self, playlist_id: str, owner_id: str) -> frozenset[str] | None:
        catalog = self.catalog(playlist_id, owner_id)
        return None if catalog is None else catalog.track_ids

    def catalog(self, playlist_id: str, owner_id: str) -> Catalog | None:
        now = self._now()
        try:
            state = PlaylistStateItem.get(*PlaylistStateItem.key(playlist_id))
        except PlaylistStateItem.DoesNotExist:
            state = None
        if state is not None and now - state.checked_at < REFRESH:
            if not state.readable:
                return None
            cached = self._snapshot(playlist_id, state.snapshot_id) if state.snapshot_id else None
            if cached is not None:
                return cached
        try:
            return self._refresh(playlist_id, owner_id, now)
        except SpotifyError:
            # Spotify is failing for now (5xx, 429): the last readable snapshot still holds.
            if state is not None and state.readable and state.snapshot_id:
                return self._snapshot(playlist_id, state.snapshot_id)
            raise

    def _refresh(self, playlist_id: str, owner_id: str, now: datetime) -> Catalog | None:
        connection = owner_spotify.get(owner_id)
        if connection is None:
            return self._unreadable(playlist_id, "the campaign owner has not connected Spotify", now)
        # Only a refresh calls Spotify (at most every REFRESH per playlist; plays are otherwise
        # attributed from the cached snapshot): the HTTP client and the cipher load on the first.
        from soundlink.spotify.api import SpotifyClient
        from soundlink.tokens.cipher import owner_context
        from soundlink.tokens.sealed import unseal

        context = owner_context(owner_id)
        client = SpotifyClient(
            self._config(),
            unseal(self._cipher(), connection.tokens, context),
            on_tokens_refreshed=lambda tokens: self._save_owner_tokens(connection, tokens),
        )
        try:
            playlist = client.playlist(playlist_id)
            cached = self._snapshot(playlist_id, playlist.snapshot_id)
            if cached is None:
                items = client.playlist_items(playlist_id)
                catalog = Catalog(
                    frozenset(item.track.id for item in items),
                    frozenset(artist for item in items for artist in item.track.artist_ids),
                )
                PlaylistSnapshotItem(
                    *PlaylistSnapshotItem.key(playlist_id, playlist.snapshot_id),
                    track_ids=set(catalog.track_ids) or None,
                    artist_ids=set(catalog.artist_ids) or None,
                    fetched_at=now,
                    expires_at=int((now + SNAPSHOT_LIFETIME).timestamp()),
                ).save()
                self._remember(playlist_id, playlist.snapshot_id, catalog)
                cached = catalog
        except (PlaylistNotReadable, PlaylistNotFound, TokenRevoked, NotAllowListed, SpotifyRequestError) as error:
            return self._unreadable(playlist_id, f"Spotify refused to read the playlist: {error.message}", now)
        PlaylistStateItem(
            *PlaylistStateItem.key(playlist_id),
            snapshot_id=playlist.snapshot_id,
            readable=True,
            checked_at=now,
            name=playlist.name[:200] or None,
            image_url=playlist.image_url,
        ).save()
        return cached

    def _snapshot(self, playlist_id: str, snapshot_id: str) -> Catalog | None:
        key = (playlist_id, snapshot_id)
        if key in self._memory:
            return self._memory[key]
        try:
            item = PlaylistSnapshotItem.get(*PlaylistSnapshotItem.key(playlist_id, snapshot_id))
        except PlaylistSnapshotItem.DoesNotExist:
            return None
        # A snapshot stored before artists were kept has none: its fans checks ask about
        # tracks and the playlist until the playlist changes.
        catalog = Catalog(frozenset(item.track_ids or ()), frozenset(item.artist_ids or ()))
        self._remember(playlist_id, snapshot_id, catalog)
        return catalog

    def _remember(self, playlist_id: str, snapshot_id: str, catalog: Catalog) -> None:
        if len(self._memory) >= _MEMORY_ENTRIES:
            self._memory.pop(next(iter(self._memory)))
        self._memory[(playlist_id, snapshot_id)] = catalog

    @staticmethod
    def _unreadable(playlist_id: str, reason: str, now: datetime) -> None:
        PlaylistStateItem(
            *PlaylistStateItem.key(playlist_id), snapshot_id=None, readable=False, reason=reason, checked_at=now
        ).save()

    def _save_owner_tokens(self, connection: OwnerSpotifyItem, tokens: TokenSet) -> None:
        from soundlink.tokens.cipher import owner_context
        from soundlink.tokens.sealed import seal

        sealed = seal(self._cipher(), tokens, owner_context(connection.owner_id))
        connection.update(actions=[OwnerSpotifyItem.tokens.set(sealed)])
