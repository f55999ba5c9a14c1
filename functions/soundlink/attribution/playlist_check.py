"""Reading a campaign's playlist before it is saved: its name, cover and track count, or
a warning that says why Soundlink could not read it and what the owner can do.

The check never refuses a campaign. Spotify answers 404 both for a playlist that does not
exist and for one the reading account may not see (someone's private playlist; Spotify's
own editorial and algorithmic playlists, closed to new apps since Nov 2024), so a 404 is
a warning, not an error. A busy or failing Spotify (429, 5xx) is a warning too: attribution
reads the playlist again at the first poll (attribution/playlists.py).

Read with the owner's own Spotify connection when there is one (it also sees the owner's
private playlists and, since 2026, their items); else with the app's own token (client
credentials: public playlists, no track count).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from soundlink.campaigns import owner_spotify
from soundlink.platform.settings import SettingsError
from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import (
    NotAllowListed,
    PlaylistNotFound,
    PlaylistNotReadable,
    RateLimited,
    SpotifyError,
    SpotifyUnavailable,
    TokenRevoked,
)
from soundlink.tokens.cipher import TokenCipher, owner_context
from soundlink.tokens.sealed import seal, unseal

# An owner waits for the answer: the check gives up (and says so) rather than hold the form.
DEADLINE_SECONDS = 5.0

CONNECT = "connect the Spotify account that owns it (Account → Connect Spotify) and Soundlink will read it with that"
NOT_SHOWN = (
    "Spotify did not show this playlist to {reader}. It may not exist (check the link), it may be private, "
    "or it may be one of Spotify's own editorial playlists, which Spotify no longer shows to apps. "
    "The campaign is saved: clicks and consents count, but plays count only when listeners play from the "
    "playlist itself until Soundlink can read its tracks. If it is yours, " + CONNECT + "."
)
NO_ITEMS = (
    "Spotify shows this playlist to {reader} but not its tracks (since 2026 only a playlist's owner or "
    "collaborators may read them). Plays count only when listeners play from the playlist itself; "
    "if it is yours, " + CONNECT + "."
)
EXPIRED = (
    "Your Spotify connection has expired or was removed, so Soundlink could not read the playlist: "
    "connect Spotify again (Account → Connect Spotify)."
)
NOT_ALLOWED = (
    "Spotify refused to read the playlist with your account: this Spotify app is in Development Mode and "
    "your Spotify account is not on its allow-list. Ask the operator to add it in Spotify's developer dashboard."
)
RETRY = (
    "Spotify did not answer the playlist check just now ({why}). The campaign is saved; Soundlink reads the "
    "playlist again when it first polls a listener."
)
NOT_CONFIGURED = "Soundlink has no Spotify app configured, so it could not read the playlist."


@dataclass(frozen=True)
class PlaylistCheck:
    id: str
    readable: bool
    name: str | None = None
    image_url: str | None = None
    track_count: int | None = None
    warning: str | None = None
    # The warning comes from Spotify failing for now (429, 5xx): the first poll tries again.
    retry: bool = False
    read_with: str = "app"  # "owner": the owner's connection; "app": the app's own token


class PlaylistChecker:
    def __init__(
        self,
        *,
        cipher: Callable[[], TokenCipher],
        spotify_config: Callable[[], SpotifyConfig],
        deadline_seconds: float = DEADLINE_SECONDS,
    ) -> None:
        self._cipher = cipher
        self._config = spotify_config
        self._deadline_seconds = deadline_seconds

    def check(self, playlist_id: str, owner_id: str) -> PlaylistCheck:
        give_up_at = time.monotonic() + self._deadline_seconds

        def remaining_ms() -> int:
            return max(0, int((give_up_at - time.monotonic()) * 1000))

        connection = owner_spotify.get(owner_id)
        reader = "your Spotify account" if connection else "Soundlink (you have not connected Spotify)"
        try:
            config = self._config()
            if connection is not None:
                context = owner_context(owner_id)
                client = SpotifyClient(
                    config,
                    unseal(self._cipher(), connection.tokens, context),
                    on_tokens_refreshed=lambda tokens: connection.update(
                        actions=[type(connection).tokens.set(seal(self._cipher(), tokens, context))]
                    ),
                    remaining_ms=remaining_ms,
                )
            else:
                accounts = SpotifyAccounts(config, remaining_ms=remaining_ms)
                client = SpotifyClient(config, accounts.app_token(), remaining_ms=remaining_ms)
            playlist = client.playlist(playlist_id)
        except SettingsError:
            return PlaylistCheck(playlist_id, readable=False, warning=NOT_CONFIGURED, retry=True)
        except (PlaylistNotFound, PlaylistNotReadable):
            return PlaylistCheck(playlist_id, readable=False, warning=NOT_SHOWN.format(reader=reader))
        except TokenRevoked:
            return PlaylistCheck(playlist_id, readable=False, warning=EXPIRED)
        except NotAllowListed:
            return PlaylistCheck(playlist_id, readable=False, warning=NOT_ALLOWED)
        except (RateLimited, SpotifyUnavailable) as error:
            why = "it asked Soundlink to slow down" if isinstance(error, RateLimited) else "it is unavailable"
            return PlaylistCheck(playlist_id, readable=False, warning=RETRY.format(why=why), retry=True)
        except SpotifyError as error:
            why = f"it answered {error.status}" if error.status else "no answer"
            return PlaylistCheck(playlist_id, readable=False, warning=RETRY.format(why=why), retry=True)
        # Without the track count (items), the reader is not the owner or a collaborator: attribution
        # by the playlist's tracks needs the owner's connection.
        warning = None
        if playlist.track_count is None:
            warning = NO_ITEMS.format(reader=reader)
        return PlaylistCheck(
            playlist_id,
            readable=True,
            name=playlist.name[:200] or None,
            image_url=playlist.image_url,
            track_count=playlist.track_count,
            warning=warning,
            read_with="owner" if connection else "app",
        )
