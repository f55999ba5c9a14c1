"""The Web API on behalf of one user: profile, recently played, playlists."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from aws_lambda_powertools import Logger

from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.models import Play, Playlist, PlaylistTrack, Profile, RecentlyPlayed, TokenSet, to_ms
from soundlink.spotify.parsing import (
    parse,
    parse_library_contains,
    parse_play_page,
    parse_playlist,
    parse_playlist_items_page,
    parse_profile,
)
from soundlink.spotify.responses import api_error, json_body

logger = Logger(child=True)

LIBRARY_CONTAINS_LIMIT = 40  # the most URIs one GET /v1/me/library/contains takes (2026 API)
PAGE_LIMIT = 50  # the most Spotify returns per page, for plays and for playlist items
# Spotify keeps only the last 50 plays, so more than a few pages can never be useful.
_MAX_PLAY_PAGES = 4
# A playlist holds at most 10,000 items: 200 pages of 50.
_MAX_PLAYLIST_PAGES = 200
# Refresh a little before expiry so a token does not lapse between check and use.
_EXPIRY_SKEW = timedelta(seconds=60)


@dataclass
class _Call:
    """The state of one public ``SpotifyClient`` call, across all its pages. It is
    made per call, never kept on the client, so no method can forget to reset it
    and calls on one client (even from several threads) never share it."""

    refreshed: bool = False  # the call's one refresh (on expiry or on a 401) is spent


class SpotifyClient:
    """The Web API on behalf of one user (a listener, or an owner reading a playlist).

    An access token that has expired, or that Spotify answers with 401, is
    refreshed once per call; the new tokens are in ``tokens`` and are passed
    to ``on_tokens_refreshed`` so the caller can persist them (Spotify may
    rotate the refresh token).
    """

    def __init__(
        self,
        config: SpotifyConfig,
        tokens: TokenSet,
        *,
        on_tokens_refreshed: Callable[[TokenSet], None] | None = None,
        remaining_ms: Callable[[], int] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.tokens_refreshed = False
        self._on_tokens_refreshed = on_tokens_refreshed
        self._accounts = SpotifyAccounts(config, remaining_ms=remaining_ms, session=session)
        self._transport = self._accounts._transport

    # -- calls

    def me(self) -> Profile:
        body = self._get(_Call(), "/v1/me", what="GET /v1/me")
        return parse(parse_profile, body, "user profile")

    def recently_played(self, after_ms: int | None = None, *, cursor_ms: int | None = None) -> RecentlyPlayed:
        """Plays newer than ``after_ms`` (Unix ms, exclusive), oldest first.

        Pass the previous ``cursor_ms`` as ``after_ms``; for a listener's first
        poll pass the consent time, so plays lost before it count as a gap.

        Late plays: Spotify reports some plays minutes to hours late (offline
        listening), with a ``played_at`` older than the cursor, and ``after``
        filters them out for good. To catch them, pass ``after_ms = cursor_ms -
        lookback`` and deduplicate by (listener, played_at): plays between
        ``after_ms`` and the cursor come back again.

        ``possible_gap`` is judged against ``cursor_ms`` (the newest play seen
        before; default ``after_ms``): it is true when 50 plays (all Spotify
        keeps) are newer than it and nothing reached back to it, so plays after
        it may be lost. Pass the cursor when ``after_ms`` carries a lookback:
        plays between the lookback point and the cursor were seen already, and
        judging against the lookback point would call every busy stretch of
        listening a gap, again on every poll of the lookback.
        """
        gap_ms = after_ms if cursor_ms is None else cursor_ms
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if after_ms is not None:
            params["after"] = int(after_ms)
        path: str = "/v1/me/player/recently-played"
        seen: dict[tuple[int, str], Play] = {}
        new_items = 0  # plays newer than gap_ms
        newest_ms = after_ms
        reached_cursor = False  # the answer reached back to gap_ms: nothing after it was lost
        call = _Call()
        for _ in range(_MAX_PLAY_PAGES):
            body = self._get(call, path, params=params, what="GET recently-played")
            items, next_url = parse(parse_play_page, body, "recently played page")
            page_new = 0
            for played_at, play in items:
                ms = to_ms(played_at)
                if gap_ms is not None and ms <= gap_ms:
                    reached_cursor = True
                if after_ms is not None and ms <= after_ms:
                    # Following `next` walks back in time, into plays already seen.
                    continue
                page_new += 1
                new_items += gap_ms is None or ms > gap_ms
                # Plays that cannot be attributed (no track id) still move the cursor past them.
                newest_ms = ms if newest_ms is None else max(newest_ms, ms)
                if play is not None:
                    seen.setdefault((ms, play.track.id), play)
            if not next_url or len(items) < PAGE_LIMIT or page_new < len(items):
                break
            path, params = _api_path(next_url, self.config.api_url), None
        plays = tuple(sorted(seen.values(), key=lambda p: p.played_at))
        possible_gap = gap_ms is not None and new_items >= PAGE_LIMIT and not reached_cursor
        if possible_gap:
            logger.info(
                "Recently played was full of new plays: older plays may be lost", extra={"new_plays": new_items}
            )
        return RecentlyPlayed(plays=plays, cursor_ms=newest_ms, possible_gap=possible_gap)

    def playlist(self, playlist_id: str) -> Playlist:
        body = self._get(_Call(), f"/v1/playlists/{quote(playlist_id, safe='')}", what="GET playlist", playlist=True)
        return parse(parse_playlist, body, "playlist")

    def playlist_items(self, playlist_id: str) -> list[PlaylistTrack]:
        """Every track of the playlist, in playlist order.

        Local files, episodes and unavailable (null) items are skipped: none of
        them can be matched to a play.
        """
        path = f"/v1/playlists/{quote(playlist_id, safe='')}/items"
        tracks: list[PlaylistTrack] = []
        offset = 0
        call = _Call()
        for _ in range(_MAX_PLAYLIST_PAGES):
            body = self._get(
                call, path, params={"limit": PAGE_LIMIT, "offset": offset}, what="GET playlist items", playlist=True
            )
            page, count, has_next = parse(parse_playlist_items_page, body, "playlist items page")
            tracks.extend(page)
            offset += count
            if not has_next or count == 0:
                break
        return tracks

    def library_contains(self, uris: Sequence[str]) -> dict[str, bool]:
        """Whether the user saved (tracks) or follows (artists, playlists) each URI.

        One call of ``GET /v1/me/library/contains`` per 40 URIs (duplicates are
        asked once). A token without the scopes a URI type needs raises
        ``MissingScope``: the library is then not measured, which is not "no".
        """
        unique = list(dict.fromkeys(uris))
        answers: dict[str, bool] = {}
        call = _Call()
        for start in range(0, len(unique), LIBRARY_CONTAINS_LIMIT):
            chunk = unique[start : start + LIBRARY_CONTAINS_LIMIT]
            body = self._get(
                call, "/v1/me/library/contains", params={"uris": ",".join(chunk)}, what="GET library contains"
            )
            flags = parse(partial(parse_library_contains, count=len(chunk)), body, "library contains answer")
            answers.update(zip(chunk, flags, strict=True))
        return answers

    # -- plumbing

    def refresh(self) -> TokenSet:
        self.tokens = self._accounts.refresh(self.tokens)
        self.tokens_refreshed = True
        if self._on_tokens_refreshed is not None:
            self._on_tokens_refreshed(self.tokens)
        return self.tokens

    def _get(
        self, call: _Call, path: str, *, what: str, params: Mapping[str, Any] | None = None, playlist: bool = False
    ) -> Any:
        """One GET of ``call``: a public method makes one ``_Call`` and passes it to every page."""
        if not call.refreshed and self.tokens.refresh_token and self.tokens.expires_within(_EXPIRY_SKEW):
            call.refreshed = True
            self.refresh()
        while True:
            response = self._transport.send(
                "GET",
                f"{self.config.api_url}{path}",
                what=what,
                params=params,
                headers={"Authorization": f"Bearer {self.tokens.access_token}", "Accept": "application/json"},
            )
            # An access token can die before its expires_in (revocation, clock
            # skew): one refresh and one retry per call (all its pages), never a loop.
            if response.status_code == 401 and not call.refreshed and self.tokens.refresh_token:
                response.close()
                call.refreshed = True
                self.refresh()
                continue
            if response.status_code == 200:
                return json_body(response)
            raise api_error(response, playlist=playlist)


def _api_path(url: str, api_url: str) -> str:
    """The path and query of a paging link, to be sent to the configured API URL.

    The bearer token must only ever go to the API we were configured with, not
    to whatever host a response names.
    """
    if url.startswith(api_url + "/"):
        return url[len(api_url) :]
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
