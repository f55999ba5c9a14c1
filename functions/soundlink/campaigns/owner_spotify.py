"""An owner's own Spotify connection: what the owner API shows and removes.

Playlist items are readable only by a playlist's owner or collaborators
(since 2026), so attribution reads a campaign's playlist with its owner's
connection. The tokens are sealed like a listener's (owner context).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.transactions import TransactWrite

from soundlink.platform.tables import OwnerSpotifyItem


def put(
    writes: TransactWrite,
    *,
    owner_id: str,
    spotify_user_id: str,
    account_id: str,
    display_name: str | None,
    scopes: str,
    sealed_tokens: str,
    now: datetime,
) -> None:
    writes.save(
        OwnerSpotifyItem(
            *OwnerSpotifyItem.key(owner_id),
            owner_id=owner_id,
            spotify_user_id=spotify_user_id,
            account_id=account_id,
            display_name=display_name,
            scopes=scopes,
            tokens=sealed_tokens,
            connected_at=now,
        )
    )


def get(owner_id: str) -> OwnerSpotifyItem | None:
    try:
        return OwnerSpotifyItem.get(*OwnerSpotifyItem.key(owner_id), consistent_read=True)
    except OwnerSpotifyItem.DoesNotExist:
        return None


def delete(owner_id: str) -> bool:
    """Remove the connection; False when there was none."""
    item = get(owner_id)
    if item is None:
        return False
    item.delete()
    return True
