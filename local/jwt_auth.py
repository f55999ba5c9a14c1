"""The HTTP API's JWT authorizer, verified against the local user pool's JWKS.

It does what API Gateway documents for JWT authorizers: take the token from
the identity source (a `Bearer ` prefix is allowed), check its signature
against the issuer's JWKS (RSA keys only), then `iss`, `aud` (or `client_id`
when there is no `aud`), `exp`, `nbf` and `iat`; and, for routes with
authorization scopes, the token's `scope` (or `scp`). Claims reach the handler as
strings, like API Gateway passes them (arrays as `[a b]`).

Locally the JWKS comes from moto (`<moto>/<pool id>/.well-known/jwks.json`):
moto signs its Cognito tokens with one RSA key and writes the same `iss`
as Cognito (`https://cognito-idp.<region>.amazonaws.com/<pool id>`), so the
template's issuer applies unchanged. Issuers outside the local stack cannot
be reached (no internet): their tokens are refused, and the log says why.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from local.logs import get_logger

log = get_logger("auth")
ALGORITHMS = ["RS256", "RS384", "RS512"]
JWKS_REFRESH_SECONDS = 30.0


class AuthorizationFailed(Exception):
    """A request the authorizer refuses: 401 (bad or missing token) or 403 (scopes)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    @property
    def headers(self) -> dict[str, str]:
        if self.status != 401 or self.reason == "no token in the request":
            return {}
        description = self.reason.replace('"', "'")
        return {"www-authenticate": f'Bearer scope="" error="invalid_token" error_description="{description}"'}


@dataclass(frozen=True)
class JwtAuthorizerConfig:
    name: str
    issuer: str
    audiences: tuple[str, ...]
    identity_sources: tuple[str, ...] = ("$request.header.Authorization",)


@dataclass(frozen=True)
class Authorization:
    claims: dict[str, str]
    scopes: list[str] | None

    def as_context(self) -> dict[str, Any]:
        return {"jwt": {"claims": self.claims, "scopes": self.scopes}}


def claim_string(value: Any) -> str:
    """A claim as API Gateway hands it to the function: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(claim_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class JwksCache:
    """Key sets by URL; refetched when a token names a key the cached set lacks."""

    def __init__(self) -> None:
        self._sets: dict[str, tuple[float, KeySet]] = {}
        self._lock = threading.Lock()

    def get(self, url: str, kid: str | None) -> KeySet:
        with self._lock:
            cached = self._sets.get(url)
        if cached is not None:
            fetched_at, key_set = cached
            known = kid is None or any(key.kid == kid for key in key_set.keys)
            if known or time.monotonic() - fetched_at < JWKS_REFRESH_SECONDS:
                return key_set
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        key_set = KeySet.import_key_set(response.json())
        with self._lock:
            self._sets[url] = (time.monotonic(), key_set)
        return key_set


def _identity(source: str, headers: dict[str, str], query: dict[str, str]) -> str | None:
    if source.startswith("$request.header."):
        return headers.get(source.removeprefix("$request.header.").lower())
    if source.startswith("$request.querystring."):
        return query.get(source.removeprefix("$request.querystring."))
    return None


class JwtAuthorizer:
    """One JWT authorizer of the API. `jwks_url_for(issuer)` says where the
    issuer's keys are locally (None: not reachable)."""

    def __init__(
        self,
        config: JwtAuthorizerConfig,
        jwks_url_for: Callable[[str], str | None],
        *,
        jwks: JwksCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.jwks_url_for = jwks_url_for
        self.jwks = jwks or JwksCache()
        self.clock = clock

    def authorize(
        self, headers: dict[str, str], query: dict[str, str], required_scopes: list[str] | None = None
    ) -> Authorization:
        values = [_identity(source, headers, query) for source in self.config.identity_sources]
        if not values or any(not value for value in values):
            raise AuthorizationFailed(401, "no token in the request")
        token = str(values[0]).strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        claims = self._verified_claims(token)
        scopes = _scopes(claims)
        if required_scopes and not set(required_scopes) & set(scopes or []):
            raise AuthorizationFailed(403, f"the token has none of the scopes {' '.join(required_scopes)}")
        return Authorization({key: claim_string(value) for key, value in claims.items()}, scopes)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        url = self.jwks_url_for(self.config.issuer)
        if url is None:
            raise AuthorizationFailed(401, f"the issuer {self.config.issuer} has no keys in the local cloud")
        kid = _unverified_kid(token)
        try:
            key_set = self.jwks.get(url, kid)
        except (requests.RequestException, ValueError, JoseError) as error:
            log.error("cannot read the JWKS at %s: %s", url, error)
            raise AuthorizationFailed(401, "the issuer's keys could not be read") from error
        try:
            decoded = jwt.decode(token, key_set, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise AuthorizationFailed(401, f"the token is not valid: {type(error).__name__}") from error
        claims = dict(decoded.claims)
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != self.config.issuer:
            raise AuthorizationFailed(401, f"the token's issuer {claims.get('iss')!r} is not {self.config.issuer}")
        audience = claims.get("aud")
        if audience is not None:
            audiences = audience if isinstance(audience, list) else [audience]
        else:
            audiences = [claims["client_id"]] if "client_id" in claims else []
        if not set(map(str, audiences)) & set(self.config.audiences):
            raise AuthorizationFailed(401, "the token's audience is not allowed")
        now = self.clock()
        if not _is_time(claims.get("exp")):
            raise AuthorizationFailed(401, "the token has no valid exp claim")
        if claims["exp"] <= now:
            raise AuthorizationFailed(401, "the token has expired")
        for name, message in (("nbf", "the token is not valid yet"), ("iat", "the token was issued in the future")):
            if name in claims:
                if not _is_time(claims[name]):
                    raise AuthorizationFailed(401, f"the token's {name} claim is not a time")
                if claims[name] > now:
                    raise AuthorizationFailed(401, message)


def _is_time(value: Any) -> bool:
    """JWT times (exp, nbf, iat) are JSON numbers of seconds, never strings."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _scopes(claims: dict[str, Any]) -> list[str] | None:
    """The token's scopes: `scope` (a space-separated string, as Cognito writes it) or `scp`
    (a string or a list, as other issuers do); None without either."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [str(item) for item in value]
    return None


def _unverified_kid(token: str) -> str | None:
    try:
        header_part = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(header_part + "=" * (-len(header_part) % 4)))
    except (ValueError, IndexError):
        raise AuthorizationFailed(401, "the token is not a JWT") from None
    if not isinstance(header, dict):
        raise AuthorizationFailed(401, "the token is not a JWT")
    return header.get("kid")
