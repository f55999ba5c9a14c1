"""The JWT authorizer: tokens of the local user pool pass, every other one is refused like API Gateway does."""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwk, jws

from local.cloud import LocalCloud
from local.jwt_auth import ALGORITHMS

from .helpers import forge_token, moto_signing_key


def _claims(cloud: LocalCloud, owner, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{cloud.physical_id('Users')}",
        "sub": owner.sub,
        "aud": cloud.physical_id("UsersClient"),
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _get(cloud: LocalCloud, path: str, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return requests.get(cloud.api_url + path, headers=headers, timeout=10)


def test_a_token_of_the_local_user_pool_reaches_the_handler_with_its_claims(fixture_cloud: LocalCloud, owner) -> None:
    response = _get(fixture_cloud, "/items/1", f"Bearer {owner.id_token}")
    assert response.status_code == 200
    jwt = response.json()["event"]["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == owner.sub
    assert jwt["claims"]["email"] == "owner@example.com"
    assert jwt["claims"]["aud"] == fixture_cloud.physical_id("UsersClient")
    assert all(isinstance(value, str) for value in jwt["claims"].values())
    assert jwt["claims"]["exp"].isdigit()
    assert jwt["scopes"] is None


def test_access_tokens_and_tokens_without_bearer_prefix_pass(fixture_cloud: LocalCloud, owner) -> None:
    access = _get(fixture_cloud, "/items/1", f"Bearer {owner.access_token}")  # client_id instead of aud
    assert access.status_code == 200
    assert access.json()["event"]["requestContext"]["authorizer"]["jwt"]["claims"]["token_use"] == "access"
    assert _get(fixture_cloud, "/items/1", owner.id_token).status_code == 200


def test_claims_are_passed_as_strings_like_api_gateway(fixture_cloud: LocalCloud, owner) -> None:
    token = forge_token(_claims(fixture_cloud, owner, **{"cognito:groups": ["admins", "owners"], "verified": True}))
    claims = _get(fixture_cloud, "/items/1", f"Bearer {token}").json()["event"]["requestContext"]["authorizer"]
    assert claims["jwt"]["claims"]["cognito:groups"] == "[admins owners]"
    assert claims["jwt"]["claims"]["verified"] == "true"


def _other_key_token(fixture_cloud: LocalCloud, owner) -> str:
    return forge_token(_claims(fixture_cloud, owner), key=jwk.RSAKey.generate_key(2048))


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing", None),
        ("empty", None),
        ("not a jwt", "not a JWT"),
        ("other key", "not valid"),
        ("unknown kid", "not valid"),
        ("wrong issuer", "issuer"),
        ("wrong audience", "audience"),
        ("no audience", "audience"),
        ("expired", "expired"),
        ("no exp", "exp"),
        ("not yet valid", "not valid yet"),
        ("issued in the future", "future"),
        ("exp as a string", "exp"),
        ("nbf as a string", "nbf"),
        ("iat as a string", "iat"),
        ("exp as a boolean", "exp"),
    ],
)
def test_every_invalid_token_is_401_unauthorized(fixture_cloud: LocalCloud, owner, case: str, reason: str | None):
    now = int(time.time())

    def forged(**changes: Any) -> str:
        return f"Bearer {forge_token(_claims(fixture_cloud, owner, **changes))}"

    other_pool = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"
    tokens = {  # built on demand: generating an RSA key takes a moment
        "missing": lambda: None,
        "empty": lambda: "",
        "not a jwt": lambda: "Bearer abc.def",
        "other key": lambda: f"Bearer {_other_key_token(fixture_cloud, owner)}",
        "unknown kid": lambda: f"Bearer {forge_token(_claims(fixture_cloud, owner), kid='another')}",
        "wrong issuer": lambda: forged(iss=other_pool),
        "wrong audience": lambda: forged(aud="another-client"),
        "no audience": lambda: forged(aud=None),
        "expired": lambda: forged(iat=now - 700, exp=now - 100),
        "no exp": lambda: forged(exp=None),
        "not yet valid": lambda: forged(nbf=now + 300),
        "issued in the future": lambda: forged(iat=now + 300),
        # JWT times are numbers: API Gateway refuses strings, even numeric ones.
        "exp as a string": lambda: forged(exp=str(now + 600)),
        "nbf as a string": lambda: forged(nbf=str(now - 10)),
        "iat as a string": lambda: forged(iat=str(now)),
        "exp as a boolean": lambda: forged(exp=True),
    }
    response = _get(fixture_cloud, "/items/1", tokens[case]())
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    if reason is None:
        assert "www-authenticate" not in response.headers
    else:
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert reason in response.headers["www-authenticate"]


def test_routes_with_scopes_need_one_of_them(fixture_cloud: LocalCloud, owner) -> None:
    forbidden = _get(fixture_cloud, "/admin", f"Bearer {owner.id_token}")
    assert forbidden.status_code == 403
    assert forbidden.json() == {"message": "Forbidden"}
    token = forge_token(_claims(fixture_cloud, owner, scope="openid fixture/admin"))
    allowed = _get(fixture_cloud, "/admin", f"Bearer {token}")
    assert allowed.status_code == 200
    assert allowed.json()["event"]["requestContext"]["authorizer"]["jwt"]["scopes"] == ["openid", "fixture/admin"]


@pytest.mark.parametrize("scp", [["openid", "fixture/admin"], "openid fixture/admin"])
def test_scopes_may_come_in_an_scp_claim(fixture_cloud: LocalCloud, owner, scp: object) -> None:
    token = forge_token(_claims(fixture_cloud, owner, scp=scp))
    allowed = _get(fixture_cloud, "/admin", f"Bearer {token}")
    assert allowed.status_code == 200
    assert allowed.json()["event"]["requestContext"]["authorizer"]["jwt"]["scopes"] == ["openid", "fixture/admin"]


def test_public_routes_ignore_the_authorization_header(fixture_cloud: LocalCloud) -> None:
    response = requests.get(
        fixture_cloud.api_url + "/files/readme.txt", headers={"Authorization": "Bearer junk"}, timeout=10
    )
    assert response.status_code == 200
    assert "authorizer" not in response.json()["event"]["requestContext"]


# ------------------------------------------------------- API Gateway parity
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A compact JWS built by hand (joserfc refuses to write the tokens an attacker would)."""
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{_b64url(signature)}"


def _rs256(data: bytes) -> bytes:
    return moto_signing_key().private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _hmac(secret: bytes, digest: str = "sha256") -> Any:
    return lambda data: hmac.new(secret, data, digest).digest()


def _signed_payload(payload: bytes) -> str:
    """A token correctly signed by the pool's key whose payload is not a claims object."""
    return jws.serialize_compact({"alg": "RS256", "kid": "dummy"}, payload, moto_signing_key())


def _challenge(description: str) -> str:
    return f'Bearer scope="" error="invalid_token" error_description="{description}"'


@pytest.mark.parametrize(
    "header",
    [{"alg": "RS256"}, {"alg": "RS256", "kid": None}, {"alg": "RS256", "kid": ""}, {"alg": "RS256", "kid": 7}],
    ids=["no kid", "null kid", "empty kid", "numeric kid"],
)
def test_a_token_without_a_kid_is_refused(fixture_cloud: LocalCloud, owner, header: dict[str, Any]) -> None:
    # Signed with the pool's own key: only the missing key id is wrong. API Gateway picks the
    # key by kid and refuses a token that names none.
    token = _compact(header, _claims(fixture_cloud, owner), _rs256)
    response = _get(fixture_cloud, "/items/1", f"Bearer {token}")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"] == _challenge("the token's header has no kid")


def test_only_rsa_signatures_are_accepted() -> None:
    # HTTP API JWT authorizers verify RSA signatures only; widening this list opens the
    # tokens below (alg none, HMAC keyed with public material) to the authorizer.
    assert ALGORITHMS == ["RS256", "RS384", "RS512"]


@pytest.mark.parametrize(
    "case",
    ["alg none", "alg None", "HS256 keyed with the public key (PEM)", "HS256 keyed with the JWK's n", "HS512 secret"],
)
def test_unsigned_and_hmac_tokens_are_refused(fixture_cloud: LocalCloud, owner, case: str) -> None:
    public = moto_signing_key()
    pem = public.as_pem(private=False)
    modulus = base64.urlsafe_b64decode(public.as_dict(private=False)["n"] + "==")
    claims = _claims(fixture_cloud, owner)
    tokens = {
        "alg none": lambda: _compact({"alg": "none", "kid": "dummy"}, claims),
        "alg None": lambda: _compact({"alg": "None", "kid": "dummy", "typ": "JWT"}, claims),
        # The classic confusion attack: the verifier's RSA public key used as an HMAC secret.
        "HS256 keyed with the public key (PEM)": lambda: _compact({"alg": "HS256", "kid": "dummy"}, claims, _hmac(pem)),
        "HS256 keyed with the JWK's n": lambda: _compact({"alg": "HS256", "kid": "dummy"}, claims, _hmac(modulus)),
        "HS512 secret": lambda: _compact({"alg": "HS512", "kid": "dummy"}, claims, _hmac(b"secret", "sha512")),
    }
    response = _get(fixture_cloud, "/items/1", f"Bearer {tokens[case]()}")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"] == _challenge("the token's signing algorithm is not valid")


@pytest.mark.parametrize(
    ("case", "description"),
    [
        ("two segments", "the token is not a JWT"),
        ("five segments", "the token is not a JWT"),
        ("header not base64", "the token is not a JWT"),
        ("header not an object", "the token is not a JWT"),
        ("payload not JSON", "the token is not a JWT"),
        ("payload not an object", "the token is not a JWT"),
        ("other key", "the token's signature is not valid"),
        ("tampered claims", "the token's signature is not valid"),
        ("unknown kid", "the token's kid is not valid"),
        ("wrong issuer", "the token does not have a valid issuer"),
        ("wrong audience", "the token does not have a valid audience"),
        ("expired", "the token has expired"),
        ("exp as a string", "the token has no valid exp claim"),
        ("not yet valid", "the token is not valid yet"),
        ("issued in the future", "the token was issued in the future"),
        ("nbf as a string", "the token's nbf claim is not a time"),
    ],
)
def test_www_authenticate_gives_fixed_descriptions_never_library_errors(
    fixture_cloud: LocalCloud, owner, case: str, description: str
) -> None:
    now = int(time.time())

    def forged(**changes: Any) -> str:
        return forge_token(_claims(fixture_cloud, owner, **changes))

    valid = forged()
    head, body, signature = valid.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    tampered = _b64url(json.dumps({**claims, "sub": "someone-else"}).encode())
    tokens = {
        "two segments": lambda: "abc.def",
        "five segments": lambda: f"{valid}.abc.def",
        "header not base64": lambda: f"!!!.{body}.{signature}",
        "header not an object": lambda: f"{_b64url(b'[1, 2]')}.{body}.{signature}",
        "payload not JSON": lambda: _signed_payload(b"not json"),
        "payload not an object": lambda: _signed_payload(b"[1, 2]"),
        "other key": lambda: _other_key_token(fixture_cloud, owner),
        "tampered claims": lambda: f"{head}.{tampered}.{signature}",
        "unknown kid": lambda: forge_token(_claims(fixture_cloud, owner), kid="another"),
        "wrong issuer": lambda: forged(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        "wrong audience": lambda: forged(aud="another-client"),
        "expired": lambda: forged(iat=now - 700, exp=now - 100),
        "exp as a string": lambda: forged(exp=str(now + 600)),
        "not yet valid": lambda: forged(nbf=now + 300),
        "issued in the future": lambda: forged(iat=now + 300),
        "nbf as a string": lambda: forged(nbf=str(now - 10)),
    }
    response = _get(fixture_cloud, "/items/1", f"Bearer {tokens[case]()}")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"] == _challenge(description)
