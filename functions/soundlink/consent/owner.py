"""An owner's own Spotify connection (the account that reads their campaigns' playlists)."""

from __future__ import annotations

from datetime import datetime

from soundlink.campaigns import owner_spotify
from soundlink.consent.consume import Consume
from soundlink.platform.pages import redirect
from soundlink.platform.tables import OAuthStateItem
from soundlink.spotify.models import Profile, TokenSet
from soundlink.tokens.cipher import TokenCipher, owner_context
from soundlink.tokens.sealed import seal
from soundlink.tracking.clicks import clean_value


def connected(
    state: OAuthStateItem, tokens: TokenSet, profile: Profile, now: datetime, *, cipher: TokenCipher, dashboard_url: str
) -> dict:
    owner = state.owner_id or ""
    sealed = seal(cipher, tokens, owner_context(owner))
    with Consume(state, now) as writes:
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
    return redirect(f"{dashboard_url}/?spotify=connected", status=303)
