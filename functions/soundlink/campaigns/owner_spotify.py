"""An owner's own Spotify connection: what the owner API shows and removes.

Playlist items are readable only by a playlist's owner or collaborators
(since 2026), so attribution reads a campaign's playlist with its owner's
connection. The tokens are sealed like a listener's (owner context).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError
from pynamodb.transactions import TransactWrite

from soundlink.platform.tables import ConnectTicketItem, OwnerSpotifyEndedItem, OwnerSpotifyItem

TICKET_TTL = timedelta(minutes=5)
LISTENER_DISCONNECT = "listener_disconnect"


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
            gsi2pk=f"LISTENER#{account_id}",
            gsi2sk=f"OWNER#{owner_id}",
        )
    )
    writes.delete(OwnerSpotifyEndedItem(*OwnerSpotifyEndedItem.key(owner_id)))


def owners_of(account_id: str) -> list[str]:
    """The owners whose Spotify connection is this account (gsi2, one Query)."""
    found = OwnerSpotifyItem.by_account.query(f"LISTENER#{account_id}", OwnerSpotifyItem.gsi2sk.startswith("OWNER#"))
    return [item.owner_id for item in found]


def mark_ended(owner_id: str, at: datetime, reason: str = LISTENER_DISCONNECT) -> None:
    OwnerSpotifyEndedItem(*OwnerSpotifyEndedItem.key(owner_id), ended_at=at, reason=reason).save()


def ended(owner_id: str) -> OwnerSpotifyEndedItem | None:
    try:
        return OwnerSpotifyEndedItem.get(*OwnerSpotifyEndedItem.key(owner_id), consistent_read=True)
    except OwnerSpotifyEndedItem.DoesNotExist:
        return None


def new_ticket(owner_id: str, now: datetime) -> tuple[str, datetime]:
    """(ticket, expires_at): the one-time ticket the owner's browser opens."""
    ticket = secrets.token_urlsafe(32)
    expires_at = now + TICKET_TTL
    item = ConnectTicketItem(*ConnectTicketItem.key(ticket), owner_id=owner_id, expires_at=int(expires_at.timestamp()))
    item.save(condition=ConnectTicketItem.pk.does_not_exist())
    return ticket, expires_at


def redeem_ticket(ticket: str, now: datetime) -> str | None:
    """The ticket's owner, once: the ticket is deleted on condition it is there and unexpired."""
    if not ticket or len(ticket) > 64:
        return None
    try:
        item = ConnectTicketItem.get(*ConnectTicketItem.key(ticket), consistent_read=True)
        item.delete(condition=ConnectTicketItem.pk.exists() & (ConnectTicketItem.expires_at > int(now.timestamp())))
    except (ConnectTicketItem.DoesNotExist, DeleteError):
        return None  # unknown, used (by a concurrent request too) or expired
    return item.owner_id


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
