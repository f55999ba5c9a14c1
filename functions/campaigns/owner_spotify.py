"""The owner's own Spotify connection: POST /owner/spotify/connect, GET and DELETE /owner/spotify."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from soundlink.campaigns import owner_spotify
from soundlink.platform.errors import AppError
from soundlink.platform.http import api_url, owner_id
from soundlink.platform.observability import logger
from soundlink.platform.schema import Schema
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


class ConnectStarted(Schema):
    connect_url: str = Field(
        description="A one-time link: open it in the owner's browser (it binds the connection to that browser, "
        "then goes to Spotify, which sends the owner back to the dashboard)"
    )
    expires_at: datetime = Field(description="The link works once, until then (a few minutes)")


class ConnectionEnded(Schema):
    at: datetime
    reason: str = Field(description="listener_disconnect: the Spotify account's holder disconnected it on /privacy")


class SpotifyConnection(Schema):
    connected: bool
    display_name: str | None = None
    spotify_user_id: str | None = None
    scopes: list[str] = Field(default_factory=list)
    connected_at: datetime | None = None
    ended: ConnectionEnded | None = Field(default=None, description="Why the last connection ended, if not by you")


@router.post("/owner/spotify/connect", summary="Start connecting your Spotify account (to read your playlists)")
def connect() -> ConnectStarted:
    _bound()
    settings = get_settings()
    if not settings.spotify_client_id:
        raise SpotifyNotConfigured("this installation cannot connect to Spotify yet: SpotifyClientId is not set")
    # The dashboard calls this with fetch from its own origin, where no cookie of the API can be
    # set: it gets a one-time ticket, and the browser that opens it is the one bound to the state.
    ticket, expires_at = owner_spotify.new_ticket(owner_id(router), oauth_state.utcnow())
    logger.info("owner Spotify connection started")
    return ConnectStarted(
        connect_url=f"{api_url(router, settings)}/owner/spotify/start?ticket={ticket}", expires_at=expires_at
    )


@router.get("/owner/spotify", summary="Your Spotify connection")
def connection() -> SpotifyConnection:
    _bound()
    owner = owner_id(router)
    item = owner_spotify.get(owner)
    if item is None:
        ended = owner_spotify.ended(owner)
        return SpotifyConnection(
            connected=False, ended=ConnectionEnded(at=ended.ended_at, reason=ended.reason) if ended else None
        )
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
