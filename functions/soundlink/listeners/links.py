"""Listeners: Spotify accounts that consented through a tracker, their campaign links
and the state each link is counted in (deletion.py removes them all)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from soundlink.platform.counters import add_to
from soundlink.platform.tables import ListenerItem, ListenerLinkItem
from soundlink.platform.transactions import failed_conditions, transaction

POLL_SHARDS = 16  # listeners due for a poll are spread over this many gsi1 partitions


class ListenerStatus(StrEnum):
    ACTIVE = "active"  # polled
    IDLE = "idle"  # no open attribution window: not polled
    REAUTH_REQUIRED = "reauth_required"  # Spotify refused the refresh token (invalid_grant)
    NOT_ALLOWLISTED = "not_allowlisted"  # Development Mode: not on the app's allow-list


def poll_shard(account_id: str) -> int:
    return int.from_bytes(hashlib.sha256(account_id.encode()).digest()[:4], "big") % POLL_SHARDS


def poll_index_keys(account_id: str, next_poll_at: datetime) -> tuple[str, str]:
    return f"POLL#{poll_shard(account_id)}", f"{next_poll_at.isoformat()}#{account_id}"


def connect(
    writes: TransactWrite,
    *,
    account_id: str,
    spotify_user_id: str,
    display_name: str | None,
    sealed_tokens: str,
    scopes: str,
    now: datetime,
    campaign_id: str,
    owner_id: str,
    clicked_at: datetime,
    window_ends_at: datetime,
    click: dict[str, Any],
    library_grant: tuple[str, str] | None = None,
) -> None:
    """Add to `writes`: the listener (created or refreshed, active, due for a poll now)
    and its link to the campaign (first click kept, last click moved).

    `library_grant` (sealed tokens, scopes): an earlier grant with the library scopes that
    this consent's grant lacks, kept for fans checks; None removes any such grant."""
    gsi1pk, gsi1sk = poll_index_keys(account_id, now)
    writes.update(
        ListenerItem(*ListenerItem.key(account_id)),
        actions=[
            ListenerItem.account_id.set(account_id),
            ListenerItem.spotify_user_id.set(spotify_user_id),
            ListenerItem.display_name.set(display_name) if display_name else ListenerItem.display_name.remove(),
            ListenerItem.status.set(ListenerStatus.ACTIVE.value),
            ListenerItem.tokens.set(sealed_tokens),
            ListenerItem.scopes.set(scopes),
            *(
                [ListenerItem.library_tokens.set(library_grant[0]), ListenerItem.library_scopes.set(library_grant[1])]
                if library_grant
                else [ListenerItem.library_tokens.remove(), ListenerItem.library_scopes.remove()]
            ),
            ListenerItem.connected_at.set(ListenerItem.connected_at | now),
            ListenerItem.updated_at.set(now),
            ListenerItem.next_poll_at.set(now),
            ListenerItem.gsi1pk.set(gsi1pk),
            ListenerItem.gsi1sk.set(gsi1sk),
        ],
    )
    writes.update(
        ListenerLinkItem(*ListenerLinkItem.key(account_id, campaign_id)),
        actions=[
            ListenerLinkItem.gsi2pk.set(f"CAMPAIGN#{campaign_id}"),
            ListenerLinkItem.gsi2sk.set(f"LISTENER#{account_id}"),
            ListenerLinkItem.account_id.set(account_id),
            ListenerLinkItem.campaign_id.set(campaign_id),
            ListenerLinkItem.owner_id.set(owner_id),
            ListenerLinkItem.first_click_at.set(ListenerLinkItem.first_click_at | clicked_at),
            ListenerLinkItem.last_click_at.set(clicked_at),
            ListenerLinkItem.window_ends_at.set(window_ends_at),
            ListenerLinkItem.consented_at.set(ListenerLinkItem.consented_at | now),
            ListenerLinkItem.click.set(ListenerLinkItem.click | click),
        ],
    )


def link_state(listener_status: str, link: ListenerLinkItem, now: datetime) -> str:
    """How a campaign counts a listener: their status, but idle once its own window closed."""
    if listener_status == ListenerStatus.ACTIVE.value and link.window_ends_at and link.window_ends_at <= now:
        return ListenerStatus.IDLE.value
    return listener_status


def move_link_state(link: ListenerLinkItem, state: str | None) -> bool:
    """Move the listener in the campaign's STATES counter to `state` (None: out of it).

    The link remembers the state it is counted under, and the move is
    conditional on it, so concurrent moves never count a listener twice.
    """
    old = link.state
    if old == state:
        return False
    # The link must still exist (an update would create it) and hold the state read.
    held = ListenerLinkItem.state.does_not_exist() if old is None else (ListenerLinkItem.state == old)
    condition = ListenerLinkItem.pk.exists() & held
    counts = {}
    if old:
        counts[f"state_{old}"] = -1
    if state:
        counts[f"state_{state}"] = 1
    try:
        with transaction() as writes:
            action = ListenerLinkItem.state.set(state) if state else ListenerLinkItem.state.remove()
            writes.update(link, actions=[action], condition=condition)
            add_to(writes, link.campaign_id, "STATES", counts)
    except TransactWriteError as error:
        if 0 in failed_conditions(error):
            return False  # moved by someone else meanwhile: their move counts
        raise
    link.state = state
    return True


def links_of(account_id: str) -> list[ListenerLinkItem]:
    return list(
        ListenerLinkItem.query(
            ListenerItem.key(account_id)[0], ListenerLinkItem.sk.startswith("LINK#"), consistent_read=True
        )
    )
