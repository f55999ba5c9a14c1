"""poll_user: read one listener's recently played tracks and queue the plays that may count.

Order matters for completeness: the plays are queued for attribution first,
and only then does the listener's cursor move. A failure in between leaves
the cursor where it was, so the next poll reads the same plays again (the
attribution's per-play guard makes the repeat harmless): no play is lost.

Spotify reports some plays late, with an older `played_at`; each poll reads
from `cursor - LOOKBACK`, so those are caught too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from soundlink.attribution.fans_jobs import FansJob
from soundlink.listeners.links import ListenerStatus, link_state, links_of, move_link_state, poll_index_keys
from soundlink.platform.counters import add_counts, campaign_key
from soundlink.platform.tables import CounterItem, ListenerItem, ListenerLinkItem
from soundlink.platform.transactions import failed_conditions, transaction
from soundlink.polling import backoff
from soundlink.polling.cadence import next_poll
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import NotAllowListed, RateLimited, SpotifyUnavailable, TokenRevoked
from soundlink.spotify.models import Play, TokenSet
from soundlink.tokens.cipher import TokenCipher, listener_context
from soundlink.tokens.sealed import seal, unseal

LOOKBACK = timedelta(hours=3)
LOOKBACK_MS = int(LOOKBACK.total_seconds() * 1000)
# How long every poller waits after Spotify stayed unavailable through the client's retries
# (when it sent no Retry-After): short next to an outage, long next to a poll.
UNAVAILABLE_WAIT = timedelta(seconds=60)
# A campaign's "last successful poll" moves at most hourly: an idle poll costs one write
# (the listener) except, once an hour per campaign, a second one.
POLL_MARK_EVERY = timedelta(hours=1)
# A possible gap is counted for at most this many of the listener's campaigns (1 + 3 x 33 = 100 items).
MAX_GAP_CAMPAIGNS = 33


class ListenerGone(Exception):
    """The listener (or a link) was deleted while the poll ran: a disconnect wins."""


def _update_existing(item: ListenerItem | ListenerLinkItem, actions: list[Any]) -> None:
    """Update an item only if it still exists: DynamoDB's update would otherwise create a
    fragment of a listener who disconnected meanwhile."""
    try:
        item.update(actions=actions, condition=type(item).pk.exists())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ListenerGone(item.pk) from error
        raise


@dataclass(frozen=True)
class PollOutcome:
    # polled, idle, skipped, gone, backoff, rate_limited, spotify_unavailable, reauth_required, not_allowlisted
    result: str
    plays_fetched: int = 0
    plays_queued: int = 0
    new_plays: int = 0
    possible_gap: bool = False
    tokens_refreshed: bool = False


def play_message(account_id: str, play: Play) -> dict[str, Any]:
    """What the attribution queue needs of a play (only what attribution uses)."""
    return {
        "account_id": account_id,
        "played_at": play.played_at.isoformat(),
        "track_id": play.track.id,
        "track_name": play.track.name[:300],
        "artists": [name[:200] for name in play.track.artist_names][:10],
        "artist_ids": list(play.track.artist_ids[:10]),
        "context_uri": play.context_uri,
    }


class Poller:
    def __init__(
        self,
        *,
        cipher: Callable[[], TokenCipher],
        spotify_config: Callable[[], SpotifyConfig],
        send_plays: Callable[[list[dict[str, Any]]], None],
        base_interval: timedelta,
        now: Callable[[], datetime],
        remaining_ms: Callable[[], int] | None = None,
        send_jobs: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self._send_jobs = send_jobs
        self._cipher = cipher
        self._config = spotify_config
        self._send_plays = send_plays
        self._base = base_interval
        self._now = now
        self._remaining_ms = remaining_ms

    def poll(self, account_id: str) -> PollOutcome:
        try:
            return self._poll(account_id)
        except ListenerGone:
            return PollOutcome("gone")  # disconnected during the poll: nothing of theirs is written back

    def _poll(self, account_id: str) -> PollOutcome:
        now = self._now()
        try:
            listener = ListenerItem.get(*ListenerItem.key(account_id), consistent_read=True)
        except ListenerItem.DoesNotExist:
            return PollOutcome("gone")  # disconnected since the job was queued
        if listener.status != ListenerStatus.ACTIVE.value:
            return PollOutcome("skipped")
        links = links_of(account_id)
        for link in links:  # campaigns count the listener under its state (rarely a write)
            move_link_state(link, link_state(listener.status, link, now))
        open_links = [link for link in links if link.window_ends_at is None or link.window_ends_at > now]
        # A fans end check found due only after the window closed could count nothing: no call.
        self._fans_end_checks([link for link in links if link not in open_links], queue=False)
        if not open_links:
            self._set_status(listener, ListenerStatus.IDLE, "every attribution window has closed", links)
            return PollOutcome("idle")
        wait = backoff.current(now)
        if wait is not None:
            self._reschedule(listener, wait)
            return PollOutcome("backoff")

        sealed_before = listener.tokens
        tokens = unseal(self._cipher(), sealed_before, listener_context(account_id))
        client = SpotifyClient(
            self._config(),
            tokens,
            on_tokens_refreshed=lambda new: self._save_tokens(listener, new),
            remaining_ms=self._remaining_ms,
        )
        needs_baseline = any(link.baseline_at is None for link in open_links)
        cursor = int(listener.cursor_ms) if listener.cursor_ms is not None else None
        # A new link's baseline needs the plays before its click: read all Spotify keeps.
        after_ms = None if needs_baseline or cursor is None else cursor - LOOKBACK_MS
        try:
            recent = client.recently_played(after_ms=after_ms, cursor_ms=cursor)
        except RateLimited as limited:
            until = now + timedelta(seconds=limited.retry_after_seconds)
            backoff.wait_until(until)
            self._reschedule(listener, until)
            return PollOutcome("rate_limited", tokens_refreshed=client.tokens_refreshed)
        except SpotifyUnavailable as down:
            # 5xx or timeouts that outlasted the client's retries: Spotify is down, not this
            # listener. Like a 429, every poller waits and the listener is polled again later
            # (its cursor unmoved, so it catches up); failing the job would only fill the DLQ.
            wait = UNAVAILABLE_WAIT if down.retry_after_seconds is None else timedelta(seconds=down.retry_after_seconds)
            until = now + wait
            backoff.wait_until(until)
            self._reschedule(listener, until)
            return PollOutcome("spotify_unavailable", tokens_refreshed=client.tokens_refreshed)
        except TokenRevoked:
            if self._tokens_unchanged(account_id, sealed_before):
                self._set_status(listener, ListenerStatus.REAUTH_REQUIRED, "Spotify refused the refresh token", links)
                return PollOutcome("reauth_required")
            return PollOutcome("skipped")  # another poll rotated the tokens meanwhile
        except NotAllowListed:
            self._set_status(listener, ListenerStatus.NOT_ALLOWLISTED, "not on the Spotify app's allow-list", links)
            return PollOutcome("not_allowlisted")

        for link in open_links:
            if link.baseline_at is None:
                self._record_baseline(link, recent.plays, now)
        earliest_click = min(link.first_click_at for link in open_links)
        seen = {int(ms) for ms in (listener.seen_ms or ())}
        countable = [p for p in recent.plays if p.played_at > earliest_click and p.played_at_ms not in seen]
        if countable:
            self._send_plays([play_message(account_id, play) for play in countable])
        new_plays = sum(1 for play in recent.plays if cursor is None or play.played_at_ms > cursor)
        seen |= {play.played_at_ms for play in recent.plays}
        gap_links = open_links if recent.possible_gap else []
        when, quiet = next_poll(now, new_plays=new_plays, quiet_polls=int(listener.quiet_polls or 0), base=self._base)
        # The last poll before a window closes queues that link's fans check at the window's end.
        self._fans_end_checks([link for link in open_links if link.window_ends_at and link.window_ends_at <= when])
        self._advance(listener, recent.cursor_ms, cursor, (when, quiet), new_plays, gap_links, seen, now)
        self._mark_polled({link.campaign_id for link in open_links}, now)
        return PollOutcome(
            "polled",
            plays_fetched=len(recent.plays),
            plays_queued=len(countable),
            new_plays=new_plays,
            possible_gap=recent.possible_gap,
            tokens_refreshed=client.tokens_refreshed,
        )

    # -- writes

    def _advance(
        self,
        listener: ListenerItem,
        cursor_ms: int | None,
        previous: int | None,
        next_at: tuple[datetime, int],
        new_plays: int,
        gap_links: list[ListenerLinkItem],
        seen: set[int],
        now: datetime,
    ) -> None:
        when, quiet = next_at
        gsi1pk, gsi1sk = poll_index_keys(listener.account_id, when)
        actions = [
            ListenerItem.last_polled_at.set(now),
            ListenerItem.next_poll_at.set(when),
            ListenerItem.gsi1pk.set(gsi1pk),
            ListenerItem.gsi1sk.set(gsi1sk),
            ListenerItem.quiet_polls.set(quiet),
        ]
        known = [x for x in (cursor_ms, previous) if x is not None]
        if known:  # never backwards: a re-read with lookback returns older plays too
            newest = max(known)
            actions.append(ListenerItem.cursor_ms.set(newest))
            keep = {ms for ms in seen if ms > newest - LOOKBACK_MS}
            actions.append(ListenerItem.seen_ms.set(keep) if keep else ListenerItem.seen_ms.remove())
        if new_plays:
            actions.append(ListenerItem.last_new_play_at.set(now))
        if gap_links:
            self._advance_with_gap(listener, actions, previous, gap_links, now)
            return
        # Only while still active (a disconnect or a status change meanwhile wins).
        try:
            listener.update(actions=actions, condition=ListenerItem.status == ListenerStatus.ACTIVE.value)
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    @staticmethod
    def _advance_with_gap(
        listener: ListenerItem, actions: list[Any], previous: int | None, links: list[ListenerLinkItem], now: datetime
    ) -> None:
        """A possible gap is counted in the transaction that moves the cursor past it, on
        condition that the cursor is still the one read: a retried or concurrent poll of the
        same plays counts it once, never again."""
        held = ListenerItem.cursor_ms.does_not_exist() if previous is None else ListenerItem.cursor_ms == previous
        event_id = f"{listener.account_id}#{now.isoformat()}"
        try:
            with transaction() as writes:
                writes.update(
                    listener,
                    actions=[*actions, ListenerItem.possible_gaps.add(1)],
                    condition=(ListenerItem.status == ListenerStatus.ACTIVE.value) & held,
                )
                # The total, the hour and the day of the poll (a date range counts the gaps it holds):
                # 1 + 3 items a campaign, within a transaction's 100.
                for link in links[:MAX_GAP_CAMPAIGNS]:
                    add_counts(writes, link.campaign_id, now, {"possible_gaps": 1}, event_id=event_id)
        except TransactWriteError as error:
            if 0 not in failed_conditions(error):
                raise

    def _fans_end_checks(self, links: list[ListenerLinkItem], *, queue: bool = True) -> None:
        """Queue the end check of each link still owing one (then clear its mark: a job lost
        after the send is retried by SQS, a mark left by a failure only re-queues a check the
        job's own guard runs once)."""
        due = [link for link in links if link.fans_end_due]
        if not due:
            return
        if queue and self._send_jobs is not None:
            self._send_jobs([FansJob(link.account_id, link.campaign_id, "end").message() for link in due])
        for link in due:
            _update_existing(link, [ListenerLinkItem.fans_end_due.remove()])

    def _reschedule(self, listener: ListenerItem, when: datetime) -> None:
        gsi1pk, gsi1sk = poll_index_keys(listener.account_id, when)
        _update_existing(
            listener,
            [
                ListenerItem.next_poll_at.set(when),
                ListenerItem.gsi1pk.set(gsi1pk),
                ListenerItem.gsi1sk.set(gsi1sk),
            ],
        )

    @staticmethod
    def _set_status(listener: ListenerItem, status: ListenerStatus, reason: str, links: list[ListenerLinkItem]) -> None:
        # Out of the poll index: a listener who is not active costs nothing.
        for link in links:
            move_link_state(link, status.value)
        _update_existing(
            listener,
            [
                ListenerItem.status.set(status.value),
                ListenerItem.status_reason.set(reason),
                ListenerItem.gsi1pk.remove(),
                ListenerItem.gsi1sk.remove(),
                ListenerItem.next_poll_at.remove(),
            ],
        )

    def _save_tokens(self, listener: ListenerItem, tokens: TokenSet) -> None:
        """Keep refreshed (possibly rotated) tokens at once: the old refresh token may be dead."""
        sealed = seal(self._cipher(), tokens, listener_context(listener.account_id))
        _update_existing(listener, [ListenerItem.tokens.set(sealed)])

    @staticmethod
    def _tokens_unchanged(account_id: str, sealed: str) -> bool:
        try:
            current = ListenerItem.get(
                *ListenerItem.key(account_id), consistent_read=True, attributes_to_get=["tokens"]
            )
        except ListenerItem.DoesNotExist:
            return False
        return current.tokens == sealed

    @staticmethod
    def _mark_polled(campaign_ids: set[str], now: datetime) -> None:
        """Each campaign's last successful poll, for its data quality; written at most every
        POLL_MARK_EVERY per campaign (a read first), so polls stay near one write each."""
        for campaign_id in sorted(campaign_ids):
            try:
                last = CounterItem.get(campaign_key(campaign_id), "POLL").last_polled_at
            except CounterItem.DoesNotExist:
                last = None
            if last is None or now - last >= POLL_MARK_EVERY:
                CounterItem(campaign_key(campaign_id), "POLL").update(actions=[CounterItem.last_polled_at.set(now)])

    @staticmethod
    def _record_baseline(link: ListenerLinkItem, plays: tuple[Play, ...], now: datetime) -> None:
        before = {play.track.id for play in plays if play.played_at <= link.first_click_at}
        actions = [ListenerLinkItem.baseline_at.set(now)]
        if before:
            actions.append(ListenerLinkItem.baseline_track_ids.set(before))
        _update_existing(link, actions)
