"""Soundlink's own Spotify app: its id from settings, its secret from Secrets Manager.

The client secret is never in the template, a parameter or an environment
variable; it is read at run time and cached for a few minutes per container
(a rotated secret reaches every container within that time).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from soundlink.platform.settings import Settings, SettingsError
from soundlink.spotify.config import SpotifyConfig

SECRET_MAX_AGE_SECONDS = 300


def spotify_config(settings: Settings) -> SpotifyConfig:
    if not settings.spotify_client_id:
        raise SettingsError("SPOTIFY_CLIENT_ID is not set: deploy with SpotifyClientId=<your Spotify app's id>")
    if not settings.spotify_client_secret_arn:
        raise SettingsError("SPOTIFY_CLIENT_SECRET_ARN is not set: the function is missing its secret")
    secret = parameters.get_secret(settings.spotify_client_secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
    return SpotifyConfig(
        client_id=settings.spotify_client_id,
        client_secret=str(secret).strip(),
        accounts_url=settings.spotify_accounts_url,
        api_url=settings.spotify_api_url,
    )
