"""The owner dashboard (web/) in headless Chromium against the local cloud: sign-up,
the owner's Spotify connection, a campaign, a listener on a phone, the numbers;
names rendered as text; accessibility (axe-core); a 360 px wide phone."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import (
    PASSWORD,
    PHONE_UA,
    axe_violations,
    no_horizontal_scroll,
    screenshot,
)
from tests.integration.journey import approve, consent_cookie, finish, start

pytestmark = pytest.mark.slow

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def test_the_dashboard_loads_and_asks_to_sign_in(dashboard, page) -> None:
    page.goto(dashboard.web_url + "/")
    expect(page).to_have_url(re.compile(r"#/sign-in$"))
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()
    expect(page.get_by_test_id("app-loading")).to_have_count(0)
    config = requests.get(dashboard.web_url + "/config.json", timeout=10).json()
    assert config["apiUrl"] == dashboard.api_url
    recorder = page.context.recorder
    assert not recorder.page_errors and not recorder.console_errors, recorder


def test_the_accessibility_and_layout_checks_catch_a_broken_page(dashboard, page) -> None:
    """axe-core runs for real and the width check measures: both fail on a page broken on purpose."""
    page.goto(dashboard.web_url + "/#/sign-in")
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()
    page.evaluate(
        """() => {
            const image = document.createElement("img");  // no alt: axe's image-alt (critical)
            image.src = "/missing.png";
            const wide = document.createElement("div");
            wide.style.width = "2000px";
            wide.textContent = "too wide";
            document.querySelector("main").append(image, wide);
        }"""
    )
    assert "image-alt" in {violation["id"] for violation in axe_violations(page)}
    assert page.set_viewport_size({"width": 360, "height": 740}) is None
    assert no_horizontal_scroll(page)["fits"] is False


def test_an_owner_signs_up_and_sees_a_listener_s_streams(dashboard, new_context) -> None:
    spotify = dashboard.spotify
    tag = uuid.uuid4().hex[:6]
    artist = spotify.create_user(f"artist-{tag}", f"Artist {tag}")
    tracks = [track["id"] for track in spotify.tracks()[200:206]]
    playlist = spotify.create_playlist(artist["id"], "Browser test", tracks[:4])
    listener = spotify.create_user(f"phone-{tag}", f"Phone {tag}")
    owner_context = new_context()
    page = owner_context.new_page()

    # Sign up; the local user pool (moto) accepts any confirmation code.
    email = f"signup-{tag}@example.com"
    page.goto(dashboard.web_url + "/#/sign-up")
    page.get_by_test_id("sign-up-email").fill(email)
    page.get_by_test_id("sign-up-password").fill(PASSWORD)
    page.get_by_test_id("sign-up-submit").click()
    expect(page).to_have_url(re.compile(r"#/confirm\?email="))
    expect(page.get_by_test_id("confirm-email")).to_have_value(email)
    expect(page.get_by_test_id("confirm-intro")).to_contain_text("any code works")
    page.get_by_test_id("confirm-code").fill("000000")
    page.get_by_test_id("confirm-submit").click()
    expect(page).to_have_url(re.compile(r"#/sign-in"))
    pool = dashboard.cloud.physical_id("OwnerUserPool")
    assert dashboard.cloud.client("cognito-idp").admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == (
        "CONFIRMED"
    )
    dashboard.sign_in(page, email)
    expect(page.get_by_test_id("account-email")).to_have_text(email)
    expect(page.get_by_test_id("campaigns-empty")).to_be_visible()

    # Connect the owner's Spotify on the emulator's consent page, as a person would.
    page.get_by_test_id("spotify-connect").click()
    page.wait_for_url(f"{spotify.url}/authorize?**")
    page.select_option("#login_as", artist["id"])
    page.click("#approve")
    page.wait_for_url(re.compile(r"#/campaigns$"))
    expect(page.get_by_test_id("spotify-status")).to_contain_text(f"Artist {tag}")

    # A campaign, through the form.
    page.get_by_test_id("new-campaign").click()
    page.get_by_test_id("campaign-name").fill(f"Launch {tag}")
    page.get_by_test_id("campaign-playlist").fill(f"https://open.spotify.com/playlist/{playlist['id']}")
    page.get_by_test_id("campaign-submit").click()
    page.wait_for_url(re.compile(r"#/campaigns/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("campaign-name")).to_have_text(f"Launch {tag}")
    tracker = page.get_by_test_id("tracker-link").inner_text().strip()
    assert tracker.startswith(dashboard.api_url + "/c/"), tracker

    # A listener opens the tracker link on a phone, reads the campaign's page, chooses
    # "Connect Spotify" and agrees on Spotify's page.
    phone = new_context(user_agent=PHONE_UA, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    listener_page = phone.new_page()
    listener_page.goto(tracker)
    expect(listener_page.locator("h1")).to_have_text(f"Launch {tag}")
    listener_page.locator("#connect").click()
    expect(listener_page).to_have_url(re.compile(re.escape(f"{spotify.url}/authorize?")))
    listener_page.select_option("#login_as", listener["id"])
    consented = datetime.now(UTC)
    listener_page.click("#approve")
    listener_page.wait_for_url(f"https://open.spotify.com/playlist/{playlist['id']}**")
    expect(listener_page.locator("#landed")).to_be_visible()
    dashboard.drain()  # the click is recorded; the first poll reads what they played before

    # They play two tracks from the playlist and one elsewhere; the pipeline runs.
    soon = consented + timedelta(seconds=2)
    spotify.add_plays(
        listener["id"],
        [
            {"track_id": tracks[0], "played_at": soon.isoformat(), "context_uri": playlist["uri"]},
            {"track_id": tracks[1], "played_at": (soon + timedelta(seconds=1)).isoformat()},
            {"track_id": tracks[5], "played_at": (soon + timedelta(seconds=2)).isoformat()},
        ],
    )
    dashboard.poll_everyone()

    page.get_by_test_id("refresh").click()
    expect(page.get_by_test_id("kpi-clicks")).to_have_text("1")
    expect(page.get_by_test_id("kpi-authorizations")).to_have_text("1")
    expect(page.get_by_test_id("kpi-listeners")).to_have_text("1")
    expect(page.get_by_test_id("kpi-streams")).to_have_text("2")
    expect(page.get_by_test_id("top-tracks-table")).to_be_visible()
    screenshot(page, "journey-campaign-page")
    for context in (owner_context, phone):
        assert not context.recorder.page_errors, context.recorder.page_errors
        assert not context.recorder.dialogs, context.recorder.dialogs


def test_names_from_owners_and_from_spotify_render_as_text(dashboard, new_context) -> None:
    """A campaign name and a track name holding markup show as text, and nothing runs.

    The context bypasses the page's CSP, so an escaping bug would run the payload:
    this checks the rendering itself, not only the CSP behind it."""
    spotify = dashboard.spotify
    tag = uuid.uuid4().hex[:6]
    hostile_track = "".join(secrets.choice(BASE62) for _ in range(22))
    emulator = dashboard.cloud.spotify
    with emulator.state.lock:  # the emulator has no control route for names: set it in its catalogue
        emulator.state.catalogue.ensure_track(hostile_track)["name"] = HOSTILE
    artist = spotify.create_user(f"xss-artist-{tag}", "<b>Artist</b>")
    playlist = spotify.create_playlist(artist["id"], "<i>Playlist</i>", [hostile_track])
    owner = dashboard.new_owner()
    name = f"{HOSTILE} {tag}"
    created = requests.post(
        f"{dashboard.api_url}/campaigns",
        json={"name": name, "playlist": playlist["uri"]},
        headers=owner.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    listener = spotify.create_user(f"xss-listener-{tag}")
    started = start(dashboard.cloud, campaign["slug"])
    assert finish(approve(started, listener["id"]), consent_cookie(started)).status_code == 303
    dashboard.drain()
    played = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    spotify.add_plays(
        listener["id"], [{"track_id": hostile_track, "played_at": played, "context_uri": playlist["uri"]}]
    )
    dashboard.poll_everyone()

    context = new_context(bypass_csp=True)
    page = context.new_page()
    dashboard.sign_in(page, owner.email)
    link = page.get_by_test_id("campaign-link").filter(has_text=tag)
    expect(link).to_have_text(name)
    link.click()
    expect(page.get_by_test_id("campaign-name")).to_have_text(name)
    expect(page.get_by_test_id("kpi-streams")).to_have_text("1")
    expect(page.get_by_test_id("top-tracks-table")).to_contain_text(HOSTILE)
    assert HOSTILE in page.title()
    page.wait_for_timeout(500)  # an injected onerror would have fired by now
    assert context.recorder.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("main script").count() == 0
    assert not context.recorder.page_errors, context.recorder.page_errors


def _open_main_pages(dashboard, demo, page):
    """Yield (name, ready page) for sign-in, the campaigns list and the demo's campaign page."""
    page.goto(dashboard.web_url + "/#/sign-in")
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()
    yield "sign-in"
    dashboard.sign_in(page, demo.owner.email, demo.password)
    expect(page.get_by_test_id("campaign-link").first).to_be_visible()
    expect(page.get_by_test_id("spotify-status")).to_contain_text("Demo Artist")
    yield "campaigns"
    page.get_by_test_id("campaign-link").first.click()
    expect(page.get_by_test_id("kpi-streams")).not_to_have_text("0")
    expect(page.get_by_test_id("top-tracks-table")).to_be_visible()
    page.wait_for_timeout(400)  # charts finish drawing (their animation is 250 ms)
    yield "campaign-page"
    page.get_by_test_id("campaign-edit").click()
    expect(page.get_by_test_id("campaign-form")).to_be_visible()
    yield "campaign-form"


