"""Fans checks as messages on the poll queue, and which attributed plays call for a re-check.

The checks need the listener's Spotify token, so poll_user runs them
(polling/fans_checks.py); the consent callback, the attribution step and the
poller only queue them, in this shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from soundlink.attribution import fans

KIND = "fans"
CHECKS = ("baseline", "play", "end")


@dataclass(frozen=True)
class FansJob:
    account_id: str
    campaign_id: str
    check: str  # baseline, play, end
    track_id: str | None = None
    artist_ids: tuple[str, ...] = ()

    def message(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": KIND,
            "check": self.check,
            "account_id": self.account_id,
            "campaign_id": self.campaign_id,
        }
        if self.track_id:
            body["track_id"] = self.track_id
            body["artist_ids"] = list(self.artist_ids)
        return body

    @classmethod
    def parse(cls, body: dict[str, Any]) -> FansJob:
        check = body["check"]
        if check not in CHECKS:
            raise ValueError(f"unknown fans check {check!r}")
        account_id, campaign_id = body["account_id"], body["campaign_id"]
        if not (isinstance(account_id, str) and account_id and isinstance(campaign_id, str) and campaign_id):
            raise ValueError("account_id and campaign_id must be non-empty strings")
        track_id = body.get("track_id")
        if check == "play" and not (isinstance(track_id, str) and track_id):
            raise ValueError("a check after a play names the played track")
        artists = body.get("artist_ids") or []
        if not isinstance(artists, list) or not all(isinstance(a, str) and a for a in artists):
            raise ValueError("artist_ids must be a list of ids")
        return cls(account_id, campaign_id, check, track_id, tuple(artists[:10]))


def is_fans_message(body: dict[str, Any]) -> bool:
    return isinstance(body, dict) and body.get("kind") == KIND


@dataclass(frozen=True)
class Credited:
    """An attributed play, as far as a re-check needs it."""

    account_id: str
    campaign_id: str
    played_at: datetime
    track_id: str
    artist_ids: tuple[str, ...]


def rechecks_due(credited: Iterable[Credited], measures_fans: Callable[[str], bool], now: datetime) -> list[FansJob]:
    """One re-check per listener and campaign measuring fans, for the latest play, if none ran
    today (``fans.wants_recheck``: one read each): at most one Spotify call a day for each."""
    latest: dict[tuple[str, str], Credited] = {}
    for play in credited:
        key = (play.account_id, play.campaign_id)
        if key not in latest or play.played_at > latest[key].played_at:
            latest[key] = play
    return [
        FansJob(account_id, campaign_id, "play", play.track_id, play.artist_ids)
        for (account_id, campaign_id), play in sorted(latest.items())
        if measures_fans(campaign_id) and fans.wants_recheck(account_id, campaign_id, now)
    ]
