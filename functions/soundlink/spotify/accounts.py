"""The accounts service: the authorize URL, code exchange and token refresh."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import requests
from aws_lambda_powertools import Logger

from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import InvalidAuthorizationCode, SpotifyUnavailable, TokenRevoked
from soundlink.spotify.models import TokenSet
from soundlink.spotify.oauth import authorize_url
from soundlink.spotify.parsing import parse_token_set
from soundlink.spotify.responses import json_body, token_error
from soundlink.spotify.transport import Transport

logger = Logger(child=True)


class SpotifyAccounts:
    """The accounts service: the authorize URL, code exchange and token refresh."""

    def __init__(
        self,
        config: SpotifyConfig,
        *,
        remaining_ms: Callable[[], int] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        self._transport = Transport(config, session, remaining_ms)

    def authorize_url(
        self, redirect_uri: str, state: str, code_challenge: str, scopes: Iterable[str], show_dialog: bool = False
    ) -> str:
        return authorize_url(
            self.config.accounts_url, self.config.client_id, redirect_uri, state, code_challenge, scopes, show_dialog
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return self._grant(
            "authorization code exchange",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            invalid_grant=InvalidAuthorizationCode,
            previous=None,
        )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens; the refresh token is kept unless Spotify rotated it."""
        if not tokens.refresh_token:
            raise TokenRevoked("there is no refresh token to use; the user must connect again")
        return self._grant(
            "token refresh",
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
            },
            invalid_grant=TokenRevoked,
            previous=tokens,
        )

    def app_token(self) -> TokenSet:
        """An access token of the app itself (client credentials): public data only, no user, no refresh."""
        return self._grant(
            "client credentials", {"grant_type": "client_credentials"}, invalid_grant=TokenRevoked, previous=None
        )

    def _grant(
        self,
        what: str,
        form: Mapping[str, str],
        *,
        invalid_grant: type[TokenRevoked | InvalidAuthorizationCode],
        previous: TokenSet | None,
    ) -> TokenSet:
        sent = self._transport.send_grant(
            f"{self.config.accounts_url}/api/token",
            what=what,
            data=dict(form),
            auth=(self.config.client_id, self.config.client_secret),
            headers={"Accept": "application/json"},
        )
        response = sent.response
        if response.status_code == 200:
            return parse_token_set(json_body(response), previous=previous)
        error = token_error(response, invalid_grant)
        if isinstance(error, invalid_grant) and sent.earlier_attempt_may_have_succeeded:
            # The attempt that failed with a 5xx may have spent the code or rotated the
            # refresh token, which alone would make this retry's invalid_grant: unknown.
            logger.warning("Spotify refused a repeated grant", extra={"spotify_call": what, "attempts": sent.attempts})
            raise SpotifyUnavailable(
                f"Spotify refused a repeat of the {what} ({error.message}) after an attempt it may have "
                f"processed: the outcome is unknown ({sent.attempts} attempt(s))",
                attempts=sent.attempts,
                status=response.status_code,
                request_may_have_succeeded=True,
            )
        raise error