def test_main_pages_have_no_serious_accessibility_violations(dashboard, demo, page) -> None:
    found = {}
    for name in _open_main_pages(dashboard, demo, page):
        found[name] = axe_violations(page)
        screenshot(page, name)
    assert found == {name: [] for name in found}, found
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors


def test_main_pages_fit_a_360_px_wide_phone(dashboard, demo, new_context) -> None:
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    widths, found = {}, {}
    for name in _open_main_pages(dashboard, demo, page):
        widths[name] = no_horizontal_scroll(page)
        found[name] = axe_violations(page)
        screenshot(page, f"{name}-360")
    assert all(width["fits"] for width in widths.values()), widths
    assert found == {name: [] for name in found}, found


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 360, "height": 740}], ids=["1366", "360"]
)
def test_the_verdict_is_the_first_thing_on_a_campaign_s_page(dashboard, demo, new_context, viewport) -> None:
    """Desktop: inside the first 900 px. Phone: inside the first screen. The link and QR code come after the numbers."""
    page = new_context(viewport=viewport).new_page()
    dashboard.sign_in(page, demo.owner.email, demo.password)
    page.get_by_test_id("campaign-link").first.click()
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_be_visible()
    expect(page.get_by_test_id("verdict-weighted_streams")).not_to_have_text("—")
    expect(page.get_by_test_id("verdict-sentence")).to_contain_text("played your playlist")
    expect(page.get_by_test_id("verdict-checked")).to_contain_text("Spotify last checked")
    expect(page.get_by_test_id("tracker-link")).to_be_attached()

    def bottom(test_id: str) -> float:
        return page.get_by_test_id(test_id).evaluate("node => node.getBoundingClientRect().bottom + window.scrollY")

    assert bottom("verdict") <= viewport["height"], (bottom("verdict"), viewport)
    assert bottom("tracker-link") > bottom("top-tracks"), "the Share section comes after the numbers"
    assert bottom("verdict") < bottom("analytics-controls")
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors


