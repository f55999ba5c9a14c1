"""A play as the poller queues it for attribution, and the pseudonymous id owners see for a listener."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class PlayMessage:
    account_id: str
    played_at: datetime
    track_id: str
    track_name: str | None
    artists: tuple[str, ...]
    context_uri: str | None
    artist_ids: tuple[str, ...] = ()  # what a fans re-check asks about besides the track

    @property
    def played_iso(self) -> str:
        """played_at as every key spells it: UTC, milliseconds."""
        return self.played_at.isoformat(timespec="milliseconds")

    @classmethod
    def parse(cls, body: dict[str, Any]) -> PlayMessage:
        played_at = datetime.fromisoformat(body["played_at"])
        if played_at.tzinfo is None:
            raise ValueError("played_at must carry a timezone")
        track_id = body["track_id"]
        account_id = body["account_id"]
        if not isinstance(track_id, str) or not track_id or not isinstance(account_id, str) or not account_id:
            raise ValueError("account_id and track_id must be non-empty strings")
        # Spotify's played_at has millisecond precision: keys built from it must not depend on
        # how a message spelt it, or a redelivery could slip past the guard.
        played_at = played_at.astimezone(UTC).replace(microsecond=played_at.microsecond // 1000 * 1000)
        return cls(
            account_id=body["account_id"],
            played_at=played_at,
            track_id=track_id,
            track_name=body.get("track_name"),
            artists=tuple(body.get("artists") or ()),
            context_uri=body.get("context_uri"),
            artist_ids=tuple(a for a in body.get("artist_ids") or () if isinstance(a, str) and a)[:10],
        )


def listener_key(campaign_id: str, account_id: str) -> str:
    """The pseudonymous listener id owners see (stable per campaign, different across campaigns)."""
    return hashlib.sha256(f"{campaign_id}:{account_id}".encode()).hexdigest()[:16]
