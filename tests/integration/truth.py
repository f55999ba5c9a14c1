"""The figures a campaign must show, computed from what a ground-truth run sent and by the
rules as the README states them ("Reading your numbers", "Polling and attribution"),
without any of Soundlink's code: the independent side of tests/integration/ground_truth.py."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

SPOTIFY_KEEPS = 50  # recently played holds a listener's last 50 plays
HALF_LIFE = timedelta(days=7)  # time decay: a click's weight halves every 7 days
MODELS = ("last_touch", "first_touch", "linear", "time_decay")


@dataclass(frozen=True)
class Campaign:
    name: str
    owner: str
    playlist_uri: str
    tracks: frozenset[str]
    readable: bool  # the owner connected Spotify: a track of the playlist counts from anywhere


@dataclass(frozen=True)
class Play:
    at: datetime
    track: str
    context: str | None


@dataclass
class Link:
    low: datetime  # the click happened between low and high (the request's round trip)
    high: datetime

    @property
    def at(self) -> datetime:
        return self.low + (self.high - self.low) / 2


@dataclass
class Listener:
    user_id: str
    links: dict[str, Link] = field(default_factory=dict)
    plays: list[Play] = field(default_factory=list)  # every play sent to Spotify
    seen: set[datetime] = field(default_factory=set)  # plays Spotify still kept when Soundlink read
    gone: bool = False  # disconnected, or Spotify refused its token: nothing later counts
    revoked: bool = False
    gaps: int = 0

    def link(self, campaign: str, low: datetime, high: datetime) -> None:
        self.links[campaign] = Link(low, high)

    def disconnect(self) -> None:
        self.gone = True

    def revoke(self) -> None:
        self.gone = self.revoked = True

    def baseline(self, campaign: str) -> set[str]:
        click = self.links[campaign].low
        return {play.track for play in self.plays if play.at <= click}


@dataclass
class Truth:
    window: timedelta
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    listeners: dict[str, Listener] = field(default_factory=dict)
    clicks: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    visitors: dict[str, set[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(set))
    bots: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    consents: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    declines: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def click(self, campaign: str, address: str, agent: str, at: datetime) -> None:
        self.clicks[campaign] += 1
        self.visitors[campaign].add((address, agent, at.date().isoformat()))  # one visitor a day

    def bot_click(self, campaign: str) -> None:
        self.bots[campaign] += 1

    def consent(self, campaign: str) -> None:
        self.consents[campaign] += 1

    def decline(self, campaign: str) -> None:
        self.declines[campaign] += 1

    def read_everyone(self) -> None:
        """Every listener still followed was read: what Spotify kept of their plays is seen, and
        50 plays newer than the newest seen before are a possible gap."""
        for listener in self.listeners.values():
            if listener.gone:
                continue
            kept = sorted(listener.plays, key=lambda play: play.at)[-SPOTIFY_KEEPS:]
            newest = max(listener.seen, default=None)
            if newest is not None and sum(play.at > newest for play in kept) >= SPOTIFY_KEEPS:
                listener.gaps += 1
            listener.seen |= {play.at for play in kept}

    # ----------------------------------------------------------------- figures

    def _matches(self, listener: Listener, play: Play) -> dict[str, list[tuple[str, float]]]:
        """{owner: [(campaign, confidence)]} for the campaigns the play counts for."""
        by_owner: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for name, link in listener.links.items():
            campaign = self.campaigns[name]
            if not link.at < play.at <= link.at + self.window:
                continue
            from_playlist = play.context == campaign.playlist_uri
            if from_playlist:
                base = 1.0
            elif campaign.readable and play.track in campaign.tracks:
                base = 0.7 if play.context is None else 0.4
            else:
                continue
            if play.track in listener.baseline(name):
                base *= 0.5
            elapsed = play.at - link.at
            confidence = base * (1.0 - 0.5 * min(1.0, elapsed / self.window))
            by_owner[campaign.owner].append((name, round(min(1.0, max(0.0, confidence)), 3)))
        return by_owner

    def _credit(self, listener: Listener, play: Play, names: list[str]) -> dict[str, dict[str, float]]:
        """{campaign: {model: share}}: one whole play per owner, under every model."""
        links = {name: listener.links[name] for name in names}
        last = max(names, key=lambda name: links[name].at)
        first = min(names, key=lambda name: links[name].at)
        weights = {name: 0.5 ** ((play.at - links[name].at) / HALF_LIFE) for name in names}
        total = sum(weights.values())
        return {
            name: {
                "last_touch": float(name == last),
                "first_touch": float(name == first),
                "linear": 1.0 / len(names),
                "time_decay": weights[name] / total,
            }
            for name in names
        }

    def figures(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name in self.campaigns:
            out[name] = {
                "clicks": self.clicks[name],
                "unique_clicks": len(self.visitors[name]),
                "bot_clicks": self.bots[name],
                "authorizations": self.consents[name],
                "declined": self.declines[name],
                "attributed_plays": 0,
                "listeners": 0,
                "new_listeners": 0,
                "possible_gaps": 0,
                "streams": dict.fromkeys(MODELS, 0.0),
                "weighted": dict.fromkeys(MODELS, 0.0),
                "tracks": {},
                "states": {},
            }
        track_listeners: dict[tuple[str, str], set[str]] = defaultdict(set)
        track_plays: dict[tuple[str, str], int] = defaultdict(int)
        for listener in self.listeners.values():
            counted: set[str] = set()
            plays = {play.at: play for play in listener.plays if play.at in listener.seen}
            for play in plays.values():
                for owned in self._matches(listener, play).values():
                    confidence = dict(owned)
                    for name, shares in self._credit(listener, play, list(confidence)).items():
                        figures = out[name]
                        figures["attributed_plays"] += 1
                        for model, share in shares.items():
                            figures["streams"][model] += share
                            figures["weighted"][model] += share * confidence[name]
                        counted.add(name)
                        track_plays[name, play.track] += 1
                        track_listeners[name, play.track].add(listener.user_id)
            for name in counted:
                out[name]["listeners"] += 1
                if not listener.baseline(name) & self.campaigns[name].tracks or not self.campaigns[name].readable:
                    out[name]["new_listeners"] += 1
            for name in listener.links:
                out[name]["possible_gaps"] += listener.gaps
                if not listener.gone:
                    out[name]["states"]["active"] = out[name]["states"].get("active", 0) + 1
                elif listener.revoked:
                    out[name]["states"]["reauth_required"] = out[name]["states"].get("reauth_required", 0) + 1
        for (name, track), plays in track_plays.items():
            out[name]["tracks"][track] = (plays, len(track_listeners[name, track]))
        return out
