"""The HTTP API's JWT authorizer, verified against the local user pool's JWKS.

It does what API Gateway documents for JWT authorizers: take the token from
the identity source (a `Bearer ` prefix is allowed), find the issuer's key
named by the token's `kid` (a token without one is refused) and check the
signature with it (RS256/RS384/RS512 only: `alg: none` and HMAC tokens are
refused before any key is used), then `iss`, `aud` (or `client_id` when there
is no `aud`), `exp`, `nbf` and `iat`; and, for routes with authorization
scopes, the token's `scope` (or `scp`). Claims reach the handler as strings,
like API Gateway passes them (arrays as `[a b]`).

A refused token gets `401 {"message":"Unauthorized"}` and a `www-authenticate`
header whose `error_description` is one of a fixed set of sentences, like
API Gateway's ("the token has expired", "the token does not have a valid
audience"): never a library's exception name or message, never a value taken
from the token. The details go to the log only.

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
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from local.logs import get_logger

log = get_logger("auth")
ALGORITHMS = ["RS256", "RS384", "RS512"]
JWKS_REFRESH_SECONDS = 30.0


NO_TOKEN = "no token in the request"  # noqa: S105 - a sentence, not a secret
INVALID = "the token is not valid"  # any refusal without a sentence of its own
NOT_A_JWT = "the token is not a JWT"
NO_KID = "the token's header has no kid"
BAD_ALGORITHM = "the token's signing algorithm is not valid"
UNKNOWN_KID = "the token's kid is not valid"
BAD_SIGNATURE = "the token's signature is not valid"
KEYS_UNREADABLE = "the issuer's keys could not be read"
BAD_ISSUER = "the token does not have a valid issuer"
BAD_AUDIENCE = "the token does not have a valid audience"  # API Gateway's own wording
NO_EXP = "the token has no valid exp claim"
EXPIRED = "the token has expired"
NOT_YET_VALID = "the token is not valid yet"
ISSUED_IN_FUTURE = "the token was issued in the future"
NBF_NOT_A_TIME = "the token's nbf claim is not a time"
IAT_NOT_A_TIME = "the token's iat claim is not a time"
MISSING_SCOPE = "the token has none of the route's scopes"
# The only sentences a client ever reads in www-authenticate.
DESCRIPTIONS = frozenset(
    {
        INVALID,
        NOT_A_JWT,
        NO_KID,
        BAD_ALGORITHM,
        UNKNOWN_KID,
        BAD_SIGNATURE,
        KEYS_UNREADABLE,
        BAD_ISSUER,
        BAD_AUDIENCE,
        NO_EXP,
        EXPIRED,
        NOT_YET_VALID,
        ISSUED_IN_FUTURE,
        NBF_NOT_A_TIME,
        IAT_NOT_A_TIME,
    }
)


class AuthorizationFailed(Exception):
    """A request the authorizer refuses: 401 (bad or missing token) or 403 (scopes).

    `reason` is one of the fixed sentences above (what the client may read);
    `detail` is for the log only (never sent).
    """

    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.detail = detail

    @property
    def log_reason(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason

    @property
    def headers(self) -> dict[str, str]:
        if self.status != 401 or self.reason == NO_TOKEN:
            return {}
        # A sentence outside the fixed set never reaches the client.
        description = self.reason if self.reason in DESCRIPTIONS else INVALID
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

    def get(self, url: str, kid: str) -> KeySet:
        with self._lock:
            cached = self._sets.get(url)
        if cached is not None:
            fetched_at, key_set = cached
            known = any(key.kid == kid for key in key_set.keys)
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
            raise AuthorizationFailed(401, NO_TOKEN)
        token = str(values[0]).strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        claims = self._verified_claims(token)
        scopes = _scopes(claims)
        if required_scopes and not set(required_scopes) & set(scopes or []):
            raise AuthorizationFailed(403, MISSING_SCOPE, f"the route needs one of {' '.join(required_scopes)}")
        return Authorization({key: claim_string(value) for key, value in claims.items()}, scopes)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        header = _unverified_header(token)
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:  # before any key is looked at: no alg none, no HMAC
            raise AuthorizationFailed(401, BAD_ALGORITHM, f"alg {_short(algorithm)}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthorizationFailed(401, NO_KID, f"kid {_short(kid)}")
        url = self.jwks_url_for(self.config.issuer)
        if url is None:
            raise AuthorizationFailed(
                401, KEYS_UNREADABLE, f"the issuer {self.config.issuer} has no keys in the local cloud"
            )
        try:
            key_set = self.jwks.get(url, kid)
        except (requests.RequestException, ValueError, JoseError) as error:
            log.error("cannot read the JWKS at %s: %s", url, error)
            raise AuthorizationFailed(401, KEYS_UNREADABLE, f"the JWKS at {url} could not be read") from error
        key = next((key for key in key_set.keys if key.kid == kid and key.key_type == "RSA"), None)
        if key is None:
            raise AuthorizationFailed(401, UNKNOWN_KID, f"no RSA key {_short(kid)} in the JWKS at {url}")
        try:
            decoded = jwt.decode(token, key, algorithms=ALGORITHMS)
        except BadSignatureError as error:
            raise AuthorizationFailed(401, BAD_SIGNATURE, type(error).__name__) from error
        except (JoseError, ValueError) as error:
            raise AuthorizationFailed(401, NOT_A_JWT, type(error).__name__) from error
        claims = decoded.claims
        if not isinstance(claims, dict):
            raise AuthorizationFailed(401, NOT_A_JWT, "the payload is not a JSON object")
        claims = dict(claims)
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != self.config.issuer:
            raise AuthorizationFailed(401, BAD_ISSUER, f"iss {_short(claims.get('iss'))} is not {self.config.issuer}")
        audience = claims.get("aud")
        if audience is not None:
            audiences = audience if isinstance(audience, list) else [audience]
        else:
            audiences = [claims["client_id"]] if "client_id" in claims else []
        if not set(map(str, audiences)) & set(self.config.audiences):
            raise AuthorizationFailed(401, BAD_AUDIENCE, f"aud/client_id {_short(audiences)}")
        now = self.clock()
        if not _is_time(claims.get("exp")):
            raise AuthorizationFailed(401, NO_EXP, f"exp {_short(claims.get('exp'))}")
        if claims["exp"] <= now:
            raise AuthorizationFailed(401, EXPIRED)
        for name, not_a_time, message in (
            ("nbf", NBF_NOT_A_TIME, NOT_YET_VALID),
            ("iat", IAT_NOT_A_TIME, ISSUED_IN_FUTURE),
        ):
            if name in claims:
                if not _is_time(claims[name]):
                    raise AuthorizationFailed(401, not_a_time, f"{name} {_short(claims[name])}")
                if claims[name] > now:
                    raise AuthorizationFailed(401, message)


def _short(value: Any, limit: int = 80) -> str:
    """A value from a token, for the log: repr'd (no control characters) and cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def _unverified_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS (three segments), read before any check."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthorizationFailed(401, NOT_A_JWT, f"{len(parts)} segments")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, TypeError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise AuthorizationFailed(401, NOT_A_JWT, "the header is not base64url JSON") from None
    if not isinstance(header, dict):
        raise AuthorizationFailed(401, NOT_A_JWT, "the header is not a JSON object")
    return header
