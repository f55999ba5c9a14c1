"""Owner sign-in in the dashboard against the local cloud's Cognito (moto, which checks TOTP
codes for real there): an authenticator app turned on and asked for at sign-in, the
MFA_SETUP challenge of a user pool that requires MFA, and a sign-out that ends the
session at Cognito, not only in the tab."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for `secret` (RFC 6238: SHA-1, 6 digits, 30 s).

    A code about to roll over is not used: moto accepts only the current 30-second step.
    """
    if 30 - time.time() % 30 < 4:
        time.sleep(30 - time.time() % 30 + 0.5)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    # SHA-1 is what RFC 6238 and every authenticator app use for TOTP (an HMAC, not a digest).
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False).generate(time.time()).decode()  # noqa: S303


def stored_session(page: Any) -> dict | None:
    return json.loads(page.evaluate("sessionStorage.getItem('soundlink.session')") or "null")


def refresh_works(dashboard: Any, refresh_token: str) -> bool:
    cognito = dashboard.cloud.client("cognito-idp")
    client_id = dashboard.cloud.physical_id("DashboardClient")
    try:
        cognito.get_tokens_from_refresh_token(ClientId=client_id, RefreshToken=refresh_token)
    except cognito.exceptions.NotAuthorizedException:
        return False
    return True


def test_an_owner_turns_on_totp_signs_in_with_a_code_and_signing_out_ends_the_session(dashboard, page) -> None:
    owner = dashboard.new_owner()
    dashboard.sign_in(page, owner.email)

    # Account page: two-step sign-in is off; set up an authenticator app with the key shown.
    page.get_by_test_id("account-link").click()
    expect(page.get_by_test_id("mfa-status")).to_have_attribute("data-enabled", "false")
    page.get_by_test_id("mfa-setup").click()
    expect(page.get_by_test_id("mfa-setup-form")).to_be_visible()
    secret = page.get_by_test_id("mfa-setup-secret").inner_text().replace(" ", "")
    assert len(secret) >= 8, secret
    page.get_by_test_id("mfa-setup-code").fill("12345")
    page.get_by_test_id("mfa-setup-submit").click()
    expect(page.get_by_test_id("mfa-setup-form").get_by_test_id("error-code")).to_be_visible()
    page.get_by_test_id("mfa-setup-code").fill(totp_code(secret))
    page.get_by_test_id("mfa-setup-submit").click()
    expect(page.get_by_test_id("mfa-status")).to_have_attribute("data-enabled", "true")
    pool = dashboard.cloud.physical_id("OwnerUserPool")
    user = dashboard.cloud.client("cognito-idp").admin_get_user(UserPoolId=pool, Username=owner.email)
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile(r"#/sign-in$"))

    # The password is no longer enough: Cognito asks for a code, and a wrong one is refused.
    page.get_by_test_id("sign-in-email").fill(owner.email)
    page.get_by_test_id("sign-in-password").fill("Browser-owner-2026")
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("mfa-form")).to_be_visible()
    expect(page.get_by_test_id("mfa-setup-step")).to_be_hidden()
    assert stored_session(page) is None
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    page.get_by_test_id("mfa-code").fill(wrong)
    page.get_by_test_id("mfa-submit").click()
    expect(page.get_by_test_id("mfa-form").get_by_test_id("error-code")).to_contain_text("not right")
    page.get_by_test_id("mfa-code").fill(totp_code(secret))
    page.get_by_test_id("mfa-submit").click()
    page.wait_for_url(re.compile(r"#/campaigns$"))
    expect(page.get_by_test_id("account-email")).to_have_text(owner.email)

    # A refresh rotates the refresh token (the client has RefreshTokenRotation).
    first = stored_session(page)["refreshToken"]
    page.evaluate("async () => { const auth = await import('/js/auth.js'); await auth.refresh(); }")
    second = stored_session(page)["refreshToken"]
    assert second and second != first
    assert refresh_works(dashboard, second)

    # Sign out: the tab forgets the tokens and Cognito no longer honours the refresh token.
    revocations = []
    page.on(
        "request",
        lambda request: (
            request.headers.get("x-amz-target", "").endswith(".RevokeToken")
            and revocations.append(json.loads(request.post_data or "{}"))
        ),
    )
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile(r"#/sign-in$"))
    expect(page.get_by_test_id("status")).to_have_text("You are signed out.")
    assert [r["Token"] for r in revocations] == [second]
    assert stored_session(page) is None
    assert not refresh_works(dashboard, second)
    recorder = page.context.recorder
    assert not recorder.page_errors, recorder.page_errors


def test_a_pool_that_requires_mfa_has_the_owner_set_up_an_app_at_sign_in(dashboard, page) -> None:
    """moto never sends MFA_SETUP for USER_PASSWORD_AUTH, so Cognito's answers for that path are
    played by a route (as the Cognito API reference gives them); the last one carries real tokens."""
    owner = dashboard.new_owner()
    real = dashboard.cloud.sign_in(owner.email, "Browser-owner-2026")
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    calls: list[tuple[str, dict]] = []
    answers = {
        "InitiateAuth": {"ChallengeName": "MFA_SETUP", "Session": "session-1", "ChallengeParameters": {}},
        "AssociateSoftwareToken": {"SecretCode": secret, "Session": "session-2"},
        "VerifySoftwareToken": {"Status": "SUCCESS", "Session": "session-3"},
        "RespondToAuthChallenge": {
            "AuthenticationResult": {
                "IdToken": real.id_token,
                "AccessToken": real.access_token,
                "RefreshToken": real.refresh_token,
                "ExpiresIn": 900,
                "TokenType": "Bearer",
            }
        },
    }

    def cognito(route: Any) -> None:
        target = route.request.headers.get("x-amz-target", "")
        action = target.rsplit(".", 1)[-1]
        if route.request.method != "POST" or action not in answers:
            route.continue_()
            return
        calls.append((action, json.loads(route.request.post_data or "{}")))
        route.fulfill(status=200, content_type="application/x-amz-json-1.1", body=json.dumps(answers[action]))

    config = page.context.request.get(dashboard.web_url + "/config.json").json()
    page.route(config["cognito"]["endpoint"].rstrip("/") + "/**", cognito)
    page.route(config["cognito"]["endpoint"].rstrip("/"), cognito)

    page.goto(f"{dashboard.web_url}/#/sign-in")
    page.get_by_test_id("sign-in-email").fill(owner.email)
    page.get_by_test_id("sign-in-password").fill("Browser-owner-2026")
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("mfa-setup-step")).to_be_visible()
    expect(page.get_by_test_id("mfa-secret")).to_have_text("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP")
    page.get_by_test_id("mfa-code").fill("123456")
    page.get_by_test_id("mfa-submit").click()
    page.wait_for_url(re.compile(r"#/campaigns$"))
    expect(page.get_by_test_id("account-email")).to_have_text(owner.email)

    assert [action for action, _ in calls] == [
        "InitiateAuth",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "RespondToAuthChallenge",
    ]
    body = dict(calls)
    assert body["AssociateSoftwareToken"] == {"Session": "session-1"}
    assert body["VerifySoftwareToken"]["Session"] == "session-2"
    assert body["VerifySoftwareToken"]["UserCode"] == "123456"
    assert body["RespondToAuthChallenge"]["ChallengeName"] == "MFA_SETUP"
    assert body["RespondToAuthChallenge"]["Session"] == "session-3"
    assert body["RespondToAuthChallenge"]["ChallengeResponses"] == {"USERNAME": owner.email}
