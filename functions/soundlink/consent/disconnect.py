"""A listener's disconnect: once Spotify says who they are, delete everything naming them,
including an owner's Spotify connection made with the same account (its owner is told)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from soundlink.campaigns import owner_spotify
from soundlink.consent.consume import Consume
from soundlink.listeners.deletion import delete_listener_data
from soundlink.platform.pages import Link
from soundlink.platform.tables import OAuthStateItem
from soundlink.spotify.models import Profile
from soundlink.tracking import oauth_state

if TYPE_CHECKING:
    from soundlink.consent.answers import Answers


def disconnected(
    state: OAuthStateItem, profile: Profile, now: datetime, answer: Answers, *, dynamodb: Any, table: str
) -> dict:
    _ = answer.gettext
    with Consume(state, now):
        pass  # the state is used up first: the same sign-in cannot be replayed
    owners = owner_spotify.owners_of(profile.listener_id)
    deleted = delete_listener_data(dynamodb, table, profile.listener_id)
    for owner in owners:  # after the deletion: their dashboard says the account's holder ended it
        owner_spotify.mark_ended(owner, now)
    if not deleted:
        page = answer.page(
            200,
            _("Soundlink holds nothing about you"),
            (_("Soundlink has no data for this Spotify account: nothing to delete, and nothing will be collected."),),
            (Link(f"{answer.api_url}/privacy", _("How Soundlink handles data")),),
        )
        return page.response(cookies=[oauth_state.clear_cookie()])
    paragraphs = [
        _(
            "Soundlink deleted your Spotify tokens, your profile, the plays it had stored, "
            "their attributions and your campaign links, and stopped reading your listening."
        )
    ]
    if owners:
        paragraphs.append(
            _(
                "This Spotify account was also connected to a campaign owner's Soundlink account: that "
                "connection and its tokens are deleted too, and its owner is told that you ended it."
            )
        )
    paragraphs += [
        _("Campaign totals that counted you stay: they hold no personal data."),
        _("You can also remove Soundlink from your Spotify account's Apps page."),
    ]
    page = answer.page(
        200,
        _("You are disconnected"),
        tuple(paragraphs),
        (Link("https://www.spotify.com/account/apps/", _("Spotify: manage apps")),),
    )
    return page.response(cookies=[oauth_state.clear_cookie()])