def _seed_counters(dashboard, campaign_id: str, at: datetime, *, track: str, referrer: str, plays: int) -> None:
    """Counters of `plays` plays and clicks of one listener on `at`'s day, as the pipeline keys them
    (soundlink.platform.counters): written straight into the local cloud's StatsTable."""
    from soundlink.platform.counters import counter_sort_keys, day_scoped

    client = dashboard.cloud.client("dynamodb")
    table = dashboard.cloud.physical_id("StatsTable")
    counts = {
        "clicks": plays,
        "unique_clicks": plays,
        "authorizations": 1,
        "attributed_plays": plays,
        "listeners": 1,
        "new_listeners": 1,
        **{f"streams_{model}": plays for model in ("last_touch", "first_touch", "linear", "time_decay")},
    }
    keys = {key: counts for key in counter_sort_keys(at, {"referrer": referrer}, 0, also=("CONF#9",))}
    keys[day_scoped(at, f"TRACK#{track}#0")] = {"attributed_plays": plays, "listeners": 1}
    for model in ("last_touch", "first_touch", "linear", "time_decay"):
        keys[day_scoped(at, f"MODEL#{model}#C9#0")] = {"streams": plays, "weighted_streams": plays}
    for sort_key, values in keys.items():
        names = {f"#n{i}": name for i, name in enumerate(values)}
        client.update_item(
            TableName=table,
            Key={"pk": {"S": f"CAMPAIGN#{campaign_id}"}, "sk": {"S": sort_key}},
            UpdateExpression="ADD " + ", ".join(f"#n{i} :v{i}" for i in range(len(values))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":v{i}": {"N": str(value)} for i, value in enumerate(values.values())},
        )


