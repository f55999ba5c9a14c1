"""No log line of the local cloud may hold an access or refresh token, an authorization code,
the client secret, a cookie value or a client's address (README, "Reliability").

- `LogLines` / `collected()`: every line the local cloud logs (its own and its functions',
  raw as the handler printed it), while it is active.
- `client(address)`: a browser on one loopback address (127.0.0.x) whose answers are
  remembered: the cookies they set, the authorization codes their redirects carry, the address.
- `scanning(cloud)`: collects, remembers, and at the end asserts nothing of it was logged (with
  the tokens and client secrets the Spotify emulator issued meanwhile). The end-to-end tests use
  it through the `scanned_logs` fixture (tests/integration/conftest.py); the ground-truth run
  and `make soak` use `collected()` and `leaks()`.
"""

from __future__ import annotations

import http.cookiejar
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from local.logs import ROOT_LOGGER
from tests.integration.loopback import browser


class LogLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        raw = getattr(record, "handler_line", None)
        if raw:
            self.lines.append(raw)


@contextmanager
def collected() -> Iterator[list[str]]:
    """Every log line of the local cloud (debug included) while the block runs."""
    logger = logging.getLogger(ROOT_LOGGER)
    handler, level = LogLines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def leaks(lines: list[str], secrets: dict[str, set[str]], addresses: set[str]) -> list[str]:
    """The kinds of secret and the client addresses found in `lines` (an address only whole:
    127.0.0.4 is not found in 127.0.0.41)."""
    text = "\n".join(lines)
    found = [kind for kind, values in secrets.items() for value in values if value and value in text]
    found += [a for a in addresses if re.search(rf"(?<![\d.]){re.escape(a)}(?!\d)", text)]
    return sorted(set(found))


def spotify_secrets(cloud: Any) -> dict[str, set[str]]:
    """The tokens and client secrets the Spotify emulator issued."""
    state = cloud.spotify.state
    with state.lock:
        return {
            "access token": set(state.access_tokens),
            "refresh token": set(state.refresh_tokens),
            "client secret": {app.client_secret for app in state.apps.values()},
        }


@dataclass
class Sent:
    """What the tests' browsers used and were given."""

    addresses: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    cookies: set[str] = field(default_factory=set)


_active: list[Sent] = []


def _remember(address: str, response: requests.Response, *_: Any, **__: Any) -> None:
    for sent in _active:
        sent.addresses.add(address)
        for header in response.raw.headers.getlist("set-cookie") if response.raw is not None else ():
            value = header.partition("=")[2].split(";", 1)[0]
            if value:
                sent.cookies.add(value)
        location = response.headers.get("location", "")
        sent.codes.update(code for code in parse_qs(urlsplit(location).query).get("code", []) if code)


def client(address: str) -> requests.Session:
    """A browser on `address` that keeps no cookies (the tests send the ones they mean to) and
    remembers what it was given, for the scan."""
    session = browser(address)
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.hooks["response"].append(lambda response, *args, **kwargs: _remember(address, response))
    return session


@contextmanager
def scanning(cloud: Any, *, min_lines: int = 20) -> Iterator[Sent]:
    """Collect every log line while the block runs, then assert none holds a secret or address."""
    sent = Sent()
    _active.append(sent)
    try:
        with collected() as lines:
            yield sent
    finally:
        _active.remove(sent)
    secrets = {**spotify_secrets(cloud), "auth code": sent.codes, "cookie": sent.cookies}
    assert len(lines) >= min_lines, f"only {len(lines)} log lines: the scan saw nothing to scan"
    assert sent.addresses and sent.cookies, "no browser of tests.integration.log_scan.client was used"
    found = leaks(lines, secrets, sent.addresses)
    assert found == [], f"log lines hold {found} ({len(lines)} lines scanned)"
