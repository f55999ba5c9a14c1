"""Issue 15 in a real browser: the playlist check at creation, a spend's cost per stream on the
page, the list and the export, and the campaign list as a sortable table (axe at 1366 and 360 px)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, no_horizontal_scroll, screenshot
from tests.integration.journey import approve, consent_cookie, finish, start

pytestmark = pytest.mark.slow


def test_a_playlist_spotify_will_not_show_is_saved_with_its_warning_before_any_listener(dashboard, page) -> None:
    spotify = dashboard.spotify
    tag = uuid.uuid4().hex[:6]
    someone = spotify.create_user(f"private-owner-{tag}")
    tracks = [track["id"] for track in spotify.tracks()[:2]]
    hidden = spotify.create_playlist(someone["id"], "Someone's private mix", tracks, public=False)
    owner = dashboard.new_owner()
    dashboard.sign_in(page, owner.email)
    page.get_by_test_id("new-campaign").click()
    form = page.get_by_test_id("campaign-form")
    expect(form).to_be_visible()
    # An album link first: a sentence naming what was pasted.
    page.get_by_test_id("campaign-playlist").fill(f"https://open.spotify.com/album/{hidden['id']}")
    page.get_by_test_id("campaign-name").focus()
    expect(page.get_by_test_id("playlist-check-warning")).to_contain_text("That is an album link")
    page.get_by_test_id("campaign-playlist").fill(hidden["uri"])
    page.get_by_test_id("campaign-name").fill(f"Hidden {tag}")
    warning = page.get_by_test_id("playlist-check-warning")
    expect(warning).to_contain_text("may be private")
    expect(warning).to_contain_text("connect the Spotify account that owns it")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-name")).to_have_text(f"Hidden {tag}")
    notice = page.get_by_test_id("notice-playlist-warning")
    expect(notice).to_contain_text("Spotify did not show this playlist")
    expect(page.get_by_test_id("verdict-sentence")).to_contain_text("Nobody has opened your link yet")
    # Listener numbers on the page name Development Mode's ceiling.
    expect(page.get_by_test_id("states-ceiling")).to_contain_text("Spotify lets this app follow 5 listeners;")
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors


def test_a_spend_shows_cost_per_stream_on_the_page_the_list_and_the_export(dashboard, page) -> None:
    spotify = dashboard.spotify
    tag = uuid.uuid4().hex[:6]
    artist = spotify.create_user(f"spend-artist-{tag}")
    tracks = [track["id"] for track in spotify.tracks()[:3]]
    playlist = spotify.create_playlist(artist["id"], f"Spend {tag}", tracks)
    owner = dashboard.new_owner()
    dashboard.sign_in(page, owner.email)
    page.get_by_test_id("new-campaign").click()
    page.get_by_test_id("campaign-name").fill(f"Paid {tag}")
    page.get_by_test_id("campaign-playlist").fill(playlist["uri"])
    page.get_by_test_id("campaign-name").focus()
    expect(page.get_by_test_id("playlist-check-name")).to_contain_text(f"Spend {tag}")
    page.get_by_test_id("campaign-spend_amount").fill("-3")
    page.get_by_test_id("campaign-spend_currency").fill("EUR")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("error-spend_amount")).to_contain_text("no minus sign")
    page.get_by_test_id("campaign-spend_amount").fill("6.00")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-name")).to_have_text(f"Paid {tag}")
    campaign_id = page.url.rsplit("/", 1)[-1]
    campaign = requests.get(f"{dashboard.api_url}/campaigns/{campaign_id}", headers=owner.headers, timeout=30).json()
    assert campaign["spend"] == {"currency": "EUR", "total": "6.00", "per_day": None, "by_source": {}}

    # A listener plays two tracks from the playlist: 2 weighted streams.
    listener = spotify.create_user(f"spend-listener-{tag}")
    started = start(dashboard.cloud, campaign["slug"])
    assert finish(approve(started, listener["id"]), consent_cookie(started)).status_code == 303
    dashboard.drain()
    soon = datetime.now(UTC) + timedelta(seconds=1)
    plays = [
        {"track_id": track, "played_at": (soon + timedelta(seconds=n)).isoformat(), "context_uri": playlist["uri"]}
        for n, track in enumerate(tracks[:2])
    ]
    spotify.add_plays(listener["id"], plays)
    dashboard.poll_everyone()

    page.reload()
    cost = page.get_by_test_id("verdict-cost_per_weighted_stream")
    expect(cost).to_contain_text("€")
    expect(cost).not_to_have_text("—")
    shown_on_page = cost.text_content()

    page.goto(f"{dashboard.web_url}/#/campaigns")
    row = page.locator(f"[data-campaign-id='{campaign_id}']")
    expect(row.get_by_test_id("row-cost_per_stream")).to_contain_text("€")
    expect(row.get_by_test_id("row-cost_per_stream")).not_to_have_text("—")
    assert row.get_by_test_id("row-cost_per_stream").text_content() == shown_on_page

    export = requests.get(f"{dashboard.api_url}/campaigns/{campaign_id}/export.csv", headers=owner.headers, timeout=30)
    assert export.status_code == 200, export.text
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows and {row["cost_currency"] for row in rows} == {"EUR"}
    per_stream = {row["cost_per_weighted_stream"] for row in rows}
    assert len(per_stream) == 1 and float(per_stream.pop()) > 0
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 360, "height": 740}], ids=["1366", "360"]
)
def test_the_campaign_list_is_a_sortable_table_with_no_serious_accessibility_issue(
    dashboard, new_context, viewport
) -> None:
    owner = dashboard.new_owner()
    tag = uuid.uuid4().hex[:6]
    for name, spend in ((f"A {tag}", None), (f"B {tag}", {"currency": "EUR", "total": "10"})):
        body = {"name": name, "playlist": "37i9dQZF1DXcBWIGoYBM5M", **({"spend": spend} if spend else {})}
        made = requests.post(f"{dashboard.api_url}/campaigns", json=body, headers=owner.headers, timeout=30)
        assert made.status_code == 201, made.text
    page = new_context(viewport=viewport).new_page()
    dashboard.sign_in(page, owner.email)
    table = page.get_by_test_id("campaign-list")
    expect(table).to_be_visible()
    expect(page.get_by_test_id("campaign-row")).to_have_count(2)
    expect(page.get_by_test_id("quota-ceiling")).to_contain_text("Spotify lets this app follow 5 listeners")
    names = page.get_by_test_id("campaign-link")
    expect(names).to_have_text([f"B {tag}", f"A {tag}"])  # newest first
    page.get_by_test_id("sort-name").click()
    expect(names).to_have_text([f"A {tag}", f"B {tag}"])
    header = page.locator("th", has=page.get_by_test_id("sort-name"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_test_id("sort-name")).to_be_focused()
    page.get_by_test_id("sort-name").press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(names).to_have_text([f"B {tag}", f"A {tag}"])
    expect(page.get_by_test_id("sparkline").first).to_have_attribute(
        "aria-label", "Streams on each of the last 7 days (UTC), oldest first: 0, 0, 0, 0, 0, 0, 0"
    )
    region = page.get_by_test_id("campaign-table")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
    assert no_horizontal_scroll(page)["fits"], no_horizontal_scroll(page)
    assert axe_violations(page) == []
    screenshot(page, f"campaign-list-{viewport['width']}")
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 360, "height": 740}], ids=["1366", "360"]
)
def test_a_spend_split_by_utm_source_is_entered_in_the_form_and_shown_per_source(
    dashboard, new_context, viewport
) -> None:
    owner = dashboard.new_owner()
    tag = uuid.uuid4().hex[:6]
    page = new_context(viewport=viewport).new_page()
    dashboard.sign_in(page, owner.email)
    page.get_by_test_id("new-campaign").click()
    page.get_by_test_id("campaign-name").fill(f"By source {tag}")
    page.get_by_test_id("campaign-playlist").fill("37i9dQZF1DXcBWIGoYBM5M")
    page.get_by_test_id("campaign-spend_amount").fill("60")
    page.get_by_test_id("campaign-spend_currency").fill("EUR")
    sources = page.get_by_test_id("campaign-spend_sources")
    sources.fill("newsletter: 40\ninstagram: 30")
    page.get_by_test_id("campaign-submit").click()
    error = page.get_by_test_id("error-spend_sources")
    expect(error).to_contain_text("add up to 70, more than the amount (60)")
    expect(sources).to_be_focused()
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)["fits"], no_horizontal_scroll(page)
    sources.fill("newsletter: 40\ninstagram: 12,50")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-name")).to_have_text(f"By source {tag}")
    campaign_id = page.url.rsplit("/", 1)[-1]
    campaign = requests.get(f"{dashboard.api_url}/campaigns/{campaign_id}", headers=owner.headers, timeout=30).json()
    assert campaign["spend"] == {
        "currency": "EUR",
        "total": "60",
        "per_day": None,
        "by_source": {"newsletter": "40", "instagram": "12.50"},
    }
    # Nobody came yet: each source's cost is shown, with no figure to divide by.
    expect(page.get_by_test_id("verdict-sources")).to_contain_text("newsletter — a stream, — a click")
    expect(page.get_by_test_id("verdict-sources")).to_contain_text("instagram — a stream")
    assert axe_violations(page) == []
    # Editing shows them (by name); dropping one line sends the rest.
    page.goto(f"{dashboard.web_url}/#/campaigns/{campaign_id}/edit")
    expect(page.get_by_test_id("campaign-spend_sources")).to_have_value("instagram: 12.50\nnewsletter: 40")
    page.get_by_test_id("campaign-spend_sources").fill("newsletter: 40")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-name")).to_have_text(f"By source {tag}")
    campaign = requests.get(f"{dashboard.api_url}/campaigns/{campaign_id}", headers=owner.headers, timeout=30).json()
    assert campaign["spend"]["by_source"] == {"newsletter": "40"}
    screenshot(page, f"spend-by-source-{viewport['width']}")
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors
