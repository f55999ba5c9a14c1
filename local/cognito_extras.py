"""Two Cognito user-pool actions the dashboard uses and moto lacks, added to the moto server.

moto answers `RevokeToken` and `GetTokensFromRefreshToken` with "not yet
implemented"; the dashboard signs out with the first and refreshes its
session with the second (the app client rotates refresh tokens). `install()`
adds them to moto's Cognito responses, in the moto server process only, on
moto's own token records, as the Cognito API reference describes them:

- `RevokeToken {Token, ClientId}`: the refresh token stops working, and so do
  the access tokens issued from it (at Cognito's own API; JWT authorizers do
  not ask). A token of another client is refused; an unknown one is accepted
  (RFC 7009, which Cognito follows).
- `GetTokensFromRefreshToken {RefreshToken, ClientId}`: new ID and access
  tokens and, when the client has `RefreshTokenRotation: ENABLED`, a new
  refresh token; the old one keeps working for `RetryGracePeriodSeconds`.

The server also verifies TOTP codes for real (`MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP`):
moto then accepts only codes of the one secret its `AssociateSoftwareToken` hands out.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

TOTP_SETTING = "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def install() -> None:
    """Add the two actions to moto's Cognito (call before the server starts)."""
    os.environ.setdefault(TOTP_SETTING, "true")
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.exceptions import JsonRESTError

    # old refresh token -> time after which a rotated token stops working
    rotated: dict[str, float] = {}

    def pool_of(backend: Any, refresh_token: str) -> Any:
        return next((pool for pool in backend.user_pools.values() if refresh_token in pool.refresh_tokens), None)

    def revoke_token(self: Any) -> str:
        token, client_id = self._get_param("Token"), self._get_param("ClientId")
        pool = pool_of(self.backend, token)
        if pool is None or pool.refresh_tokens[token] is None:
            return "{}"
        owner_client, _, origin_jti = pool.refresh_tokens[token]
        if owner_client != client_id:
            raise JsonRESTError("UnauthorizedException", "The token was not issued to this client.")
        pool.refresh_tokens[token] = None
        for access_token in list(pool.access_tokens):
            if _claims(access_token).get("origin_jti") == origin_jti:
                pool.access_tokens.pop(access_token)
        return "{}"

    def get_tokens_from_refresh_token(self: Any) -> str:
        token, client_id = self._get_param("RefreshToken"), self._get_param("ClientId")
        pool = pool_of(self.backend, token)
        if pool is None or pool.refresh_tokens[token] is None:
            raise NotAuthorizedError("Invalid Refresh Token")
        if token in rotated and time.time() > rotated[token]:
            pool.refresh_tokens[token] = None
            raise NotAuthorizedError("Invalid Refresh Token")
        owner_client, username, origin_jti = pool.refresh_tokens[token]
        if owner_client != client_id:
            raise NotAuthorizedError("Invalid Refresh Token")
        rotation = pool.clients[client_id].extended_config.get("RefreshTokenRotation") or {}
        result: dict[str, Any] = {"TokenType": "Bearer"}
        if rotation.get("Feature") == "ENABLED":
            new_token, origin_jti = pool.create_refresh_token(client_id, username)
            rotated.setdefault(token, time.time() + int(rotation.get("RetryGracePeriodSeconds") or 0))
            result["RefreshToken"] = new_token
        result["AccessToken"], result["ExpiresIn"] = pool.create_access_token(client_id, username, origin_jti)
        result["IdToken"], _ = pool.create_id_token(client_id, username, origin_jti)
        return json.dumps({"AuthenticationResult": result})

    CognitoIdpResponse.revoke_token = revoke_token
    CognitoIdpResponse.get_tokens_from_refresh_token = get_tokens_from_refresh_token
