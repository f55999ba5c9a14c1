"""The Fans section of a campaign's page in headless Chromium: the figures (never a zero where
nothing was measured), the cohort table, the verdict's fans; axe-clean at 1366 and 360 px."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import ARTIFACTS, axe_violations, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.slow

PLAYLIST = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
SAVED = [f"{n:02d}".rjust(22, "T") for n in range(11)]  # 11 track ids; the last has the most people


def fans_campaign(dashboard, owner, *, measure_fans: bool) -> str:
    """A campaign whose counters hold fans and a cohort table, as the pipeline writes them."""
    created = requests.post(
        f"{dashboard.api_url}/campaigns",
        json={"name": "Fans single", "playlist": PLAYLIST, "attribution_window_days": 14, "measure_fans": measure_fans},
        headers=owner.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    client, table = dashboard.cloud.client("dynamodb"), dashboard.cloud.physical_id("StatsTable")

    def add(sort_key: str, **counts: int) -> None:
        names = {f"#{name}": name for name in counts}
        values = {f":{name}": {"N": str(n)} for name, n in counts.items()}
        client.update_item(
            TableName=table,
            Key={"pk": {"S": f"CAMPAIGN#{campaign_id}"}, "sk": {"S": sort_key}},
            UpdateExpression="ADD " + ", ".join(f"#{name} :{name}" for name in counts),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    add("TOTAL#3", new_saves=2, new_artist_followers=1, fans_measured=5, fans_not_measured=1)
    add("COHORT#2026-11-23#ALL#0", listeners=4)
    add("COHORT#2026-11-23#W1#0", listeners=3)
    add("COHORT#2026-11-23#W2#5", listeners=1)
    add("COHORT#2026-11-30#ALL#1", listeners=2)
    add("COHORT#2026-11-30#W1#1", listeners=2)
    # Which tracks got new saves (attribution/saved_tracks.py): 11 tracks, one named by its
    # stream counter of today (inside the page's default dates).
    for n, track_id in enumerate(SAVED):
        client.update_item(
            TableName=table,
            Key={"pk": {"S": f"CAMPAIGN#{campaign_id}"}, "sk": {"S": f"SAVED#0#{n % 8}"}},
            UpdateExpression="ADD #track :n",
            ExpressionAttributeNames={"#track": f"track:{track_id}"},
            ExpressionAttributeValues={":n": {"N": str(n + 1)}},
        )
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    client.update_item(
        TableName=table,
        Key={"pk": {"S": f"CAMPAIGN#{campaign_id}"}, "sk": {"S": f"DAY#{today}#TRACK#{SAVED[-1]}#0"}},
        UpdateExpression="ADD attributed_plays :one SET track_name = :name",
        ExpressionAttributeValues={":one": {"N": "1"}, ":name": {"S": "Night Drive"}},
    )
    return campaign_id


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 360, "height": 740}], ids=["1366", "360"]
)
def test_the_fans_section_shows_saves_follows_and_who_came_back(dashboard, new_context, viewport) -> None:
    owner = dashboard.new_owner()
    campaign_id = fans_campaign(dashboard, owner, measure_fans=True)
    page = new_context(viewport=viewport).new_page()
    dashboard.sign_in(page, owner.email)
    page.goto(f"{dashboard.web_url}/#/campaigns/{campaign_id}")
    section = page.get_by_test_id("fans")
    expect(section).to_be_visible()
    expect(page.get_by_test_id("fans-new_saves")).to_have_text("2")
    expect(page.get_by_test_id("fans-new_playlist_followers")).to_have_text("0")  # measured: a real zero
    expect(page.get_by_test_id("fans-new_artist_followers")).to_have_text("1")
    expect(page.get_by_test_id("fans-not_measured_listeners")).to_have_text("1")
    saved = page.get_by_test_id("fans-saved-list").locator("li")
    expect(saved).to_have_count(10)  # the top 10, then "and N more"
    expect(saved.nth(0)).to_have_text("Night Drive — 11 people")
    expect(saved.nth(1)).to_have_text("A track not streamed in these dates — 10 people")
    assert saved.nth(0).locator("a").get_attribute("href") == f"https://open.spotify.com/track/{SAVED[-1]}"
    expect(page.get_by_test_id("fans-saved-more")).to_have_text("and 1 more track")
    line = page.get_by_test_id("verdict-fans")  # in the verdict too, on one line even on a phone
    expect(line).to_have_text("2 saved · 1 artist · 0 playlist follows")
    height, line_height = line.evaluate(
        "n => [n.getBoundingClientRect().height, parseFloat(getComputedStyle(n).lineHeight)]"
    )
    assert height < 1.5 * line_height, (height, line_height)
    rows = page.get_by_test_id("cohorts").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("cohorts").locator("thead th")).to_have_text(
        ["Week of first click (UTC)", "Listeners", "Week 1", "Week 2"]
    )
    expect(rows.nth(0).locator("td")).to_have_text(["4", "3 (75%)", "1 (25%)"])
    expect(rows.nth(1).locator("td")).to_have_text(["2", "2 (100%)", "0 (0%)"])
    region = page.get_by_test_id("cohort-table")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
    section.scroll_into_view_if_needed()
    name = f"fans-{viewport['width']}"
    screenshot(page, name)
    section.screenshot(path=str(ARTIFACTS / f"{name}-section.png"))
    page.get_by_test_id("verdict").screenshot(path=str(ARTIFACTS / f"{name}-verdict.png"))
    assert axe_violations(page) == []
    if viewport["width"] == 360:
        assert no_horizontal_scroll(page)["fits"]
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors


def test_without_the_option_the_cohorts_show_and_no_fans_figure_does(dashboard, new_context) -> None:
    owner = dashboard.new_owner()
    campaign_id = fans_campaign(dashboard, owner, measure_fans=False)
    page = new_context().new_page()
    dashboard.sign_in(page, owner.email)
    page.goto(f"{dashboard.web_url}/#/campaigns/{campaign_id}")
    expect(page.get_by_test_id("fans")).to_be_visible()
    expect(page.get_by_test_id("cohorts").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("fans-figures")).to_be_hidden()
    expect(page.get_by_test_id("verdict-fans")).to_be_hidden()
    expect(page.get_by_test_id("fans-saved-tracks")).to_be_hidden()
    expect(page.get_by_test_id("fans")).to_contain_text("not measured for this campaign")


def test_the_campaign_form_turns_fans_on(dashboard, new_context) -> None:
    owner = dashboard.new_owner()
    campaign_id = fans_campaign(dashboard, owner, measure_fans=False)
    page = new_context().new_page()
    dashboard.sign_in(page, owner.email)
    page.goto(f"{dashboard.web_url}/#/campaigns/{campaign_id}/edit")
    box = page.get_by_test_id("campaign-measure_fans")
    expect(box).not_to_be_checked()
    expect(page.get_by_text("keeps only a yes or no")).to_be_visible()
    box.check()
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("fans-new_saves")).to_have_text("2")
    stored = requests.get(f"{dashboard.api_url}/campaigns/{campaign_id}", headers=owner.headers, timeout=30).json()
    assert stored["measure_fans"] is True
