"""attribute: one play of one listener → its attributions and every counter they move, exactly once.

For each campaign owner whose campaigns the play matches, one DynamoDB
transaction writes: the play guard (listener, played_at, owner; conditional,
so a redelivered or reordered message changes nothing), one attribution per
matched campaign (confidence, reasons, credit per model), and the counters:
total, hour, track, the listener's click dimensions, confidence bucket and
each model's credit, plus the listener's first attribution on the link
(unique listeners). A transaction conflict raises, so SQS delivers the
message again; nothing is dropped. Plays that match nothing are not stored.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from soundlink.attribution import rules
from soundlink.attribution.playlists import PlaylistTracks
from soundlink.campaigns.campaign import Campaign
from soundlink.campaigns.items import campaign_from_item
from soundlink.listeners.links import links_of
from soundlink.platform.counters import CLICK_DIMENSIONS, add_counts, add_to, shard_of
from soundlink.platform.tables import AttributionItem, CampaignItem, ListenerItem, ListenerLinkItem, PlayGuardItem
from soundlink.platform.transactions import failed_conditions, transaction

GUARD_LIFETIME = timedelta(days=30)  # longer than any redelivery or re-read can come back
CAMPAIGN_CACHE_SECONDS = 60.0
_ATTEMPTS = 3  # a lost race on a listener's first attribution is retried with fresh reads


@dataclass(frozen=True)
class PlayMessage:
    account_id: str
    played_at: datetime
    track_id: str
    track_name: str | None
    artists: tuple[str, ...]
    context_uri: str | None

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
        )


@dataclass(frozen=True)
class Outcome:
    result: str  # attributed, duplicate, not_attributed, no_open_window, gone
    campaigns: int = 0


def listener_key(campaign_id: str, account_id: str) -> str:
    """The pseudonymous listener id owners see (stable per campaign, different across campaigns)."""
    return hashlib.sha256(f"{campaign_id}:{account_id}".encode()).hexdigest()[:16]


class Attributor:
    def __init__(self, *, playlists: PlaylistTracks, clock: Callable[[], float] = time.monotonic) -> None:
        self._playlists = playlists
        self._clock = clock
        self._campaigns: dict[str, tuple[Campaign | None, float]] = {}

    def attribute(self, play: PlayMessage) -> Outcome:
        for _ in range(_ATTEMPTS):
            try:
                return self._attempt(play)
            except _LinkRaced:
                continue
        raise RuntimeError("the listener's first attribution kept changing under us; SQS will retry the play")

    def _attempt(self, play: PlayMessage) -> Outcome:
        links = {link.campaign_id: link for link in links_of(play.account_id)}
        if not links:
            return Outcome("gone")
        windows = []
        campaigns: dict[str, Campaign] = {}
        for campaign_id, link in links.items():
            campaign = self._campaign(campaign_id)
            if campaign is None:
                continue
            campaigns[campaign_id] = campaign
            window = rules.CampaignWindow(
                campaign_id=campaign_id,
                owner_id=campaign.owner_id,
                playlist_uri=campaign.playlist.uri,
                window_days=campaign.attribution_window_days,
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
                first_click_at=link.first_click_at,
                last_click_at=link.last_click_at,
                baseline_track_ids=frozenset(link.baseline_track_ids or ()),
            )
            if rules.in_window(window, play.played_at):
                windows.append(window)
        if not windows:
            return Outcome("no_open_window")
        playlists = {
            w.campaign_id: self._playlists.track_ids(campaigns[w.campaign_id].playlist_id, w.owner_id) for w in windows
        }
        facts = rules.PlayFacts(track_id=play.track_id, played_at=play.played_at, context_uri=play.context_uri)
        matches = rules.attribute(facts, windows, playlists)
        if not matches:
            return Outcome("not_attributed")
        by_owner: dict[str, list[rules.Match]] = defaultdict(list)
        for match in matches:
            by_owner[match.owner_id].append(match)
        written = 0
        for owner_id, owned in sorted(by_owner.items()):
            if self._write(play, owner_id, owned, links, playlists):
                written += len(owned)
        return Outcome("attributed" if written else "duplicate", written)

    def _write(
        self,
        play: PlayMessage,
        owner_id: str,
        matches: list[rules.Match],
        links: dict[str, ListenerLinkItem],
        playlists: dict[str, frozenset[str] | None],
    ) -> bool:
        """One owner's share of the play in one transaction; False if it was already written."""
        played_iso = play.played_iso
        event_id = f"{play.account_id}#{played_iso}"
        shard = shard_of(event_id)
        # Positions of the conditional items in the transaction, to read its refusal.
        attribution_positions: set[int] = set()
        link_positions: set[int] = set()
        try:
            with transaction() as writes:
                guard = PlayGuardItem(
                    *PlayGuardItem.key(play.account_id, played_iso, owner_id),
                    track_id=play.track_id,
                    expires_at=int((play.played_at + GUARD_LIFETIME).timestamp()),
                )
                writes.save(guard, condition=PlayGuardItem.pk.does_not_exist())
                position = 1
                for match in matches:
                    link = links[match.campaign_id]
                    writes.save(self._attribution(play, match), condition=AttributionItem.pk.does_not_exist())
                    attribution_positions.add(position)
                    position += 1
                    first = link.first_attributed_at is None
                    known = set(link.attributed_tracks or ())
                    new_track = play.track_id not in known
                    if first or new_track:
                        self._update_link(writes, link, play, first=first, known=known)
                        link_positions.add(position)
                        position += 1
                    baseline = set(link.baseline_track_ids or ())
                    campaign_tracks = playlists.get(match.campaign_id) or frozenset({play.track_id})
                    new_listener = first and not (baseline & campaign_tracks)
                    dims = {name: str(value) for name, value in (link.click.as_dict() if link.click else {}).items()}
                    dims = {name: dims.get(name, "") for name in CLICK_DIMENSIONS}
                    bucket = rules.bucket(match.confidence)
                    counts = {
                        "attributed_plays": 1,
                        "listeners": int(first),
                        "new_listeners": int(new_listener),
                        **{f"streams_{model}": match.credit.get(model, 0.0) for model in rules.MODELS},
                    }
                    position += add_counts(
                        writes,
                        match.campaign_id,
                        play.played_at,
                        counts,
                        event_id=event_id,
                        dimensions=dims,
                        also=(f"CONF#{bucket}",),
                    )
                    position += add_to(
                        writes,
                        match.campaign_id,
                        f"TRACK#{play.track_id}#{shard}",
                        {"attributed_plays": 1, "listeners": int(new_track)},
                        labels={
                            "track_name": (play.track_name or "")[:300],
                            "track_artists": ", ".join(play.artists)[:500],
                        },
                    )
                    for model in rules.MODELS:
                        share = match.credit.get(model, 0.0)
                        position += add_to(
                            writes,
                            match.campaign_id,
                            f"MODEL#{model}#C{bucket}#{shard}",
                            {"streams": share, "weighted_streams": share * match.confidence},
                        )
        except TransactWriteError as error:
            failed = failed_conditions(error)
            if 0 in failed or failed & attribution_positions:
                return False  # the guard (or an attribution) exists: written before
            if failed & link_positions:
                raise _LinkRaced from error
            raise
        return True

    @staticmethod
    def _update_link(writes: Any, link: ListenerLinkItem, play: PlayMessage, *, first: bool, known: set[str]) -> bool:
        """The link learns the listener's first attribution and the tracks credited so far,
        on condition that it still holds what was read (else the play is retried)."""
        actions = [ListenerLinkItem.attributed_tracks.add({play.track_id})]
        if first:
            actions.append(ListenerLinkItem.first_attributed_at.set(play.played_at))
            condition = ListenerLinkItem.first_attributed_at.does_not_exist()
        else:
            condition = ListenerLinkItem.first_attributed_at.exists()
        if known:
            condition &= ~ListenerLinkItem.attributed_tracks.contains(play.track_id)
        else:
            condition &= ListenerLinkItem.attributed_tracks.does_not_exist()
        writes.update(link, actions=actions, condition=condition)

    @staticmethod
    def _attribution(play: PlayMessage, match: rules.Match) -> AttributionItem:
        played_iso = play.played_iso
        return AttributionItem(
            *AttributionItem.key(match.campaign_id, played_iso, play.account_id),
            gsi2pk=ListenerItem.key(play.account_id)[0],
            gsi2sk=f"ATTR#{match.campaign_id}#{played_iso}",
            campaign_id=match.campaign_id,
            owner_id=match.owner_id,
            listener_key=listener_key(match.campaign_id, play.account_id),
            track_id=play.track_id,
            track_name=(play.track_name or "")[:300] or None,
            artists=", ".join(play.artists)[:500] or None,
            played_at=play.played_at,
            context_uri=play.context_uri,
            confidence=match.confidence,
            reasons=" ".join(match.reasons),
            credit={model: round(share, 6) for model, share in match.credit.items()},
        )

    def _campaign(self, campaign_id: str) -> Campaign | None:
        now = self._clock()
        cached = self._campaigns.get(campaign_id)
        if cached and cached[1] > now:
            return cached[0]
        try:
            campaign = campaign_from_item(CampaignItem.get(*CampaignItem.key(campaign_id)))
        except CampaignItem.DoesNotExist:
            campaign = None
        self._campaigns[campaign_id] = (campaign, now + CAMPAIGN_CACHE_SECONDS)
        return campaign


class _LinkRaced(Exception):
    """Another play of the listener set the link's first attribution meanwhile."""
