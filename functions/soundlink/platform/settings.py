"""The functions' configuration, parsed once per container from the environment.

Every value comes from template.yaml (Globals and per-function variables);
the local cloud sets the same variables. Reading os.environ anywhere else
is a bug: it hides configuration from the template and from tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache


class SettingsError(RuntimeError):
    """A required variable is missing or malformed: the deployment is wrong."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    data_table: str
    events_table: str
    stats_table: str
    idempotency_table: str
    public_api_url: str
    dashboard_url: str
    click_retention_days: int
    spotify_client_id: str
    spotify_client_secret_arn: str
    spotify_accounts_url: str
    spotify_api_url: str
    token_key_arn: str
    click_queue_url: str = ""
    poll_queue_url: str = ""
    play_queue_url: str = ""
    poll_fanout_queue_url: str = ""
    # The secret of the export's listener pseudonyms (Secrets Manager): the analytics function's.
    export_secret_arn: str = ""
    # Most campaigns an owner may have (archived ones included): the template's MaxCampaignsPerOwner.
    max_campaigns_per_owner: int = 100
    # The secret header CloudFront adds to the public routes (empty: no distribution in front).
    origin_secret: str = ""
    # Base interval between polls of an active listener (quiet ones wait longer, up to 25 min).
    poll_interval_seconds: int = 300
    # The owners' Cognito user pool: DELETE /owner deletes the owner's user in it, last.
    owner_user_pool_id: str = ""
    # Whether Spotify granted the app extended quota; without it (Development Mode) it may follow
    # at most DEVELOPMENT_MODE_LISTENERS allow-listed users (the template's SpotifyExtendedQuota).
    spotify_extended_quota: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"environment variable {name} is not set")
            return value

        def optional(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        retention_days = _whole_number(optional("CLICK_RETENTION_DAYS", "90"), "CLICK_RETENTION_DAYS")

        return cls(
            stage=optional("STAGE", "dev"),
            region=optional("AWS_REGION") or optional("AWS_DEFAULT_REGION", "us-east-1"),
            data_table=required("DATA_TABLE"),
            events_table=required("EVENTS_TABLE"),
            stats_table=required("STATS_TABLE"),
            idempotency_table=optional("IDEMPOTENCY_TABLE"),
            public_api_url=optional("PUBLIC_API_URL").rstrip("/"),
            dashboard_url=optional("DASHBOARD_URL").rstrip("/"),
            click_retention_days=retention_days,
            spotify_client_id=optional("SPOTIFY_CLIENT_ID"),
            spotify_client_secret_arn=optional("SPOTIFY_CLIENT_SECRET_ARN"),
            spotify_accounts_url=optional("SPOTIFY_ACCOUNTS_URL", "https://accounts.spotify.com").rstrip("/"),
            spotify_api_url=optional("SPOTIFY_API_URL", "https://api.spotify.com").rstrip("/"),
            token_key_arn=optional("TOKEN_KEY_ARN"),
            click_queue_url=optional("CLICK_QUEUE_URL"),
            poll_queue_url=optional("POLL_QUEUE_URL"),
            play_queue_url=optional("PLAY_QUEUE_URL"),
            poll_fanout_queue_url=optional("POLL_FANOUT_QUEUE_URL"),
            origin_secret=optional("ORIGIN_SECRET"),
            export_secret_arn=optional("EXPORT_SECRET_ARN"),
            max_campaigns_per_owner=_whole_number(
                optional("MAX_CAMPAIGNS_PER_OWNER", "100"), "MAX_CAMPAIGNS_PER_OWNER"
            ),
            poll_interval_seconds=_whole_number(optional("POLL_INTERVAL_SECONDS", "300"), "POLL_INTERVAL_SECONDS"),
            owner_user_pool_id=optional("OWNER_USER_POOL_ID"),
            spotify_extended_quota=optional("SPOTIFY_EXTENDED_QUOTA", "false").lower() == "true",
        )


# Spotify's Development Mode: at most 5 allow-listed users per client id (since Feb/Mar 2026).
DEVELOPMENT_MODE_LISTENERS = 5


def _whole_number(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
    if number < 0:
        raise SettingsError(f"{name} must not be negative, got {number}")
    return number


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env(os.environ)


@lru_cache(maxsize=1)
def destination_hosts() -> frozenset[str]:
    """Hosts besides Spotify's that campaign destinations may name: the operator's allow-list
    (the template's DestinationHosts, comma-separated). Read on its own so the campaign
    rules can use it without the rest of the configuration (their unit tests have none)."""
    listed = os.environ.get("DESTINATION_HOSTS", "")
    return frozenset(host.strip().lower().rstrip(".") for host in listed.split(",") if host.strip())
