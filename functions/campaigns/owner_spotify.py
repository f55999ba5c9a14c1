"""The owner's own Spotify connection: POST /owner/spotify/connect, GET and DELETE /owner/spotify."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from soundlink.campaigns import owner_spotify
from soundlink.platform.errors import AppError
from soundlink.platform.http import api_url, owner_id
from soundlink.platform.observability import logger
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.tracking import oauth_state

router = APIGatewayHttpRouter()


@lru_cache(maxsize=1)
def _bound() -> None:
    """Bind the models to the deployed tables once per container (before any route reads)."""
    bind_tables(get_settings())


class SpotifyNotConfigured(AppError):
    status = 503
    code = "spotify_not_configured"


class ConnectStarted(BaseModel):
    authorize_url: str = Field(description="Open this in the owner's browser; Spotify sends them back to the dashboard")
    expires_at: datetime = Field(description="The link works until then (a few minutes)")


class SpotifyConnection(BaseModel):
    connected: bool
    display_name: str | None = None
    spotify_user_id: str | None = None
    scopes: list[str] = Field(default_factory=list)
    connected_at: datetime | None = None


@router.post("/owner/spotify/connect", summary="Start connecting your Spotify account (to read your playlists)")
def connect() -> ConnectStarted:
    _bound()
    settings = get_settings()
    owner = owner_id(router)
    try:
        started = oauth_state.start(
            oauth_state.Purpose.OWNER,
            now=oauth_state.utcnow(),
            settings=settings,
            api_url=api_url(router, settings),
            # The dashboard calls this with fetch from its own origin: no cookie can bind the
            # state to the browser, so the owner always sees Spotify's dialog and confirms.
            bind_cookie=False,
            owner_id=owner,
            show_dialog=True,
        )
    except ValueError as error:
        raise SpotifyNotConfigured(f"this installation cannot connect to Spotify yet: {error}") from None
    logger.info("owner Spotify connection started")
    return ConnectStarted(authorize_url=started.authorize_url, expires_at=started.expires_at)


@router.get("/owner/spotify", summary="Your Spotify connection")
def connection() -> SpotifyConnection:
    _bound()
    item = owner_spotify.get(owner_id(router))
    if item is None:
        return SpotifyConnection(connected=False)
    return SpotifyConnection(
        connected=True,
        display_name=item.display_name,
        spotify_user_id=item.spotify_user_id,
        scopes=sorted(item.scopes.split()),
        connected_at=item.connected_at,
    )


@router.delete("/owner/spotify", summary="Disconnect your Spotify account (its tokens are deleted)")
def disconnect() -> SpotifyConnection:
    _bound()
    removed = owner_spotify.delete(owner_id(router))
    logger.info("owner Spotify connection removed", extra={"was_connected": removed})
    return SpotifyConnection(connected=False)
