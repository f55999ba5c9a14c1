"""Counts no one can fake, consent no one can skip (issue 13), through the local cloud.

Each test that floods binds its own loopback source address (127.0.0.x): the local cloud
applies the WAF rate rule per client address, like AWS, and the other tests stay unmarked.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from tests.integration.journey import (
    BROWSER,
    COOKIE,
    VISITOR_COOKIE,
    approve,
    click,
    connect_link,
    consent_cookie,
    counters,
    data_items,
    drain,
    finish,
    follow_connect,
    new_campaign,
    set_cookies,
    start,
)

pytestmark = pytest.mark.slow


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address (a client of its own, for the rate rule)."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        return super().init_poolmanager(*args, **kwargs)


def client_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAddress(address))
    return session


@pytest.fixture(scope="module")
def owner(local_cloud: LocalCloud):
    return local_cloud.create_owner(f"integrity-{uuid.uuid4().hex[:8]}@example.com", "Integrity-owner-2026")


class SpotifyUsers(EmulatorControl):
    def token_requests(self) -> int:
        return int(self.requests()["by_endpoint"].get("token", 0))


@pytest.fixture
def spotify_users(local_cloud: LocalCloud) -> SpotifyUsers:
    return SpotifyUsers(local_cloud.spotify_url)


def states_of(cloud: LocalCloud, campaign_id: str) -> list[dict]:
    return [
        item for item in data_items(cloud, None, prefix="STATE#") if item.get("campaign_id", {}).get("S") == campaign_id
    ]


def analytics(cloud: LocalCloud, owner, campaign_id: str) -> dict:
    answer = requests.get(f"{cloud.api_url}/campaigns/{campaign_id}/analytics", headers=owner.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["totals"]


def test_200_requests_of_one_visitor_following_connect_count_at_most_2_visitors_5_clicks_5_states(
    local_cloud, owner
) -> None:
    campaign = new_campaign(local_cloud, owner)
    http = client_at("127.0.0.61")
    url = f"{local_cloud.api_url}/c/{campaign['slug']}"
    made = 0
    for i in range(200):
        agent = BROWSER.replace("Chrome/131.0.0.0", f"Chrome/131.0.{i}.0")
        page = http.get(url, headers={"User-Agent": agent}, allow_redirects=False, timeout=30)
        made += 1
        if page.status_code != 200:  # marked by the rate rule (past PublicRateLimit): suspicious
            assert page.headers["location"] == campaign["destination_url"]
            continue
        followed = follow_connect(page, user_agent=agent, session=http)
        made += 1
        assert followed.status_code == 302
        location = followed.headers["location"]
        # Past the visitor's limit, suspicious: the destination, never Spotify.
        assert location == campaign["destination_url"] or "/authorize?" in location
    drain(local_cloud)

    assert len(states_of(local_cloud, campaign["id"])) <= 5
    totals = counters(local_cloud, campaign["id"])["TOTAL"]
    assert totals.get("unique_clicks", 0) <= 2
    assert totals.get("clicks", 0) <= 5
    assert totals.get("connect_clicks", 0) <= 5 and totals.get("consents_started", 0) <= 5
    # Everything else is counted, apart: each request is one click of some class.
    assert totals["clicks"] + totals["connect_clicks"] + totals["suspicious_clicks"] == made
    assert "bot_clicks" not in totals
    shown = analytics(local_cloud, owner, campaign["id"])
    assert shown["clicks"] == totals.get("clicks", 0) and shown["suspicious_clicks"] == totals["suspicious_clicks"]
    assert shown["unique_clicks"] <= 2


def test_20_browsers_from_one_address_are_20_visitors_and_a_returning_cookie_stays_one(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner)
    http = client_at("127.0.0.62")
    url = f"{local_cloud.api_url}/c/{campaign['slug']}"
    jars = []
    for major in range(110, 130):
        agent = BROWSER.replace("Chrome/131.0.0.0", f"Chrome/{major}.0.0.0")
        page = http.get(url, headers={"User-Agent": agent}, allow_redirects=False, timeout=30)
        assert page.status_code == 200
        jars.append((agent, set_cookies(page)[VISITOR_COOKIE]))
    # The first browser comes back with its cookie, updated to a new major version, from another address.
    agent, visitor = jars[0]
    elsewhere = client_at("127.0.0.63")
    for newer in ("Chrome/140.0.0.0", "Chrome/141.0.0.0"):
        back = elsewhere.get(
            url,
            headers={"User-Agent": agent.replace("Chrome/110.0.0.0", newer), "Cookie": f"{VISITOR_COOKIE}={visitor}"},
            allow_redirects=False,
            timeout=30,
        )
        assert back.status_code == 200 and VISITOR_COOKIE not in set_cookies(back)  # kept, not replaced
    drain(local_cloud)
    totals = counters(local_cloud, campaign["id"])["TOTAL"]
    assert totals["clicks"] == 22 and totals["unique_clicks"] == 20
    assert "suspicious_clicks" not in totals


def test_a_navigation_without_the_button_starts_no_consent(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner)
    page = click(local_cloud, campaign["slug"])
    link = connect_link(page)
    # Another site sends the browser to the connect URL (even with a token it learnt): without the
    # page's cookie, the person lands on the landing page and nothing is stored.
    for cookies in ({}, {"__Host-soundlink_page": "forged-cookie-value-xxxxxxxx"}):
        jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
        forged = requests.get(link, headers={"User-Agent": BROWSER, "Cookie": jar}, allow_redirects=False, timeout=30)
        assert forged.status_code == 303 and urlsplit(forged.headers["location"]).path == f"/c/{campaign['slug']}"
        assert "set-cookie" not in forged.headers
    bare = requests.get(
        f"{local_cloud.api_url}/c/{campaign['slug']}/connect",
        headers={"User-Agent": BROWSER},
        allow_redirects=False,
        timeout=30,
    )
    assert bare.status_code == 303
    assert states_of(local_cloud, campaign["id"]) == []
    drain(local_cloud)
    assert "connect_clicks" not in counters(local_cloud, campaign["id"])["TOTAL"]


def test_the_landing_page_is_small_static_and_speaks_the_listeners_language(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner, name="Spring Tour")
    page = click(local_cloud, campaign["slug"], headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert len(page.content) <= 10 * 1024
    assert 'id="connect"' in page.text and 'id="just-play"' in page.text and "/privacy" in page.text
    assert "<script" not in page.text and "Spring Tour" in page.text
    assert '<html lang="pt"' in page.text and "Conectar o Spotify" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    cookies = page.raw.headers.getlist("set-cookie")
    assert any(c.startswith("__Host-soundlink_page=") and "SameSite=Strict" in c for c in cookies)
    visitor = next(c for c in cookies if c.startswith(VISITOR_COOKIE + "="))
    assert "Max-Age=604800" in visitor and "Secure" in visitor and "HttpOnly" in visitor
    for language, words in (("es", "Conectar Spotify"), ("fr", "Connecter Spotify"), ("de", "Spotify verbinden")):
        assert words in click(local_cloud, campaign["slug"], headers={"Accept-Language": language}).text
    assert "Connect Spotify" in click(local_cloud, campaign["slug"], headers={"Accept-Language": "ja"}).text


def test_just_play_is_counted_and_goes_to_the_destination(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner)
    page = click(local_cloud, campaign["slug"])
    href = re.search(r'<a id="just-play" href="([^"]+)"', page.text).group(1)
    played = requests.get(href, headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30)
    assert played.status_code == 302 and played.headers["location"] == campaign["destination_url"]
    drain(local_cloud)
    totals = counters(local_cloud, campaign["id"])["TOTAL"]
    assert totals["just_play_clicks"] == 1 and totals["clicks"] == 1
    assert analytics(local_cloud, owner, campaign["id"])["just_play_clicks"] == 1


def test_implausible_browsers_go_on_but_count_only_as_suspicious(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner)
    for agent in ("x", "Mozilla/5.0", "Mozilla/5.0 (compatible)"):
        response = click(local_cloud, campaign["slug"], user_agent=agent)
        assert response.status_code == 302 and response.headers["location"] == campaign["destination_url"]
        assert "set-cookie" not in response.headers
    drain(local_cloud)
    assert counters(local_cloud, campaign["id"])["TOTAL"] == {"suspicious_clicks": 3}
    assert states_of(local_cloud, campaign["id"]) == []


def test_20_bogus_codes_spend_one_exchange_and_the_state_is_gone(local_cloud, owner, spotify_users) -> None:
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"])
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    cookie = consent_cookie(started)
    before = spotify_users.token_requests()
    for i in range(20):
        bogus = f"{local_cloud.api_url}/oauth/callback?state={state}&code=bogus-{i}"
        answer = finish(bogus, cookie)
        assert answer.status_code == 400
    assert spotify_users.token_requests() - before == 1
    assert states_of(local_cloud, campaign["id"]) == []
    # The real code, afterwards, cannot complete a consent with that state either.
    listener = spotify_users.create_user(f"late-{uuid.uuid4().hex[:8]}", "Late")
    late = finish(approve(started, listener["id"]), cookie)
    assert late.status_code == 400
    assert data_items(local_cloud, f"LISTENER#{listener['account_id']}") == []


def test_a_decline_counts_once_per_visitor_campaign_and_day(local_cloud, owner, spotify_users) -> None:
    campaign = new_campaign(local_cloud, owner)
    listener = spotify_users.create_user(f"decliner-{uuid.uuid4().hex[:8]}", "Decliner")
    page = click(local_cloud, campaign["slug"])
    jar = set_cookies(page)
    visitor = {VISITOR_COOKIE: jar[VISITOR_COOKIE]}
    for _ in range(3):
        page = requests.get(
            f"{local_cloud.api_url}/c/{campaign['slug']}",
            headers={"User-Agent": BROWSER, "Cookie": f"{VISITOR_COOKIE}={jar[VISITOR_COOKIE]}"},
            allow_redirects=False,
            timeout=30,
        )
        started = follow_connect(page, cookies=visitor)
        done = finish(approve(started, listener["id"], decision="deny"), consent_cookie(started))
        assert done.status_code == 303 and done.headers["location"] == campaign["destination_url"]
    assert counters(local_cloud, campaign["id"])["TOTAL"]["declined"] == 1


def test_a_bot_on_privacy_disconnect_confirm_writes_no_state(local_cloud) -> None:
    before = len(data_items(local_cloud, None, prefix="STATE#"))
    for agent in ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "facebookexternalhit/1.1", ""):
        answer = requests.get(
            f"{local_cloud.api_url}/privacy/disconnect?confirm=yes",
            headers={"User-Agent": agent},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 200 and "set-cookie" not in answer.headers
    assert len(data_items(local_cloud, None, prefix="STATE#")) == before


def test_an_owner_connection_approved_by_another_browser_fails_at_the_callback(
    local_cloud, owner, spotify_users
) -> None:
    """Consent phishing: the owner's connect_url opened (and approved) in a victim's browser."""
    connect_url = requests.post(
        f"{local_cloud.api_url}/owner/spotify/connect", headers=owner.headers, timeout=30
    ).json()["connect_url"]
    attacker_browser = requests.get(connect_url, headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30)
    victim = spotify_users.create_user(f"victim-{uuid.uuid4().hex[:8]}", "Victim")
    callback = approve(attacker_browser, victim["id"])
    # The victim's browser finishes it without the cookie the ticket set in the other browser.
    refused = finish(callback, None)
    assert refused.status_code == 400
    shown = requests.get(f"{local_cloud.api_url}/owner/spotify", headers=owner.headers, timeout=30).json()
    assert shown["connected"] is False


def test_a_listeners_disconnect_removes_an_owner_connection_of_that_account_and_the_owner_is_told(
    local_cloud, spotify_users
) -> None:
    other = local_cloud.create_owner(f"told-{uuid.uuid4().hex[:8]}@example.com", "Told-owner-2026")
    person = spotify_users.create_user(f"both-{uuid.uuid4().hex[:8]}", "Both")
    ticket_url = requests.post(
        f"{local_cloud.api_url}/owner/spotify/connect", headers=other.headers, timeout=30
    ).json()["connect_url"]
    ticket = requests.get(ticket_url, headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30)
    assert finish(approve(ticket, person["id"]), consent_cookie(ticket)).status_code == 303
    assert requests.get(f"{local_cloud.api_url}/owner/spotify", headers=other.headers, timeout=30).json()["connected"]

    started = requests.get(
        f"{local_cloud.api_url}/privacy/disconnect?confirm=yes",
        headers={"User-Agent": BROWSER},
        allow_redirects=False,
        timeout=30,
    )
    done = finish(approve(started, person["id"]), consent_cookie(started))
    assert done.status_code == 200 and "campaign owner" in done.text
    shown = requests.get(f"{local_cloud.api_url}/owner/spotify", headers=other.headers, timeout=30).json()
    assert shown["connected"] is False and shown["ended"]["reason"] == "listener_disconnect"
    everything = local_cloud.client("dynamodb").scan(TableName=local_cloud.physical_id("DataTable"))["Items"]
    assert not [item for item in everything if person["account_id"] in str(item)]


def test_the_consent_carries_the_clicks_country_and_device(local_cloud, owner, spotify_users) -> None:
    campaign = new_campaign(local_cloud, owner)
    listener = spotify_users.create_user(f"carried-{uuid.uuid4().hex[:8]}", "Carried")
    started = start(local_cloud, campaign["slug"], query={"utm_source": "poster"})
    # The callback arrives from another device (its user agent): the click's breakdown stands.
    done = requests.get(
        approve(started, listener["id"]),
        headers={
            "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15",
            "Cookie": f"{COOKIE}={consent_cookie(started)}",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 303
    totals = counters(local_cloud, campaign["id"])
    assert totals["DIM#utm_source#poster"]["authorizations"] == 1
    assert totals["DIM#device#desktop"]["authorizations"] == 1
    assert "DIM#device#mobile" not in totals
