"""Issue 15 in a real browser: the campaign page's "Download clicks (CSV)" saves the clicks export
(by hour, no visitor key) next to the plays export."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.integration.journey import click

pytestmark = pytest.mark.slow


def test_the_clicks_button_downloads_the_clicks_of_the_range_on_screen(dashboard, page) -> None:
    owner = dashboard.new_owner()
    body = {
        "name": f"Clicks {uuid.uuid4().hex[:6]}",
        "playlist": "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
    }
    created = requests.post(f"{dashboard.api_url}/campaigns", json=body, headers=owner.headers, timeout=30)
    assert created.status_code == 201, created.text
    campaign = created.json()
    answer = click(dashboard.cloud, campaign["slug"], query={"utm_source": "newsletter"})
    assert answer.status_code == 200, answer.text
    dashboard.drain()

    dashboard.sign_in(page, owner.email)
    page.goto(f"{dashboard.web_url}/#/campaigns/{campaign['id']}")
    expect(page.get_by_test_id("export-csv")).to_be_visible()
    button = page.get_by_test_id("export-clicks-csv")
    expect(button).to_have_text("Download clicks (CSV)")
    expect(page.get_by_test_id("analytics-loading")).to_be_hidden()
    with page.expect_download() as download:
        button.click()
    saved = download.value
    assert saved.suggested_filename == f"soundlink-{campaign['slug']}-clicks.csv"
    text = Path(saved.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1, text
    [row] = rows
    assert (row["kind"], row["step"], row["utm_source"], row["referrer"]) == (
        "human",
        "view",
        "newsletter",
        "news.example.org",
    )
    assert row["hour"].endswith(":00:00Z")
    assert "visitor" not in text and "click_id" not in text
    expect(button).to_be_enabled()
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors
