"""How to reach Spotify: the app's id and secret, base URLs, timeouts and retry budget.

Configuration is passed in: nothing in soundlink.spotify reads the environment,
so the same code talks to Spotify or to the local emulator (one base URL for
both the accounts and the API paths).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SpotifyConfig:
    client_id: str
    client_secret: str = field(repr=False)
    accounts_url: str = "https://accounts.spotify.com"
    api_url: str = "https://api.spotify.com"
    timeout_seconds: float = 5.0
    max_attempts: int = 3
    backoff_base_seconds: float = 0.2
    backoff_max_seconds: float = 2.0
    # Time kept back from the caller's deadline (e.g. for the DynamoDB writes
    # that follow a Spotify call in the same Lambda invocation).
    deadline_margin_ms: int = 1000

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("SpotifyConfig needs a client_id and a client_secret")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        object.__setattr__(self, "accounts_url", self.accounts_url.rstrip("/"))
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
