"""The Spotify client secret comes from Secrets Manager at run time."""

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from soundlink.platform.settings import Settings, SettingsError
from soundlink.spotify.credentials import spotify_config

BASE_ENV = {"DATA_TABLE": "d", "EVENTS_TABLE": "e", "STATS_TABLE": "s"}


@pytest.fixture(autouse=True)
def fresh_cache():
    parameters.clear_caches()
    yield
    parameters.clear_caches()


def test_reads_the_secret_and_the_urls(aws):
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="soundlink/dev/spotify-client-secret", SecretString="s3cr3t\n"
    )["ARN"]
    settings = Settings.from_env(
        {
            **BASE_ENV,
            "SPOTIFY_CLIENT_ID": "abc",
            "SPOTIFY_CLIENT_SECRET_ARN": arn,
            "SPOTIFY_ACCOUNTS_URL": "http://127.0.0.1:4000/",
            "SPOTIFY_API_URL": "http://127.0.0.1:4000",
        }
    )
    config = spotify_config(settings)
    assert (config.client_id, config.client_secret) == ("abc", "s3cr3t")
    assert config.accounts_url == config.api_url == "http://127.0.0.1:4000"
    assert "s3cr3t" not in repr(config)


def test_a_missing_client_id_says_how_to_fix_it():
    with pytest.raises(SettingsError, match="SpotifyClientId"):
        spotify_config(Settings.from_env({**BASE_ENV, "SPOTIFY_CLIENT_SECRET_ARN": "arn"}))


def test_settings_name_the_missing_variable():
    with pytest.raises(SettingsError, match="DATA_TABLE"):
        Settings.from_env({"EVENTS_TABLE": "e", "STATS_TABLE": "s"})
    with pytest.raises(SettingsError, match="CLICK_RETENTION_DAYS"):
        Settings.from_env({**BASE_ENV, "CLICK_RETENTION_DAYS": "ninety"})
