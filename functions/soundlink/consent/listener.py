"""A listener's consent: seal their tokens, link them to the campaign they clicked, count it,
and queue their first poll (and, for a campaign measuring fans, the baseline check).

A listener has one Spotify grant for polls, whichever campaign's consent gave it. The
tracker does not know who clicks, so it asks for the clicked campaign's scopes only; a
later consent for a campaign without fans would then replace a grant holding the library
scopes with one without. So the earlier grant is kept beside the new one, for fans checks
only (``library_tokens``): joining a campaign never drops what an earlier fans campaign
was granted. A listener who never granted them is "not measured" for fans campaigns."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from soundlink.attribution import fans
from soundlink.attribution.fans_jobs import FansJob
from soundlink.consent.consume import Consume
from soundlink.listeners import followed, links
from soundlink.platform.counters import add_counts
from soundlink.platform.observability import logger
from soundlink.platform.pages import redirect
from soundlink.platform.tables import CampaignItem, ListenerItem, ListenerLinkItem, OAuthStateItem
from soundlink.spotify.models import Profile, TokenSet
from soundlink.tokens.cipher import TokenCipher, listener_context
from soundlink.tokens.sealed import seal
from soundlink.tracking import oauth_state
from soundlink.tracking.clicks import clean_value
from soundlink.tracking.recording import dimensions

if TYPE_CHECKING:
    from soundlink.consent.callback import CallbackRequest


def connected(
    state: OAuthStateItem,
    tokens: TokenSet,
    profile: Profile,
    now: datetime,
    request: CallbackRequest,
    *,
    cipher: TokenCipher,
    queue_poll: Callable[[str], None],
    queue_job: Callable[[dict[str, Any]], None] = lambda body: None,
) -> dict:
    account = profile.listener_id
    sealed = seal(cipher, tokens, listener_context(account))
    click = dict(state.click.as_dict()) if state.click else {}
    clicked_at = datetime.fromisoformat(click["clicked_at"]) if click.get("clicked_at") else state.created_at
    dims = click_dimensions(click)
    try:
        campaign = CampaignItem.get(*CampaignItem.key(state.campaign_id or ""))
    except CampaignItem.DoesNotExist:
        # Deleted with its owner's account while the listener was at Spotify: the state is
        # used up, nothing is stored or counted, the tokens are dropped; the music is still there.
        with Consume(state, now):
            pass
        return redirect(
            state.destination_url or "https://open.spotify.com/", status=303, cookies=[oauth_state.clear_cookie()]
        )
    window_ends_at = clicked_at + timedelta(days=int(campaign.attribution_window_days))
    if campaign.ends_at and campaign.ends_at < window_ends_at:
        window_ends_at = campaign.ends_at
    with Consume(state, now) as writes:
        links.connect(
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
            library_grant=earlier_library_grant(account, tokens),
        )
        add_counts(writes, state.campaign_id or "", now, {"authorizations": 1}, event_id=state.pk, dimensions=dims)
    # The app-wide count of followed accounts (Development Mode's ceiling): after the consent, once
    # per account; a failure leaves the count one short and is logged, the consent stands.
    try:
        followed.count(account, now)
    except (PynamoDBException, BotoCoreError, ClientError):
        logger.warning("the followed listeners count was not updated", exc_info=True)
    with contextlib.suppress(PynamoDBException):  # else the next poll counts the state
        link = ListenerLinkItem.get(*ListenerLinkItem.key(account, state.campaign_id or ""), consistent_read=True)
        links.move_link_state(link, links.ListenerStatus.ACTIVE.value)
    # The first poll (the listener's baseline) at once; if SQS fails, the schedule
    # finds the listener due anyway (next_poll_at is now).
    with contextlib.suppress(BotoCoreError, ClientError):
        queue_poll(account)
    if campaign.measure_fans:
        queue_baseline(account, state.campaign_id or "", now, queue_job)
    return redirect(
        state.destination_url or "https://open.spotify.com/", status=303, cookies=[oauth_state.clear_cookie()]
    )


def queue_baseline(account: str, campaign_id: str, now: datetime, queue_job: Callable[[dict[str, Any]], None]) -> bool:
    """Queue the fans baseline (it needs the listener's token and Spotify: poll_user runs it).
    If SQS fails after boto3's retries, the listener is counted "not measured", never zero."""
    try:
        queue_job(FansJob(account, campaign_id, "baseline").message())
    except (BotoCoreError, ClientError):
        with contextlib.suppress(PynamoDBException):
            fans.record_baseline(account, campaign_id, None, now)
        return False
    return True


def earlier_library_grant(account: str, tokens: TokenSet) -> tuple[str, str] | None:
    """The earlier grant with the library scopes to keep, when this one lacks them."""
    if oauth_state.grants_library(tokens.scope):
        return None
    try:
        stored = ListenerItem.get(*ListenerItem.key(account), consistent_read=True)
    except ListenerItem.DoesNotExist:
        return None
    if oauth_state.grants_library(stored.scopes):
        return stored.tokens, stored.scopes
    if stored.library_tokens and oauth_state.grants_library(stored.library_scopes):
        return stored.library_tokens, stored.library_scopes or ""
    return None


def click_dimensions(click: dict[str, Any]) -> dict[str, str]:
    """The consent's breakdown values: the click's (referrer, UTM, device, country), carried by
    the state, so a consent, its listener and their streams fall in the click's breakdowns."""
    return dimensions(
        click.get("referrer") or "",
        click,
        click.get("user_agent") or "",
        click.get("country"),
        click.get("network"),
    )
