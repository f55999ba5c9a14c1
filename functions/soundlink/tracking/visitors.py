"""Visitor keys: who clicked twice today, without keeping who they are.

A browser that returns Soundlink's visitor cookie (random, first-party,
`__Host-`, statistics only, kept 7 days) is that visitor:
key = HMAC-SHA256(secret of the day, cookie). Without it (first visit, or a
browser that refuses cookies) the key is derived from the request:
HMAC-SHA256(secret of the day, address + browser + language), where the
address is an IPv4 address or an IPv6 /64 (one household or phone), the
browser is its user agent with every version cut to its major number (a
script varying `Chrome/131.0.{i}` stays one visitor) and the language is the
Accept-Language header. The key is never widened to a network: a mobile
carrier puts many people behind one address, and they must stay apart
(README, What counts as a click). The day's secret is a
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
import ipaddress
import re
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError

from soundlink.platform.tables import VisitorSecretItem

SECRET_LIFETIME = timedelta(days=2)
KEY_HEX_LENGTH = 32  # 128 bits: collisions between visitors are negligible
VISITOR_COOKIE = "__Host-soundlink_visitor"
VISITOR_COOKIE_DAYS = 7  # days, not months: it only tells repeat visits apart
_COOKIE_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_MINOR_VERSIONS = re.compile(r"(\d+)(?:[._]\d+)+")
MAX_LANGUAGE = 64


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


def browser_signature(user_agent: str) -> str:
    """The user agent with every version cut to its major number: its family and major version."""
    return _MINOR_VERSIONS.sub(r"\1", user_agent.strip()[:512])


def address_of(ip: str) -> str:
    """The address a visitor key uses: IPv4 as it is, IPv6 its /64 (one subscriber's prefix)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()[:64]
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    return str(address)


def new_visitor_cookie() -> tuple[str, str]:
    """(value, Set-Cookie) of a new visitor cookie."""
    value = secrets.token_urlsafe(16)
    max_age = VISITOR_COOKIE_DAYS * 86400
    return value, f"{VISITOR_COOKIE}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Lax"


def cookie_value(cookies: list[str] | None, name: str) -> str | None:
    """A cookie's value among payload 2.0's `cookies` ("name=value" strings), if well formed."""
    for cookie in cookies or ():
        for part in cookie.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and _COOKIE_RE.match(value):
                return value
    return None


def _hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:KEY_HEX_LENGTH]


def header_key(secret: str, ip: str, user_agent: str, accept_language: str = "") -> str:
    """The key of a visitor told apart by their request alone (also the rate limit's key)."""
    language = accept_language.strip()[:MAX_LANGUAGE]
    return _hmac(secret, f"{address_of(ip)}\n{browser_signature(user_agent)}\n{language}")


def visitor_key(secret: str, ip: str, user_agent: str, accept_language: str = "", *, cookie: str | None = None) -> str:
    """The visitor cookie's key when the browser returned one, else the request's."""
    if cookie:
        return _hmac(secret, f"cookie\n{cookie}")
    return header_key(secret, ip, user_agent, accept_language)
