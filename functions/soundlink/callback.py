"""GET /oauth/callback: finish what a stored state started (listener consent,
owner connection, listener disconnect), or say plainly why it cannot.

Order matters: the state is read and checked (exists, unexpired, this
browser's cookie) before anything else; Spotify is asked next (code
exchange, /v1/me); the tokens are sealed; and only then one DynamoDB
transaction deletes the state (on condition it is still there, so a state
is used once) and stores the result with its counters. A failure anywhere
before that transaction writes nothing: no half-written listener.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from soundlink import listeners, owner_spotify
from soundlink.counters import add_counts
from soundlink.models import CampaignItem, ListenerLinkItem, OAuthStateItem
from soundlink.pages import Link, Page, redirect
from soundlink.sealed_tokens import seal
from soundlink.settings import Settings
from soundlink.spotify import (
    InvalidAuthorizationCode,
    NotAllowListed,
    Profile,
    SpotifyAccounts,
    SpotifyClient,
    SpotifyError,
    TokenSet,
)
from soundlink.token_cipher import TokenCipher, TokenDecryptionError, listener_context, owner_context
from soundlink.tracking import consent
from soundlink.tracking.clicks import anonymised_network, clean_value, viewer_country
from soundlink.tracking.consent import Purpose, StateRefused
from soundlink.tracking.recording import dimensions
from soundlink.transactions import failed_conditions, transaction

MAX_PARAMETER = 2048  # longest code/state/error value read from the query


@dataclass(frozen=True)
class CallbackRequest:
    query: dict[str, str]
    cookies: list[str]
    user_agent: str
    source_ip: str
    headers: dict[str, str]
    api_url: str  # public base URL of this API, for links back


@dataclass(frozen=True)
class Outcome:
    """What happened, for logs and metrics (never tokens or codes)."""

    purpose: str | None
    result: str


class ConsentCallback:
    def __init__(
        self,
        settings: Settings,
        *,
        accounts: Callable[[], SpotifyAccounts],
        client: Callable[[TokenSet], SpotifyClient],
        cipher: Callable[[], TokenCipher],
        dynamodb: Callable[[], Any],
        queue_poll: Callable[[str], None] = lambda account_id: None,
        now: Callable[[], datetime] = consent.utcnow,
    ) -> None:
        self._settings = settings
        self._accounts = accounts
        self._client = client
        self._cipher = cipher
        self._dynamodb = dynamodb
        self._queue_poll = queue_poll
        self._now = now

    # ------------------------------------------------------------------ entry

    def handle(self, request: CallbackRequest) -> tuple[dict, Outcome]:
        now = self._now()
        query = {k: v[:MAX_PARAMETER] for k, v in request.query.items() if k in ("state", "code", "error")}
        try:
            state = consent.load(query.get("state"), consent.cookie_from(request.cookies), now)
        except StateRefused as refused:
            return self._refused(refused, request.api_url), Outcome(
                refused.item.purpose if refused.item else None, refused.reason
            )
        purpose = Purpose(state.purpose)
        error, code = query.get("error"), query.get("code")
        if error or not code:
            return self._declined(state, purpose, error or "no_code", now, request)
        try:
            tokens = self._accounts().exchange_code(code, state.redirect_uri, state.code_verifier)
            profile = self._client(tokens).me()
        except InvalidAuthorizationCode:
            return self._problem(
                state, 400, "That Spotify sign-in was already used or has expired.", request.api_url
            ), Outcome(purpose, "code_refused")
        except NotAllowListed:
            return self._not_allowlisted(state, request.api_url), Outcome(purpose, "not_allowlisted")
        except SpotifyError:
            return self._problem(state, 503, "Spotify did not answer just now.", request.api_url), Outcome(
                purpose, "spotify_unavailable"
            )
        try:
            if purpose is Purpose.LISTEN:
                return self._listener_connected(state, tokens, profile, now, request), Outcome(purpose, "connected")
            if purpose is Purpose.OWNER:
                return self._owner_connected(state, tokens, profile, now), Outcome(purpose, "connected")
            return self._disconnected(state, profile, now, request.api_url), Outcome(purpose, "disconnected")
        except StateRefused as refused:  # used by a concurrent callback between read and write
            return self._refused(refused, request.api_url), Outcome(purpose, refused.reason)
        except (TokenDecryptionError, PynamoDBException, BotoCoreError, ClientError, RuntimeError):
            what = (
                "Soundlink could not finish deleting your data just now (what was deleted stays deleted)."
                if purpose is Purpose.DISCONNECT
                else "Soundlink could not save your connection just now."
            )
            return self._problem(state, 503, what, request.api_url), Outcome(purpose, "storage_unavailable")

    # ------------------------------------------------------------- purposes

    def _listener_connected(
        self, state: OAuthStateItem, tokens: TokenSet, profile: Profile, now: datetime, request: CallbackRequest
    ) -> dict:
        account = profile.listener_id
        sealed = seal(self._cipher(), tokens, listener_context(account))
        click = dict(state.click.as_dict()) if state.click else {}
        clicked_at = datetime.fromisoformat(click["clicked_at"]) if click.get("clicked_at") else state.created_at
        dims = self._dimensions(click, request)
        campaign = CampaignItem.get(*CampaignItem.key(state.campaign_id or ""))
        window_ends_at = clicked_at + timedelta(days=int(campaign.attribution_window_days))
        if campaign.ends_at and campaign.ends_at < window_ends_at:
            window_ends_at = campaign.ends_at
        with self._consuming(state, now) as writes:
            listeners.connect(
                writes,
                account_id=account,
                spotify_user_id=profile.id,
                display_name=clean_value(profile.display_name, 200),
                sealed_tokens=sealed,
                scopes=tokens.scope,
                now=now,
                campaign_id=state.campaign_id or "",
                owner_id=state.owner_id or "",
                clicked_at=clicked_at,
                window_ends_at=window_ends_at,
                click=dims,
            )
            add_counts(writes, state.campaign_id or "", now, {"authorizations": 1}, event_id=state.pk, dimensions=dims)
        with contextlib.suppress(PynamoDBException):  # else the next poll counts the state
            link = ListenerLinkItem.get(*ListenerLinkItem.key(account, state.campaign_id or ""), consistent_read=True)
            listeners.move_link_state(link, listeners.ListenerStatus.ACTIVE.value)
        # The first poll (the listener's baseline) at once; if SQS fails, the schedule
        # finds the listener due anyway (next_poll_at is now).
        with contextlib.suppress(BotoCoreError, ClientError):
            self._queue_poll(account)
        return redirect(
            state.destination_url or "https://open.spotify.com/", status=303, cookies=[consent.clear_cookie()]
        )

    def _owner_connected(self, state: OAuthStateItem, tokens: TokenSet, profile: Profile, now: datetime) -> dict:
        owner = state.owner_id or ""
        sealed = seal(self._cipher(), tokens, owner_context(owner))
        with self._consuming(state, now) as writes:
            owner_spotify.put(
                writes,
                owner_id=owner,
                spotify_user_id=profile.id,
                account_id=profile.listener_id,
                display_name=clean_value(profile.display_name, 200),
                scopes=tokens.scope,
                sealed_tokens=sealed,
                now=now,
            )
        return redirect(f"{self._settings.dashboard_url}/?spotify=connected", status=303)

    def _disconnected(self, state: OAuthStateItem, profile: Profile, now: datetime, api_url: str) -> dict:
        with self._consuming(state, now):
            pass  # the state is used up first: the same sign-in cannot be replayed
        deleted = listeners.delete_listener_data(self._dynamodb(), self._settings.data_table, profile.listener_id)
        if not deleted:
            page = Page(
                200,
                "Soundlink holds nothing about you",
                ("Soundlink has no data for this Spotify account: nothing to delete, and nothing will be collected.",),
                (Link(f"{api_url}/privacy", "How Soundlink handles data"),),
            )
        else:
            page = Page(
                200,
                "You are disconnected",
                (
                    "Soundlink deleted your Spotify tokens, your profile, the plays it had stored, "
                    "their attributions and your campaign links, and stopped reading your listening.",
                    "Campaign totals that counted you stay: they hold no personal data.",
                    "You can also remove Soundlink from your Spotify account's Apps page.",
                ),
                (Link("https://www.spotify.com/account/apps/", "Spotify: manage apps"),),
            )
        return page.response(cookies=[consent.clear_cookie()])

    def _declined(
        self, state: OAuthStateItem, purpose: Purpose, error: str, now: datetime, request: CallbackRequest
    ) -> tuple[dict, Outcome]:
        if error != "access_denied":
            # Any other error (or no code) is Spotify refusing the request itself: nothing to count.
            return self._problem(state, 400, "Spotify could not complete the sign-in.", request.api_url), Outcome(
                purpose, "error"
            )
        try:
            with self._consuming(state, now) as writes:
                if purpose is Purpose.LISTEN:
                    dims = self._dimensions(dict(state.click.as_dict()) if state.click else {}, request)
                    add_counts(
                        writes, state.campaign_id or "", now, {"declined": 1}, event_id=state.pk, dimensions=dims
                    )
        except StateRefused as refused:
            return self._refused(refused, request.api_url), Outcome(purpose, refused.reason)
        except (PynamoDBException, BotoCoreError, ClientError):
            pass  # not counted, but the listener still goes where they wanted to go
        cookies = [consent.clear_cookie()]
        if purpose is Purpose.LISTEN:
            return redirect(state.destination_url or "https://open.spotify.com/", status=303, cookies=cookies), Outcome(
                purpose, "declined"
            )
        if purpose is Purpose.OWNER:
            return redirect(f"{self._settings.dashboard_url}/?spotify=declined", status=303), Outcome(
                purpose, "declined"
            )
        page = Page(200, "Nothing was deleted", ("You cancelled at Spotify, so Soundlink deleted nothing.",))
        return page.response(cookies=cookies), Outcome(purpose, "declined")

    # -------------------------------------------------------------- helpers

    def _consuming(self, state: OAuthStateItem, now: datetime) -> _Consume:
        return _Consume(state, now)

    @staticmethod
    def _dimensions(click: dict[str, Any], request: CallbackRequest) -> dict[str, str]:
        """The consent's breakdown values: where the click came from, and the device it finished on."""
        return dimensions(
            click.get("referrer") or "",
            click,
            request.user_agent,
            viewer_country(request.headers),
            anonymised_network(request.source_ip),
        )

    def _retry_link(self, state: OAuthStateItem | None, api_url: str) -> Link:
        if state is not None and state.purpose == Purpose.OWNER.value:
            return Link(f"{self._settings.dashboard_url}/", "Back to the dashboard", button=True)
        if state is not None and state.purpose == Purpose.DISCONNECT.value:
            return Link(f"{api_url}/privacy/disconnect", "Try again", button=True)
        if state is not None and state.slug:
            return Link(f"{api_url}/c/{state.slug}", "Try again", button=True)
        return Link(f"{api_url}/privacy", "About Soundlink")

    def _refused(self, refused: StateRefused, api_url: str) -> dict:
        reasons = {
            "expired": "This sign-in took too long and has expired.",
            "cookie_mismatch": "This sign-in was started in another browser or tab.",
        }
        page = Page(
            400,
            "This link cannot be used",
            (
                reasons.get(refused.reason, "This sign-in link is not valid or was already used."),
                "Nothing was saved. Open the campaign link again to start over.",
            ),
            (self._retry_link(refused.item, api_url),),
        )
        return page.response()

    def _problem(self, state: OAuthStateItem, status: int, what: str, api_url: str) -> dict:
        return Page(
            status,
            "Something went wrong",
            (what, "Nothing was saved. Please try again."),
            (self._retry_link(state, api_url),),
        ).response()

    def _not_allowlisted(self, state: OAuthStateItem, api_url: str) -> dict:
        return Page(
            403,
            "Spotify has not allowed this account yet",
            (
                "This Soundlink installation is in Spotify's Development Mode, which lets only accounts "
                "the operator added to its allow-list connect. Nothing was saved.",
                "Ask the person who shared the link to add your Spotify account, then try again.",
            ),
            (self._retry_link(state, api_url),),
        ).response()


class _Consume:
    """`with` block: one transaction that deletes the state (if still usable) plus the writes added."""

    def __init__(self, state: OAuthStateItem, now: datetime) -> None:
        self._state = state
        self._now = now
        self._writes = transaction()

    def __enter__(self) -> Any:
        self._writes.__enter__()
        self._writes.delete(self._state, condition=consent.consume_condition(self._now))
        return self._writes

    def __exit__(self, *exc: Any) -> None:
        try:
            self._writes.__exit__(*exc)
        except TransactWriteError as error:
            if 0 in failed_conditions(error):
                raise StateRefused("unknown_or_used", self._state) from error
            raise