def test_changing_the_range_changes_totals_tracks_breakdowns_and_the_deltas(dashboard, new_context) -> None:
    spotify = dashboard.spotify
    tag = uuid.uuid4().hex[:6]
    artist = spotify.create_user(f"range-artist-{tag}", f"Range {tag}")
    tracks = [track["id"] for track in spotify.tracks()[210:212]]
    playlist = spotify.create_playlist(artist["id"], "Range test", tracks)
    owner = dashboard.new_owner()
    now = datetime.now(UTC)
    created = requests.post(
        f"{dashboard.api_url}/campaigns",
        json={"name": f"Range {tag}", "playlist": playlist["uri"], "starts_at": (now - timedelta(days=40)).isoformat()},
        headers=owner.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    # 10 days ago: 3 plays of the first track from t.co; 2 hours ago: 5 plays of the second from a newsletter
    _seed_counters(dashboard, campaign["id"], now - timedelta(days=10), track=tracks[0], referrer="t.co", plays=3)
    _seed_counters(
        dashboard, campaign["id"], now - timedelta(hours=2), track=tracks[1], referrer="news.example", plays=5
    )

    page = new_context(viewport={"width": 1366, "height": 900}).new_page()
    dashboard.sign_in(page, owner.email)
    page.get_by_test_id("campaign-link").filter(has_text=tag).click()
    # The whole campaign (the default): both days
    expect(page.get_by_test_id("kpi-clicks")).to_have_text("8")
    expect(page.get_by_test_id("top-tracks-table").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("breakdown-table")).to_contain_text("t.co")

    page.get_by_test_id("range").select_option("7")
    expect(page.get_by_test_id("kpi-clicks")).to_have_text("5")
    expect(page.get_by_test_id("top-tracks-table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("breakdown-table")).not_to_contain_text("t.co")
    expect(page.get_by_test_id("breakdown-table")).to_contain_text("news.example")
    # the previous 7 days held the other listener and 3 streams
    expect(page.get_by_test_id("verdict-change-weighted_streams")).to_have_text("+2 vs previous 7 days")
    expect(page.get_by_test_id("verdict-change-listeners")).to_have_text("no change vs previous 7 days")

    page.get_by_test_id("range").select_option("30")
    expect(page.get_by_test_id("kpi-clicks")).to_have_text("8")
    expect(page.get_by_test_id("verdict-change-weighted_streams")).to_have_text("+8 vs previous 30 days")
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors


def _seed_people(dashboard, campaign_id: str, at: datetime, people: int) -> None:
    """`people` listeners on `at`'s UTC day: the day's people sketch (as attribution writes it) and
    the listener counters of their first plays (one already seeded by _seed_counters)."""
    from soundlink.platform import people as sketches
    from soundlink.platform.counters import counter_sort_keys, day_of

    client = dashboard.cloud.client("dynamodb")
    table = dashboard.cloud.physical_id("StatsTable")
    pk = {"S": f"CAMPAIGN#{campaign_id}"}
    sketch = sketches.with_people(None, [f"listener-{n}" for n in range(people)])
    item = {"pk": pk, "sk": {"S": sketches.sort_key(day_of(at))}, "people": {"B": sketch}, "version": {"N": "1"}}
    client.put_item(TableName=table, Item=item)
    for sort_key in counter_sort_keys(at, {}, 0):  # TOTAL, HOUR, DAY
        client.update_item(
            TableName=table,
            Key={"pk": pk, "sk": {"S": sort_key}},
            UpdateExpression="ADD listeners :n",
            ExpressionAttributeValues={":n": {"N": str(people - 1)}},
        )


def test_listeners_of_a_shorter_range_say_about_when_they_are_estimated(dashboard, new_context) -> None:
    spotify = dashboard.spotify
    tag = uuid.uuid4().hex[:6]
    artist = spotify.create_user(f"people-artist-{tag}", f"People {tag}")
    tracks = [track["id"] for track in spotify.tracks()[212:213]]
    playlist = spotify.create_playlist(artist["id"], "People test", tracks)
    owner = dashboard.new_owner()
    now = datetime.now(UTC)
    starts_at = (now - timedelta(days=20)).isoformat()
    created = requests.post(
        f"{dashboard.api_url}/campaigns",
        json={"name": f"People {tag}", "playlist": playlist["uri"], "starts_at": starts_at},
        headers=owner.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    played = now - timedelta(hours=2)
    _seed_counters(dashboard, campaign["id"], played, track=tracks[0], referrer="t.co", plays=3)
    _seed_people(dashboard, campaign["id"], played, 1000)  # past ~380 people: the day's sketch estimates

    page = new_context(viewport={"width": 1366, "height": 900}).new_page()
    dashboard.sign_in(page, owner.email)
    page.get_by_test_id("campaign-link").filter(has_text=tag).click()
    # The whole campaign (the default): the exact count of first plays
    expect(page.get_by_test_id("verdict-listeners")).to_have_text("1,000")
    expect(page.get_by_test_id("verdict-sentence")).to_contain_text("1,000 people who clicked have played")

    page.get_by_test_id("range").select_option("7")
    # The last 7 days: people merged from the days' sketches, an estimate
    expect(page.get_by_test_id("verdict-listeners")).to_have_text(re.compile(r"^about \d,\d{3}$"))
    expect(page.get_by_test_id("verdict-sentence")).to_contain_text(re.compile(r"^About \d,\d{3} people who clicked"))
    expect(page.get_by_test_id("funnel-listeners")).to_contain_text("about ")
    expect(page.get_by_test_id("kpi-listeners")).to_have_text(re.compile(r"^about \d,\d{3}$"))
    # New listeners are events, never estimated
    expect(page.get_by_test_id("verdict-new_listeners")).to_have_text("1")
    assert not page.context.recorder.page_errors, page.context.recorder.page_errors
