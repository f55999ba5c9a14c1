"""How many Spotify accounts the app follows, across every owner: one counter item
(StatsTable APP/LISTENERS), so the dashboard can show Development Mode's ceiling
("Spotify lets this app follow 5 listeners; 3 used") with one read.

Exactly once per account: the increment goes with a guard item in the listener's own
partition (conditional put, one transaction); the decrement deletes the guard on condition
it is there. A consent that reconnects a known account, or a deletion run twice, moves nothing.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError

from soundlink.platform.tables import CounterItem, FollowedGuard
from soundlink.platform.transactions import transaction

APP_KEY = ("APP", "LISTENERS")


def _already(error: TransactWriteError) -> bool:
    reasons = error.cancellation_reasons or []
    return bool(reasons) and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed"


def count(account_id: str, now: datetime) -> bool:
    """Count a followed account once; False when it was counted already."""
    try:
        with transaction() as writes:
            writes.save(
                FollowedGuard(*FollowedGuard.key(account_id), counted_at=now),
                condition=FollowedGuard.pk.does_not_exist(),
            )
            writes.update(CounterItem(*APP_KEY), actions=[CounterItem.followed_listeners.add(1)])
    except TransactWriteError as error:
        if _already(error):
            return False
        raise
    return True


def forget(account_id: str) -> bool:
    """Stop counting a deleted account; False when it was not counted (or already forgotten)."""
    try:
        with transaction() as writes:
            writes.delete(FollowedGuard(*FollowedGuard.key(account_id)), condition=FollowedGuard.pk.exists())
            writes.update(CounterItem(*APP_KEY), actions=[CounterItem.followed_listeners.add(-1)])
    except TransactWriteError as error:
        if _already(error):
            return False
        raise
    return True


def followed() -> int:
    """The accounts followed now (one GetItem)."""
    try:
        item = CounterItem.get(*APP_KEY)
    except CounterItem.DoesNotExist:
        return 0
    return max(0, int(item.followed_listeners or 0))


def spotify_quota() -> dict:
    """What the dashboard shows next to listener numbers: Development Mode's ceiling and its use."""
    from soundlink.platform.settings import DEVELOPMENT_MODE_LISTENERS, get_settings

    extended = get_settings().spotify_extended_quota
    return {
        "extended_quota": extended,
        "listener_ceiling": None if extended else DEVELOPMENT_MODE_LISTENERS,
        "listeners_followed": followed(),
    }
