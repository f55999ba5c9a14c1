"""#/settings in headless Chromium against the local cloud: the owner's time zone names every
date, the account is deleted (its Cognito user and data gone), and axe finds nothing serious."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import PASSWORD, axe_violations, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.slow
PLAYLIST = "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"
ZONE = "Pacific/Kiritimati"  # GMT+14: no test machine's own zone


def test_the_owners_time_zone_names_the_dates_of_a_campaign(dashboard, page) -> None:
    owner = dashboard.new_owner()
    ends = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
    made = requests.post(
        f"{dashboard.api_url}/campaigns",
        json={"name": "Zoned", "playlist": PLAYLIST, "ends_at": ends},
        headers=owner.headers,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    dashboard.sign_in(page, owner.email)

    page.get_by_test_id("account-link").click()
    expect(page).to_have_url(re.compile(r"#/settings$"))
    zone = page.get_by_test_id("settings-time-zone")
    expect(zone.locator("option")).not_to_have_count(0)
    zone.select_option(ZONE)
    page.get_by_test_id("settings-currency").select_option("EUR")
    page.get_by_test_id("preferences-submit").click()
    expect(page.get_by_test_id("status")).to_contain_text(f"Dates are shown in {ZONE}")
    stored = requests.get(f"{dashboard.api_url}/owner/settings", headers=owner.headers, timeout=30).json()
    assert (stored["time_zone"], stored["currency"]) == (ZONE, "EUR")

    page.goto(f"{dashboard.web_url}/#/campaigns/{made.json()['id']}")
    expect(page.get_by_test_id("campaign-name")).to_have_text("Zoned")
    expect(page.get_by_text(re.compile(r"Ends .*GMT\+14"))).to_be_visible()
    # After a reload too: the zone comes from the stored settings, not from this tab.
    page.reload()
    expect(page.get_by_text(re.compile(r"Ends .*GMT\+14"))).to_be_visible()


def test_an_owner_deletes_their_account_and_cannot_sign_in_again(dashboard, page) -> None:
    owner = dashboard.new_owner()
    made = requests.post(
        f"{dashboard.api_url}/campaigns",
        json={"name": "Goodbye", "playlist": PLAYLIST},
        headers=owner.headers,
        timeout=30,
    ).json()
    dashboard.sign_in(page, owner.email)
    page.goto(f"{dashboard.web_url}/#/settings")

    page.get_by_test_id("delete-account-email").fill("someone-else@example.com")
    page.get_by_test_id("delete-account-submit").click()
    expect(page.get_by_test_id("error-confirm_email")).to_contain_text(owner.email)
    page.get_by_test_id("delete-account-email").fill(owner.email)
    page.get_by_test_id("delete-account-submit").click()

    expect(page).to_have_url(re.compile(r"#/sign-in$"))
    expect(page.get_by_test_id("status")).to_contain_text("Goodbye")
    pool = dashboard.cloud.physical_id("OwnerUserPool")
    cognito = dashboard.cloud.client("cognito-idp")
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=pool, Username=owner.email)
    page.get_by_test_id("sign-in-email").fill(owner.email)
    page.get_by_test_id("sign-in-password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("sign-in-error")).to_be_visible()
    # The old ID token still passes the authorizer for minutes, and finds nothing.
    assert requests.get(f"{dashboard.api_url}/campaigns", headers=owner.headers, timeout=30).json()["campaigns"] == []
    ended = requests.get(made["tracker_url"], headers={"User-Agent": "Mozilla/5.0 Chrome/131.0"}, timeout=30)
    assert ended.status_code == 410 and "This campaign has ended" in ended.text


@pytest.mark.parametrize("width", [1366, 360])
def test_the_settings_page_is_accessible_and_fits(dashboard, page, width) -> None:
    owner = dashboard.new_owner()
    dashboard.sign_in(page, owner.email)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{dashboard.web_url}/#/settings")
    expect(page.get_by_test_id("settings-time-zone").locator("option")).not_to_have_count(0)
    expect(page.get_by_test_id("mfa-status")).not_to_have_text("Checking…")
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)["fits"] is True
    screenshot(page, f"settings-{width}")


def test_an_owner_changes_their_password(dashboard, page) -> None:
    owner = dashboard.new_owner()
    dashboard.sign_in(page, owner.email)
    page.goto(f"{dashboard.web_url}/#/settings")
    page.get_by_test_id("password-current").fill("Not-my-password-2026")
    page.get_by_test_id("password-new").fill("short")
    page.get_by_test_id("password-submit").click()
    expect(page.get_by_test_id("error-password")).to_contain_text("at least 12 characters")
    page.get_by_test_id("password-new").fill("Changed-password-2026")
    page.get_by_test_id("password-submit").click()
    expect(page.get_by_test_id("error-current")).to_contain_text("not your current password")
    page.get_by_test_id("password-current").fill(PASSWORD)
    page.get_by_test_id("password-submit").click()
    expect(page.get_by_test_id("status")).to_contain_text("Your password is changed")

    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile(r"#/sign-in$"))
    dashboard.sign_in(page, owner.email, "Changed-password-2026")
