"""The landing page a listener sees at /c/{slug}, in a real browser: legible on a 360 px phone
and on a laptop, accessible, no script, and its two ways on work (issue 13)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PHONE_UA, axe_violations, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.slow


def _campaign(dashboard, **fields) -> dict:
    import requests

    owner = dashboard.new_owner()
    body = {
        "name": f"Spring Tour — the live sessions {uuid.uuid4().hex[:4]}",
        "playlist": "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
        **fields,
    }
    created = requests.post(f"{dashboard.api_url}/campaigns", json=body, headers=owner.headers, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()


@pytest.mark.parametrize(
    ("width", "height", "language"), [(360, 740, "en-US"), (1366, 768, "en-US"), (360, 740, "de-DE")]
)
def test_the_landing_page_reads_well_and_fits(dashboard, new_context, width, height, language) -> None:
    campaign = _campaign(dashboard, presented_by="The Night Owls")
    # bypass_csp: only so that axe-core can be injected; the test asserts the page has no script itself.
    context = new_context(
        user_agent=PHONE_UA if width < 600 else None,
        viewport={"width": width, "height": height},
        locale=language,
        bypass_csp=True,
    )
    page = context.new_page()
    page.goto(campaign["tracker_url"])
    expect(page.locator("h1")).to_have_text(campaign["name"])
    expect(page.locator("#connect")).to_be_visible()
    expect(page.locator("#just-play")).to_be_visible()
    assert page.locator("script").count() == 0
    assert no_horizontal_scroll(page)["fits"], no_horizontal_scroll(page)
    screenshot(page, f"landing-{width}-{language}")
    assert axe_violations(page) == []
    if language.startswith("de"):
        expect(page.locator("#connect")).to_have_text("Spotify verbinden")
    # The connect control is large enough to tap.
    box = page.locator("#connect").bounding_box()
    assert box and box["height"] >= 40
    assert not context.recorder.page_errors, context.recorder.page_errors


def test_just_play_takes_the_listener_to_the_playlist(dashboard, new_context) -> None:
    campaign = _campaign(dashboard)
    page = new_context(user_agent=PHONE_UA, viewport={"width": 360, "height": 740}).new_page()
    page.goto(campaign["tracker_url"])
    page.locator("#just-play").click()
    page.wait_for_url(re.compile(r"^https://open\.spotify\.com/playlist/"))
    expect(page.locator("#landed")).to_be_visible()
