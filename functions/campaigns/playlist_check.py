"""POST /campaigns/playlist-check: read a playlist as the campaign form is filled in (its name,
cover and track count, or a warning); POST /campaigns runs the same check before it saves.

Spotify, KMS and the HTTP client are imported on the first check, not at the owner API's cold start.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ConfigDict, Field, field_validator

from soundlink.campaigns.playlist_ref import parse_playlist
from soundlink.campaigns.service import PlaylistSeen
from soundlink.platform.errors import BadRequest
from soundlink.platform.http import owner_id, responses
from soundlink.platform.observability import logger
from soundlink.platform.schema import Schema
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables

if TYPE_CHECKING:
    from soundlink.attribution.playlist_check import PlaylistCheck, PlaylistChecker

router = APIGatewayHttpRouter()

UNEXPECTED = (
    "Soundlink could not check the playlist just now. The campaign is saved; Soundlink reads the playlist "
    "again when it first polls a listener."
)


class PlaylistCheckIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    playlist: str = Field(max_length=500, description="Spotify playlist link, spotify:playlist: URI or id")

    @field_validator("playlist")
    @classmethod
    def _parse(cls, value: str) -> str:
        try:
            return parse_playlist(value).id
        except BadRequest as error:
            raise ValueError(error.message) from None


class PlaylistCheckOut(Schema):
    id: str
    readable: bool = Field(description="Spotify showed the playlist to the account Soundlink read it with")
    name: str | None = None
    image_url: str | None = None
    track_count: int | None = Field(None, description="null: Spotify did not show the tracks to that account")
    warning: str | None = Field(None, description="What could not be read, why it may be, and what to do")
    retry: bool = Field(False, description="Spotify failed for now: the first poll reads the playlist again")
    read_with: str = Field("app", description="owner: your Spotify connection; app: Soundlink's own access")


@lru_cache(maxsize=1)
def checker() -> PlaylistChecker:
    import boto3

    from soundlink.attribution.playlist_check import PlaylistChecker
    from soundlink.spotify.credentials import spotify_config
    from soundlink.tokens.cipher import TokenCipher

    settings = get_settings()

    @lru_cache(maxsize=1)
    def cipher() -> TokenCipher:
        return TokenCipher(boto3.client("kms", region_name=settings.region), settings.token_key_arn)

    return PlaylistChecker(cipher=cipher, spotify_config=lambda: spotify_config(settings))


def check(playlist_id: str, owner: str) -> PlaylistCheck:
    """The check; any failure of its own (KMS, a bug) is a warning: it never stops a campaign being saved."""
    from soundlink.attribution.playlist_check import PlaylistCheck

    bind_tables(get_settings())
    try:
        return checker().check(playlist_id, owner)
    except Exception:  # noqa: BLE001 (a failed check must not lose the owner's campaign)
        logger.exception("the playlist check failed", extra={"playlist_id": playlist_id})
        return PlaylistCheck(playlist_id, readable=False, warning=UNEXPECTED, retry=True)


def seen(result: PlaylistCheck) -> PlaylistSeen:
    """What the campaign keeps: the name and cover only as the owner's own connection read them (listeners
    see them on the landing page, like those attribution reads); the warning whoever read it."""
    if result.read_with != "owner":
        return PlaylistSeen(warning=result.warning)
    return PlaylistSeen(name=result.name, image_url=result.image_url, warning=result.warning)


@router.post(
    "/campaigns/playlist-check",
    summary="Read a playlist before you make a campaign for it: name, cover, track count or a warning",
    responses=responses(200, "What Spotify showed (never an error for a playlist it hid)", PlaylistCheckOut),
)
def playlist_check(body: PlaylistCheckIn) -> PlaylistCheckOut:
    result = check(body.playlist, owner_id(router))
    return PlaylistCheckOut(
        id=result.id,
        readable=result.readable,
        name=result.name,
        image_url=result.image_url,
        track_count=result.track_count,
        warning=result.warning,
        retry=result.retry,
        read_with=result.read_with,
    )
