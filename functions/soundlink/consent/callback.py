"""GET /oauth/callback: finish what a stored state started (listener consent,
owner connection, listener disconnect: one module each), or say plainly why it cannot.

Order matters: the state is read and checked (exists, unexpired, this
browser's cookie, not claimed) before anything else; then claimed for its
one code exchange; Spotify is asked next (code exchange, /v1/me), and a
failed exchange deletes the state; the tokens are sealed; and only then one DynamoDB
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

from soundlink.consent import disconnect, listener, owner
from soundlink.consent.answers import Answers
from soundlink.consent.consume import Consume
from soundlink.platform.counters import add_counts
from soundlink.platform.i18n import for_request
from soundlink.platform.pages import redirect
from soundlink.platform.settings import Settings
from soundlink.platform.tables import DeclineItem, OAuthStateItem
from soundlink.platform.transactions import failed_conditions
from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.errors import InvalidAuthorizationCode, NotAllowListed, SpotifyError
from soundlink.spotify.models import TokenSet
from soundlink.tokens.cipher import TokenCipher, TokenDecryptionError
from soundlink.tracking import oauth_state
from soundlink.tracking.oauth_state import Purpose, StateRefused

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
        queue_job: Callable[[dict[str, Any]], None] = lambda body: None,
        now: Callable[[], datetime] = oauth_state.utcnow,
    ) -> None:
        self._settings = settings
        self._accounts = accounts
        self._client = client
        self._cipher = cipher
        self._dynamodb = dynamodb
        self._queue_poll = queue_poll
        self._queue_job = queue_job
        self._now = now

    # ------------------------------------------------------------------ entry

    def handle(self, request: CallbackRequest) -> tuple[dict, Outcome]:
        now = self._now()
        language, translations = for_request(request.headers)
        answer = Answers(request.api_url, self._settings.dashboard_url, language, translations)
        query = {k: v[:MAX_PARAMETER] for k, v in request.query.items() if k in ("state", "code", "error")}
        try:
            state = oauth_state.load(query.get("state"), oauth_state.cookie_from(request.cookies), now)
        except StateRefused as refused:
            return answer.refused(refused), Outcome(refused.item.purpose if refused.item else None, refused.reason)
        purpose = Purpose(state.purpose)
        error, code = query.get("error"), query.get("code")
        if error or not code:
            return self._declined(state, purpose, error or "no_code", now, request, answer)
        try:
            oauth_state.claim(state, now)
        except StateRefused as refused:
            return answer.refused(refused), Outcome(purpose, refused.reason)
        except (PynamoDBException, BotoCoreError, ClientError):
            return answer.problem(state, 503, answer.gettext("Soundlink could not save your connection just now.")), (
                Outcome(purpose, "storage_unavailable")
            )
        try:
            tokens = self._accounts().exchange_code(code, state.redirect_uri, state.code_verifier)
            profile = self._client(tokens).me()
        except (InvalidAuthorizationCode, NotAllowListed, SpotifyError) as error:
            _forget(state)
            if isinstance(error, InvalidAuthorizationCode):
                what = answer.gettext("That Spotify sign-in was already used or has expired.")
                return answer.problem(state, 400, what), Outcome(purpose, "code_refused")
            if isinstance(error, NotAllowListed):
                return answer.not_allowlisted(state), Outcome(purpose, "not_allowlisted")
            what = answer.gettext("Spotify did not answer just now.")
            return answer.problem(state, 503, what), Outcome(purpose, "spotify_unavailable")
        try:
            if purpose is Purpose.LISTEN:
                page = listener.connected(
                    state,
                    tokens,
                    profile,
                    now,
                    request,
                    cipher=self._cipher(),
                    queue_poll=self._queue_poll,
                    queue_job=self._queue_job,
                )
                return page, Outcome(purpose, "connected")
            if purpose is Purpose.OWNER:
                page = owner.connected(
                    state, tokens, profile, now, cipher=self._cipher(), dashboard_url=self._settings.dashboard_url
                )
                return page, Outcome(purpose, "connected")
            page = disconnect.disconnected(
                state, profile, now, answer, dynamodb=self._dynamodb(), table=self._settings.data_table
            )
            return page, Outcome(purpose, "disconnected")
        except StateRefused as refused:  # used by a concurrent callback between read and write
            return answer.refused(refused), Outcome(purpose, refused.reason)
        except (TokenDecryptionError, PynamoDBException, BotoCoreError, ClientError, RuntimeError):
            what = (
                answer.gettext(
                    "Soundlink could not finish deleting your data just now (what was deleted stays deleted)."
                )
                if purpose is Purpose.DISCONNECT
                else answer.gettext("Soundlink could not save your connection just now.")
            )
            return answer.problem(state, 503, what), Outcome(purpose, "storage_unavailable")

    def _declined(
        self,
        state: OAuthStateItem,
        purpose: Purpose,
        error: str,
        now: datetime,
        request: CallbackRequest,
        answer: Answers,
    ) -> tuple[dict, Outcome]:
        if error != "access_denied":
            # Any other error (or no code) is Spotify refusing the request itself: nothing to count,
            # and the state is of no further use.
            _forget(state)
            what = answer.gettext("Spotify could not complete the sign-in.")
            return answer.problem(state, 400, what), Outcome(purpose, "error")
        try:
            _consume_decline(state, purpose, now)
        except StateRefused as refused:
            return answer.refused(refused), Outcome(purpose, refused.reason)
        except (PynamoDBException, BotoCoreError, ClientError):
            pass  # not counted, but the listener still goes where they wanted to go
        cookies = [oauth_state.clear_cookie()]
        if purpose is Purpose.LISTEN:
            return redirect(state.destination_url or "https://open.spotify.com/", status=303, cookies=cookies), Outcome(
                purpose, "declined"
            )
        if purpose is Purpose.OWNER:
            return redirect(f"{self._settings.dashboard_url}/?spotify=declined", status=303), Outcome(
                purpose, "declined"
            )
        _ = answer.gettext
        nothing = _("You cancelled at Spotify, so Soundlink deleted nothing.")
        page = answer.page(200, _("Nothing was deleted"), (nothing,))
        return page.response(cookies=cookies), Outcome(purpose, "declined")


def _consume_decline(state: OAuthStateItem, purpose: Purpose, now: datetime) -> None:
    """Use the state up; count a listener's decline once per visitor, campaign and day."""
    click = dict(state.click.as_dict()) if state.click else {}
    visitor = click.get("visitor")
    count = purpose is Purpose.LISTEN
    for _attempt in range(2):
        try:
            with Consume(state, now) as writes:
                if count:
                    if visitor:
                        marker = DeclineItem(
                            *DeclineItem.key(state.campaign_id or "", now.strftime("%Y-%m-%d"), visitor),
                            expires_at=int((now + timedelta(days=2)).timestamp()),
                        )
                        writes.save(marker, condition=DeclineItem.pk.does_not_exist())
                    dims = listener.click_dimensions(click)
                    add_counts(
                        writes, state.campaign_id or "", now, {"declined": 1}, event_id=state.pk, dimensions=dims
                    )
            return
        except TransactWriteError as error:
            if count and 1 in failed_conditions(error):
                count = False  # declined already today: the state is used up, nothing counted again
                continue
            raise


def _forget(state: OAuthStateItem) -> None:
    """Delete a state that can no longer finish (its exchange failed or Spotify refused the request)."""
    with contextlib.suppress(PynamoDBException, BotoCoreError, ClientError):
        state.delete()
