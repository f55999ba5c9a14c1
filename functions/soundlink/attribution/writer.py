"""The exactly-once write of attributed plays: one listener's plays for one campaign owner.

One DynamoDB transaction per group of plays holds, for each play, its guard
(listener, played_at, owner; conditional, so a redelivered or reordered play
changes nothing) and one attribution per matched campaign; once per campaign,
the link's update (the listener's first attribution and the tracks credited
so far, conditional on what was read); and once per counter item, the sum of
what the plays add to it (total, hour, day, and per UTC day the click
dimensions, confidence bucket, track and each model's credit; the cohort
weeks of cohorts.py). A group that would pass DynamoDB's 100 items per
transaction is split, oldest plays first; a single play credited to so many
campaigns that it alone would pass them is split by campaign, its guard in
the last part (each attribution is a guard of its own campaign). A refused
guard means that play was written before: it is dropped from the group and
the rest written again; a refused attribution drops that campaign's part of
the play.

Before the transaction, `add_people` puts the listener in each campaign's
sketch of the UTC days its plays fall on (platform/people.py): outside the
transaction (a sketch is read, merged and written back, which no update
expression can do) and before it, so a credited play is never missing from
the day's people; adding a person twice changes nothing, so a retry or a
redelivery is harmless.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from soundlink.attribution import cohorts, rules
from soundlink.attribution.plays import PlayMessage, listener_key
from soundlink.campaigns.campaign import Campaign
from soundlink.platform import people
from soundlink.platform.counters import CLICK_DIMENSIONS, Tally, day_of, day_scoped, shard_of
from soundlink.platform.tables import AttributionItem, ListenerItem, ListenerLinkItem, PlayGuardItem
from soundlink.platform.transactions import failed_conditions, transaction

GUARD_LIFETIME = timedelta(days=30)  # longer than any redelivery or re-read can come back
MAX_ITEMS = 100  # DynamoDB's limit of items in one transaction

Entry = tuple[int, PlayMessage, list[rules.Match]]  # (the play's index in its batch, the play, its matches)
# An entry as written: its guard is left out of all but the last part of a play split by campaign.
_Part = tuple[int, PlayMessage, list[rules.Match], bool]


class LinkRaced(Exception):
    """Another play of the listener moved the link (first attribution, tracks) since it was read."""


def window(campaign: Campaign, link: ListenerLinkItem) -> rules.CampaignWindow:
    return rules.CampaignWindow(
        campaign_id=campaign.id,
        owner_id=campaign.owner_id,
        playlist_uri=campaign.playlist.uri,
        window_days=campaign.attribution_window_days,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        first_click_at=link.first_click_at,
        last_click_at=link.last_click_at,
        baseline_track_ids=frozenset(link.baseline_track_ids or ()),
    )


@dataclass
class _Plan:
    """The items of one transaction, and where each conditional one sits in it."""

    operations: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)  # (save|update, item, kwargs)
    plays_at: dict[int, int] = field(default_factory=dict)  # position of a guard -> the play's index
    matches_at: dict[int, tuple[int, str]] = field(default_factory=dict)  # attribution -> (play index, campaign)
    link_positions: set[int] = field(default_factory=set)
    links_after: dict[str, tuple[datetime | None, set[str], set[int]]] = field(default_factory=dict)

    def add(self, kind: str, item: Any, **kwargs: Any) -> int:
        self.operations.append((kind, item, kwargs))
        return len(self.operations) - 1


class PeopleAdded:
    """(campaign, UTC day, listener key) this container has put in a sketch: a sketch only grows,
    so a later play of that listener that day needs no read. Bounded (oldest forgotten first):
    forgetting costs one read, never a wrong count."""

    def __init__(self, limit: int = 50_000) -> None:
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._limit = limit

    def __contains__(self, key: tuple[str, str, str]) -> bool:
        return key in self._seen

    def add(self, key: tuple[str, str, str]) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)


def add_people(entries: list[Entry], added: PeopleAdded | None = None) -> int:
    """Put each entry's listener in the sketch of each campaign credited and UTC day played
    (one read per campaign and day not in `added`, a write only where the listener is new
    there). Returns the sketches written."""
    known = added if added is not None else PeopleAdded()
    days: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _index, play, matches in entries:
        for match in matches:
            key = (match.campaign_id, day_of(play.played_at), listener_key(match.campaign_id, play.account_id))
            if key not in known:
                days[key[:2]].add(key[2])
    written = 0
    for (campaign_id, day), ids in sorted(days.items()):
        written += people.add_people(campaign_id, day, ids)
        for listener in ids:  # only once stored: a failed add is tried again by the redelivery
            known.add((campaign_id, day, listener))
    return written


def write_coalesced(
    entries: list[Entry],
    owner_id: str,
    links: dict[str, ListenerLinkItem],
    playlists: dict[str, frozenset[str] | None],
    window_days: dict[str, int] | None = None,
) -> dict[int, int]:
    """Write the entries (oldest first); returns the attributions written per play index.
    `window_days` (campaign id -> its attribution window) bounds the cohort weeks; a campaign
    missing from it counts no cohort week. Raises LinkRaced when the link moved meanwhile
    (read it again and retry)."""
    windows = window_days or {}
    written: dict[int, int] = defaultdict(int)
    pending: list[_Part] = [(index, play, list(matches), True) for index, play, matches in entries]
    while pending:
        size = len(pending)
        plan = _plan(pending[:size], owner_id, links, playlists, windows)
        while len(plan.operations) > MAX_ITEMS and size > 1:
            size = max(1, size // 2)
            plan = _plan(pending[:size], owner_id, links, playlists, windows)
        if len(plan.operations) > MAX_ITEMS and len(pending[0][2]) > 1:
            # One play credited to many campaigns: its campaigns in two parts, the guard in the second.
            index, play, matches, guarded = pending[0]
            half = len(matches) // 2
            pending[:1] = [(index, play, matches[:half], False), (index, play, matches[half:], guarded)]
            continue
        group, rest = pending[:size], pending[size:]
        try:
            with transaction() as writes:
                for kind, item, kwargs in plan.operations:
                    getattr(writes, kind)(item, **kwargs)
        except TransactWriteError as error:
            failed = failed_conditions(error)
            done_before = {plan.plays_at[position] for position in failed if position in plan.plays_at}
            parts_before = {plan.matches_at[position] for position in failed if position in plan.matches_at}
            if done_before or parts_before:  # written by an earlier delivery: the rest is written again
                pending = [
                    (index, play, [m for m in matches if (index, m.campaign_id) not in parts_before], guarded)
                    for index, play, matches, guarded in pending
                    if index not in done_before
                ]
                pending = [part for part in pending if part[2] or part[3]]  # a part with nothing left to write
                continue
            if failed & plan.link_positions:
                raise LinkRaced from error
            raise
        for index, _play, matches, _guarded in group:
            written[index] += len(matches)
        for campaign_id, (first_at, tracks, weeks) in plan.links_after.items():  # what the next group reads
            links[campaign_id].first_attributed_at = first_at
            links[campaign_id].attributed_tracks = tracks or None
            links[campaign_id].cohort_weeks = weeks or None
        pending = rest
    return dict(written)


def _plan(
    entries: list[_Part],
    owner_id: str,
    links: dict[str, ListenerLinkItem],
    playlists: dict[str, frozenset[str] | None],
    window_days: dict[str, int],
) -> _Plan:
    plan = _Plan()
    tally = Tally()
    # One shard for the group's counters (any shard is right: readers sum them all).
    shard = shard_of(f"{entries[0][1].account_id}#{entries[0][1].played_iso}")
    first_at: dict[str, datetime | None] = {cid: link.first_attributed_at for cid, link in links.items()}
    known: dict[str, set[str]] = {cid: set(link.attributed_tracks or ()) for cid, link in links.items()}
    new_tracks: dict[str, set[str]] = defaultdict(set)
    weeks: dict[str, set[int]] = {cid: {int(w) for w in link.cohort_weeks or ()} for cid, link in links.items()}
    new_weeks: dict[str, set[int]] = defaultdict(set)
    for index, play, matches, guarded in entries:
        if guarded:
            guard = PlayGuardItem(
                *PlayGuardItem.key(play.account_id, play.played_iso, owner_id),
                track_id=play.track_id,
                expires_at=int((play.played_at + GUARD_LIFETIME).timestamp()),
            )
            plan.plays_at[plan.add("save", guard, condition=PlayGuardItem.pk.does_not_exist())] = index
        for match in matches:
            campaign_id, link = match.campaign_id, links[match.campaign_id]
            week = (
                cohorts.week_after(link.first_click_at, play.played_at, window_days[campaign_id])
                if campaign_id in window_days
                else None
            )
            attribution = _attribution(play, match, cohorts.week_start(link.first_click_at), week)
            position = plan.add("save", attribution, condition=AttributionItem.pk.does_not_exist())
            plan.matches_at[position] = (index, campaign_id)
            first = first_at[campaign_id] is None
            if first:
                first_at[campaign_id] = play.played_at
            new_track = play.track_id not in known[campaign_id]
            if new_track:
                known[campaign_id].add(play.track_id)
                new_tracks[campaign_id].add(play.track_id)
            baseline = set(link.baseline_track_ids or ())
            campaign_tracks = playlists.get(campaign_id) or frozenset({play.track_id})
            new_listener = first and not (baseline & campaign_tracks)
            dims = {name: str(value) for name, value in (link.click.as_dict() if link.click else {}).items()}
            dims = {name: dims.get(name, "") for name in CLICK_DIMENSIONS}
            bucket = rules.bucket(match.confidence)
            counts = {
                "attributed_plays": 1,
                "listeners": int(first),
                "new_listeners": int(new_listener),
                **{f"streams_{model}": match.credit.get(model, 0.0) for model in rules.MODELS},
                # Weighted by confidence: the campaign list's figure without a Query of the model counters.
                **{f"weighted_{model}": match.credit.get(model, 0.0) * match.confidence for model in rules.MODELS},
            }
            tally.add_event(campaign_id, play.played_at, counts, shard=shard, dimensions=dims, also=(f"CONF#{bucket}",))
            tally.add(
                campaign_id,
                day_scoped(play.played_at, f"TRACK#{play.track_id}#{shard}"),
                {"attributed_plays": 1, "listeners": int(new_track)},
                labels={"track_name": (play.track_name or "")[:300], "track_artists": ", ".join(play.artists)[:500]},
            )
            for model in rules.MODELS:
                share = match.credit.get(model, 0.0)
                tally.add(
                    campaign_id,
                    day_scoped(play.played_at, f"MODEL#{model}#C{bucket}#{shard}"),
                    {"streams": share, "weighted_streams": share * match.confidence},
                )
            if week is not None and week not in weeks[campaign_id]:
                if not weeks[campaign_id]:  # the listener's first counted week: one more in the cohort
                    tally.add(campaign_id, cohorts.counter_key(link.first_click_at, None, shard), {"listeners": 1})
                tally.add(campaign_id, cohorts.counter_key(link.first_click_at, week, shard), {"listeners": 1})
                weeks[campaign_id].add(week)
                new_weeks[campaign_id].add(week)
    moved = {cid for cid, link in links.items() if first_at.get(cid) != link.first_attributed_at}
    moved |= set(new_tracks) | set(new_weeks)
    for campaign_id in sorted(moved):
        link = links[campaign_id]
        update = _link_update(link, first_at[campaign_id], new_tracks[campaign_id], new_weeks[campaign_id])
        plan.link_positions.add(plan.add("update", link, **update))
        plan.links_after[campaign_id] = (first_at[campaign_id], known[campaign_id], weeks[campaign_id])
    plan.operations += [("update", item, {"actions": actions}) for item, actions in tally.updates()]
    return plan


def _link_update(
    link: ListenerLinkItem, first_at: datetime | None, tracks: set[str], weeks: set[int]
) -> dict[str, Any]:
    """The link learns the listener's first attribution, the tracks credited and the cohort weeks
    counted, on condition that it still holds what was read (else the plays are retried with a
    fresh read): the condition is what keeps each of them counted once."""
    actions = [ListenerLinkItem.attributed_tracks.add(set(tracks))] if tracks else []
    if weeks:
        actions.append(ListenerLinkItem.cohort_weeks.add(set(weeks)))
    if link.first_attributed_at is None:
        actions.append(ListenerLinkItem.first_attributed_at.set(first_at))
        condition = ListenerLinkItem.first_attributed_at.does_not_exist()
    else:
        condition = ListenerLinkItem.first_attributed_at.exists()
    if link.attributed_tracks:
        for track in sorted(tracks):
            condition &= ~ListenerLinkItem.attributed_tracks.contains(track)
    else:
        condition &= ListenerLinkItem.attributed_tracks.does_not_exist()
    if link.cohort_weeks:
        for week in sorted(weeks):
            condition &= ~ListenerLinkItem.cohort_weeks.contains(week)
    elif weeks:
        condition &= ListenerLinkItem.cohort_weeks.does_not_exist()
    return {"actions": actions, "condition": condition}


def _attribution(play: PlayMessage, match: rules.Match, cohort_week: str, week: int | None) -> AttributionItem:
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
        cohort_week=cohort_week,
        week_after_click=week,
    )
