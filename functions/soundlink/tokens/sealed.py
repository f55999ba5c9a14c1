"""Spotify token sets sealed with the token cipher, as stored on listeners and owners."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from soundlink.spotify.models import TokenSet
from soundlink.tokens.cipher import TokenCipher


def seal(cipher: TokenCipher, tokens: TokenSet, context: Mapping[str, str]) -> str:
    return cipher.encrypt_json(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "scope": tokens.scope,
            "expires_at": tokens.expires_at.isoformat(),
        },
        context,
    )


def unseal(cipher: TokenCipher, blob: str, context: Mapping[str, str]) -> TokenSet:
    data = cipher.decrypt_json(blob, context)
    return TokenSet(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token"),
        scope=data.get("scope", ""),
        expires_at=datetime.fromisoformat(data["expires_at"]),
    )
