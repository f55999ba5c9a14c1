"""attribute: plays of listeners → their attributions and every counter they move, exactly once.

Which campaigns a play is credited to is decided by the rules (rules.py) over
the listener's links and the campaigns' playlists; the write (writer.py) puts
the listener in the campaigns' people sketches of the days played, then one
listener's plays for one campaign owner in one transaction, counters summed.
A transaction conflict (or a sketch raced past its retries) raises, so SQS
delivers the plays again; nothing is dropped. Plays that match nothing are not stored.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from soundlink.attribution import rules
from soundlink.attribution.playlists import PlaylistTracks
from soundlink.attribution.plays import PlayMessage, listener_key
from soundlink.attribution.writer import (
    GUARD_LIFETIME,
    LinkRaced,
    PeopleAdded,
    add_people,
    window,
    write_coalesced,
)
from soundlink.campaigns.campaign import Campaign
from soundlink.campaigns.items import campaign_from_item
from soundlink.listeners.links import links_of
from soundlink.platform.tables import CampaignItem, PlayGuardItem

__all__ = ["GUARD_LIFETIME", "Attributor", "Outcome", "PlayMessage", "listener_key"]

CAMPAIGN_CACHE_SECONDS = 60.0
_ATTEMPTS = 3  # a lost race on a listener's first attribution is retried with fresh reads


@dataclass(frozen=True)
class Outcome:
    result: str  # attributed, duplicate, not_attributed, no_open_window, gone
    campaigns: int = 0
    # The campaigns the play is credited to (attributed or duplicate): what fans re-checks are
    # queued for. Detail, not the outcome itself: outcomes compare by result and count.
    campaign_ids: tuple[str, ...] = field(default=(), compare=False)


class Attributor:
    """Plays → attributions and counters, exactly once.

    Plays that arrive together (one SQS batch) are written together: per listener and
    campaign owner, one transaction (or a few, under DynamoDB's 100 items) holds every
    play's guard and attributions, and each counter item once with the plays' sums.
    Guards are read first, so a redelivered batch costs a read, not a transaction.
    """

    def __init__(self, *, playlists: PlaylistTracks, clock: Callable[[], float] = time.monotonic) -> None:
        self._playlists = playlists
        self._clock = clock
        self._campaigns: dict[str, tuple[Campaign | None, float]] = {}
        self._people = PeopleAdded()  # listeners this container put in a day's sketch: no read again

    def attribute(self, play: PlayMessage) -> Outcome:
        outcome = self.attribute_all([play])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def attribute_all(self, plays: list[PlayMessage]) -> list[Outcome | Exception]:
        """Each play's outcome, in order; an exception where SQS should deliver that play again."""
        results: dict[int, Outcome | Exception] = {}
        by_listener: dict[str, list[int]] = defaultdict(list)
        for index, play in enumerate(plays):
            by_listener[play.account_id].append(index)
        for indexes in by_listener.values():
            for index, outcome in self._listener([(i, plays[i]) for i in indexes]).items():
                results[index] = outcome
        return [results[index] for index in range(len(plays))]

    def _listener(self, plays: list[tuple[int, PlayMessage]]) -> dict[int, Outcome | Exception]:
        outcomes: dict[int, Outcome | Exception] = {}
        pending = sorted(plays, key=lambda entry: entry[1].played_at)  # the earliest play is the first
        for _ in range(_ATTEMPTS):
            try:
                self._attempt(pending, outcomes)
            except LinkRaced:
                pending = [entry for entry in pending if entry[0] not in outcomes]
                continue
            except Exception as error:  # noqa: BLE001 - the listener's plays are retried by SQS, the batch's others kept
                for index, _play in pending:
                    outcomes.setdefault(index, error)
            return outcomes
        error = RuntimeError("the listener's first attribution kept changing under us; SQS will retry the play")
        for index, _play in pending:
            outcomes.setdefault(index, error)
        return outcomes

    def _attempt(self, plays: list[tuple[int, PlayMessage]], outcomes: dict[int, Outcome | Exception]) -> None:
        """Writes what is not written yet; records each play's outcome in `outcomes` as it is known."""
        account_id = plays[0][1].account_id
        links = {link.campaign_id: link for link in links_of(account_id)}
        if not links:
            outcomes.update((index, Outcome("gone")) for index, _play in plays)
            return
        campaigns = {cid: c for cid in links if (c := self._campaign(cid)) is not None}
        playlists: dict[str, frozenset[str] | None] = {}
        by_owner: dict[str, list[tuple[int, PlayMessage, list[rules.Match]]]] = defaultdict(list)
        for index, play in plays:
            windows = [
                w
                for campaign_id, link in links.items()
                if campaign_id in campaigns
                and rules.in_window(w := window(campaigns[campaign_id], link), play.played_at)
            ]
            if not windows:
                outcomes[index] = Outcome("no_open_window")
                continue
            for w in windows:
                if w.campaign_id not in playlists:
                    playlists[w.campaign_id] = self._playlists.track_ids(
                        campaigns[w.campaign_id].playlist_id, w.owner_id
                    )
            facts = rules.PlayFacts(track_id=play.track_id, played_at=play.played_at, context_uri=play.context_uri)
            matches = rules.attribute(facts, windows, {w.campaign_id: playlists[w.campaign_id] for w in windows})
            if not matches:
                outcomes[index] = Outcome("not_attributed")
                continue
            owners: dict[str, list[rules.Match]] = defaultdict(list)
            for match in matches:
                owners[match.owner_id].append(match)
            for owner_id, owned in owners.items():
                by_owner[owner_id].append((index, play, owned))
        written: dict[int, int] = defaultdict(int)
        credited: dict[int, set[str]] = defaultdict(set)
        for entries in by_owner.values():
            for index, _play, owned in entries:
                credited[index].update(match.campaign_id for match in owned)
        matched = set(credited)
        for owner_id, entries in sorted(by_owner.items()):
            fresh = self._not_yet_written(owner_id, entries)
            # Before the transaction: a credited play is never missing from its day's people.
            add_people(fresh, self._people)
            windows = {cid: campaign.attribution_window_days for cid, campaign in campaigns.items()}
            for index, count in write_coalesced(fresh, owner_id, links, playlists, windows).items():
                written[index] += count
        for index in matched:
            if index not in outcomes:
                ids = tuple(sorted(credited[index]))
                outcomes[index] = (
                    Outcome("attributed", written[index], ids) if written[index] else Outcome("duplicate", 0, ids)
                )

    @staticmethod
    def _not_yet_written(
        owner_id: str, entries: list[tuple[int, PlayMessage, list[rules.Match]]]
    ) -> list[tuple[int, PlayMessage, list[rules.Match]]]:
        """The entries whose guard is not stored yet: one BatchGetItem, so a redelivery costs a read.
        (A guard written meanwhile is still caught by the transaction's condition.)"""
        keys = [PlayGuardItem.key(play.account_id, play.played_iso, owner_id) for _i, play, _m in entries]
        found = {(guard.pk, guard.sk) for guard in PlayGuardItem.batch_get(keys, attributes_to_get=["pk", "sk"])}
        return [entry for entry, key in zip(entries, keys, strict=True) if key not in found]

    def campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign, as attribution last read it (cached a minute)."""
        return self._campaign(campaign_id)

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
