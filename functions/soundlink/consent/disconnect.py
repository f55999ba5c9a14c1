"""A listener's disconnect: once Spotify says who they are, delete everything naming them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from soundlink.consent.consume import Consume
from soundlink.listeners.deletion import delete_listener_data
from soundlink.platform.pages import Link, Page
from soundlink.platform.tables import OAuthStateItem
from soundlink.spotify.models import Profile
from soundlink.tracking import oauth_state


def disconnected(
    state: OAuthStateItem, profile: Profile, now: datetime, api_url: str, *, dynamodb: Any, table: str
) -> dict:
    with Consume(state, now):
        pass  # the state is used up first: the same sign-in cannot be replayed
    deleted = delete_listener_data(dynamodb, table, profile.listener_id)
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
    return page.response(cookies=[oauth_state.clear_cookie()])
