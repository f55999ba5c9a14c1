"""Fans checks: ask Spotify's library about a campaign's URIs for one listener, on the poll queue.

Three checks, each a message on the poll queue (``kind: "fans"``), handled by
poll_user, which holds the listener's token and a Spotify client:

- ``baseline``: queued by the consent callback when the campaign measures fans.
  Asks about the campaign's tracks, their artists and its playlist (calls of
  40 URIs). A grant without the library scopes records "not measured".
- ``play``: queued by the attribution step after an attributed play, at most
  once a day per listener and campaign. Asks about the played track, its
  artists and the playlist: one call.
- ``end``: queued by the listener's last poll before the campaign's window
  closes. Asks what the baseline asked (calls of 40).

What counts is decided by attribution/fans.py (exactly once, inside the window).
Spotify failures are never dropped: a 429 or an unavailable Spotify puts every
poller in back-off and the check back on the queue, delayed; a revoked token is
left to the listener's poll (which marks the listener for re-consent); a token
without the scopes is "not measured". Anything else fails the message, which
SQS retries and then parks in the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from soundlink.attribution import fans
from soundlink.attribution.fans_jobs import FansJob
from soundlink.attribution.playlists import PlaylistTracks
from soundlink.listeners.links import ListenerStatus
from soundlink.platform.tables import CampaignItem, FansItem, ListenerItem, ListenerLinkItem
from soundlink.polling import backoff
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import MissingScope, NotAllowListed, RateLimited, SpotifyUnavailable, TokenRevoked
from soundlink.spotify.models import TokenSet
from soundlink.tokens.cipher import TokenCipher, listener_context
from soundlink.tokens.sealed import seal, unseal
from soundlink.tracking.oauth_state import FANS_SCOPES

LIBRARY_SCOPES = frozenset(FANS_SCOPES)
# A baseline asks about at most this many URIs (10 calls): a huge playlist is measured on its
# first tracks and their artists, and the item stays far below DynamoDB's 400 KB.
MAX_CHECK_URIS = 400
MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds
UNAVAILABLE_WAIT = timedelta(seconds=60)
# A listener linked this long without a fans record was not asked at consent (they connected
# before the campaign measured fans): "not measured". Sooner, their baseline may be on its way.
BASELINE_GRACE = timedelta(hours=1)
# Within the window's last day, the end check (still owed) asks about every track anyway:
# a play's re-check then would be a second call for the same answer.
END_COVERS = timedelta(days=1)


def has_library_scopes(scopes: str | None) -> bool:
    return set((scopes or "").split()) >= LIBRARY_SCOPES


@dataclass(frozen=True)
class CheckOutcome:
    # checked, counted, not_measured, not_due, skipped, gone, requeued, reauth_required, not_allowlisted
    result: str
    spotify_calls: int = 0
    counted: int = 0


class FansChecker:
    def __init__(
        self,
        *,
        cipher: Callable[[], TokenCipher],
        spotify_config: Callable[[], SpotifyConfig],
        playlists: PlaylistTracks,
        send_job: Callable[[dict[str, Any], int], None],
        now: Callable[[], datetime],
        remaining_ms: Callable[[], int] | None = None,
    ) -> None:
        self._cipher = cipher
        self._config = spotify_config
        self._playlists = playlists
        self._send_job = send_job
        self._now = now
        self._remaining_ms = remaining_ms

    def check(self, job: FansJob) -> CheckOutcome:
        now = self._now()
        try:
            listener = ListenerItem.get(*ListenerItem.key(job.account_id), consistent_read=True)
            link = ListenerLinkItem.get(*ListenerLinkItem.key(job.account_id, job.campaign_id), consistent_read=True)
            campaign = CampaignItem.get(*CampaignItem.key(job.campaign_id))
        except (ListenerItem.DoesNotExist, ListenerLinkItem.DoesNotExist, CampaignItem.DoesNotExist):
            return CheckOutcome("gone")  # disconnected, or the campaign deleted, since the job was queued
        if not campaign.measure_fans or listener.status not in (ListenerStatus.ACTIVE.value, ListenerStatus.IDLE.value):
            return CheckOutcome("skipped")
        library = self._library_attribute(listener)
        if job.check != "baseline" and not self._has_record(job):
            # Listeners are not asked again: without library scopes, or linked long before
            # this check, they are not measured; otherwise their baseline is still on its way.
            if library is None or link.consented_at <= now - BASELINE_GRACE:
                fans.record_baseline(job.account_id, job.campaign_id, None, now)
                return CheckOutcome("not_measured")
            return CheckOutcome("skipped")
        if library is None:
            if job.check == "baseline":
                fans.record_baseline(job.account_id, job.campaign_id, None, now)
            return CheckOutcome("not_measured")
        if not self._due(job, now) or (job.check == "play" and self._end_check_covers(link, now)):
            return CheckOutcome("not_due")
        wait = backoff.current(now)
        if wait is not None:
            return self._requeue(job, wait - now)
        uris = self._uris(job, campaign)
        sealed = getattr(listener, library.attr_name)
        tokens = unseal(self._cipher(), sealed, listener_context(job.account_id))
        client = SpotifyClient(
            self._config(),
            tokens,
            on_tokens_refreshed=lambda new: self._save_tokens(listener, library, new),
            remaining_ms=self._remaining_ms,
        )
        calls = -(-len(uris) // fans.MAX_URIS_PER_CALL)
        try:
            answers = client.library_contains(uris)
        except RateLimited as limited:
            backoff.wait_until(now + timedelta(seconds=limited.retry_after_seconds))
            return self._requeue(job, timedelta(seconds=limited.retry_after_seconds))
        except SpotifyUnavailable as down:
            seconds = down.retry_after_seconds
            wait_for = UNAVAILABLE_WAIT if seconds is None else timedelta(seconds=seconds)
            backoff.wait_until(now + wait_for)
            return self._requeue(job, wait_for)
        except MissingScope:
            # The grant lost a scope (the listener changed it at Spotify): not measured, never "no".
            if job.check == "baseline":
                fans.record_baseline(job.account_id, job.campaign_id, None, now)
            return CheckOutcome("not_measured", spotify_calls=1)
        except TokenRevoked:
            if library is ListenerItem.library_tokens:  # the kept earlier grant died: forget it
                self._forget_library_grant(listener, sealed)
                return CheckOutcome("not_measured", spotify_calls=1)
            return CheckOutcome("reauth_required", spotify_calls=1)  # the listener's poll marks it
        except NotAllowListed:
            return CheckOutcome("not_allowlisted", spotify_calls=1)
        if job.check == "baseline":
            if fans.record_baseline(job.account_id, job.campaign_id, answers, now):
                self._mark_link(link)
            return CheckOutcome("checked", spotify_calls=calls)
        counts = fans.record_check(job.account_id, job.campaign_id, answers, now, link.window_ends_at)
        if job.check == "end":
            FansItem(*FansItem.key(job.account_id, job.campaign_id)).update(
                actions=[FansItem.end_checked_at.set(now)], condition=FansItem.sk.exists()
            )
        return CheckOutcome("counted" if counts else "checked", spotify_calls=calls, counted=sum(counts.values()))

    # -- what to ask

    @staticmethod
    def _end_check_covers(link: ListenerLinkItem, now: datetime) -> bool:
        ends = link.window_ends_at
        return bool(link.fans_end_due) and ends is not None and ends - END_COVERS <= now

    @staticmethod
    def _has_record(job: FansJob) -> bool:
        try:
            FansItem.get(*FansItem.key(job.account_id, job.campaign_id), consistent_read=True, attributes_to_get=["sk"])
        except FansItem.DoesNotExist:
            return False
        return True

    @staticmethod
    def _due(job: FansJob, now: datetime) -> bool:
        if job.check == "play":
            return fans.due_for_recheck(job.account_id, job.campaign_id, now)
        try:
            item = FansItem.get(*FansItem.key(job.account_id, job.campaign_id), consistent_read=True)
        except FansItem.DoesNotExist:
            return job.check == "baseline"
        # A redelivered baseline costs a read, not a call; the end is checked once.
        return job.check == "end" and item.baseline is not None and item.end_checked_at is None

    def _uris(self, job: FansJob, campaign: CampaignItem) -> list[str]:
        if job.check == "play":
            return fans.play_uris(job.track_id or "", job.artist_ids, campaign.playlist_id)
        catalog = self._playlists.catalog(campaign.playlist_id, campaign.owner_id)
        tracks = sorted(catalog.track_ids) if catalog else []
        artists = sorted(catalog.artist_ids) if catalog else []
        uris = fans.campaign_uris(tracks, artists, campaign.playlist_id)
        if len(uris) > MAX_CHECK_URIS:  # the playlist first, then tracks, then artists
            playlist = f"spotify:playlist:{campaign.playlist_id}"
            uris = [playlist, *[u for u in uris if u != playlist]][:MAX_CHECK_URIS]
        return uris

    # -- writes

    def _requeue(self, job: FansJob, wait: timedelta) -> CheckOutcome:
        delay = max(1, min(MAX_DELAY_SECONDS, int(wait.total_seconds()) + 1))
        self._send_job(job.message(), delay)
        return CheckOutcome("requeued")

    @staticmethod
    def _mark_link(link: ListenerLinkItem) -> None:
        """The link's window end will be checked once: the poll before it closes queues it."""
        try:
            link.update(actions=[ListenerLinkItem.fans_end_due.set(True)], condition=ListenerLinkItem.pk.exists())
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    @staticmethod
    def _library_attribute(listener: ListenerItem) -> Any:
        """Which of the listener's grants can read the library: the one polls use, else an
        earlier one kept for fans (consent/listener.py); None when neither can."""
        if has_library_scopes(listener.scopes):
            return ListenerItem.tokens
        if listener.library_tokens and has_library_scopes(listener.library_scopes):
            return ListenerItem.library_tokens
        return None

    def _save_tokens(self, listener: ListenerItem, attribute: Any, tokens: TokenSet) -> None:
        """Keep refreshed (possibly rotated) tokens at once: the old refresh token may be dead."""
        sealed = seal(self._cipher(), tokens, listener_context(listener.account_id))
        listener.update(actions=[attribute.set(sealed)], condition=ListenerItem.pk.exists())

    @staticmethod
    def _forget_library_grant(listener: ListenerItem, sealed: str) -> None:
        try:
            listener.update(
                actions=[ListenerItem.library_tokens.remove(), ListenerItem.library_scopes.remove()],
                condition=ListenerItem.library_tokens == sealed,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
