"""Visitor keys: who clicked twice today, without keeping who they are.

key = HMAC-SHA256(secret of the day, IP + user agent). The day's secret is a
random value in DynamoDB that TTL deletes two days later, so once a day is
over its keys cannot be recomputed from an IP (unlike a fixed salt or one
derived from a long-lived secret). Each container caches the day's secret.
The click recorder creates tomorrow's secret ahead of time, so the tracker
only reads it; if it is missing anyway, the first click creates it with a
conditional put (and every other container then reads that one).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError

from soundlink.platform.tables import VisitorSecretItem

SECRET_LIFETIME = timedelta(days=2)
KEY_HEX_LENGTH = 32  # 128 bits: collisions between visitors are negligible


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


class VisitorSecrets:
    """The daily secrets, read (or created) once per container per day."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def for_day(self, day: str) -> str:
        with self._lock:
            cached = self._cache.get(day)
        if cached:
            return cached
        secret = self._read(day) or self._create(day)
        with self._lock:
            self._cache = {day: secret}  # yesterday's is of no further use
        return secret

    def ensure(self, day: str) -> None:
        """Create the day's secret if it does not exist yet (called ahead of time)."""
        if self._read(day) is None:
            self._create(day)

    @staticmethod
    def _read(day: str) -> str | None:
        try:
            return VisitorSecretItem.get(*VisitorSecretItem.key(day), consistent_read=True).secret
        except VisitorSecretItem.DoesNotExist:
            return None

    @staticmethod
    def _create(day: str) -> str:
        start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
        item = VisitorSecretItem(
            *VisitorSecretItem.key(day),
            secret=secrets.token_hex(32),
            expires_at=int((start + SECRET_LIFETIME).timestamp()),
        )
        try:
            item.save(condition=VisitorSecretItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            # Another container created it first: everyone must use that one.
            for _ in range(3):
                existing = VisitorSecrets._read(day)
                if existing:
                    return existing
                time.sleep(0.05)
            raise
        return item.secret


def visitor_key(secret: str, ip: str, user_agent: str) -> str:
    message = f"{ip.strip()}\n{user_agent.strip()}".encode("utf-8", "replace")
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:KEY_HEX_LENGTH]
