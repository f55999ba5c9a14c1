"""The parts of Spotify's OAuth that need no network: PKCE, state and the authorize URL.

Kept apart from the accounts service and the Web API (which import requests) so
the tracker, whose cold start a listener waits for, builds the authorize URL
without loading an HTTP client it never uses.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit


@dataclass(frozen=True)
class Pkce:
    verifier: str = field(repr=False)
    challenge: str


def make_pkce() -> Pkce:
    """A fresh code_verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    # 64 random bytes give 86 characters of base64url, inside the 43-128 allowed.
    verifier = secrets.token_urlsafe(64)
    return Pkce(verifier=verifier, challenge=code_challenge(verifier))


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_state() -> str:
    """An unguessable OAuth ``state`` value."""
    return secrets.token_urlsafe(32)


def check_redirect_uri(redirect_uri: str) -> None:
    parts = urlsplit(redirect_uri)
    loopback = parts.hostname in ("127.0.0.1", "::1")
    if parts.scheme == "https" or (parts.scheme == "http" and loopback):
        return
    # Spotify refuses these at the authorize page, where the listener would see the error.
    raise ValueError(
        f"Spotify accepts only https redirect URIs or http on a loopback IP literal, "
        f"not {redirect_uri!r} (localhost is refused too)"
    )


def authorize_url(
    accounts_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scopes: Iterable[str],
    show_dialog: bool = False,
) -> str:
    check_redirect_uri(redirect_uri)
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": " ".join(scopes),
        "code_challenge_method": "S256",
        "code_challenge": code_challenge,
    }
    if show_dialog:
        params["show_dialog"] = "true"
    return f"{accounts_url.rstrip('/')}/authorize?{urlencode(params, quote_via=quote)}"
