"""The JWT authorizer: tokens of the local user pool pass, every other one is refused like API Gateway does."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from joserfc import jwk

from local.cloud import LocalCloud

from .helpers import forge_token


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
