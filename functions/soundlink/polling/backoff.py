"""The fleet-wide Spotify back-off: after a 429, every poller waits until Retry-After has passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from soundlink.platform.tables import BackoffItem


def current(now: datetime) -> datetime | None:
    """The moment polling may resume, if Spotify asked everyone to wait."""
    try:
        item = BackoffItem.get(*BackoffItem.key())
    except BackoffItem.DoesNotExist:
        return None
    return item.until if item.until > now else None


def wait_until(until: datetime) -> None:
    """Record a back-off; a later one never shortens an earlier, longer one."""
    item = BackoffItem(*BackoffItem.key(), until=until, expires_at=int((until + timedelta(days=1)).timestamp()))
    try:
        item.save(condition=BackoffItem.pk.does_not_exist() | (BackoffItem.until < until))
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
