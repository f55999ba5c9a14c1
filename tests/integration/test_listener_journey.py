"""The listener's journey through the local cloud and the Spotify emulator:
tracker link → landing page → "Connect Spotify" → Spotify consent → connected listener
(or a counted decline), the owner's Spotify connection, and a listener's disconnect.

Issue 13 changed the contract: a person's click is answered with the landing page (200), and
the consent starts from its #connect link (`start` follows it with the page's cookies)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from soundlink.tokens.cipher import TokenCipher, TokenDecryptionError, listener_context, owner_context
from tests.integration.journey import (
    BROWSER,
    COOKIE,
    approve,
    click,
    consent_cookie,
    counters,
    data_items,
    drain,
    finish,
    new_campaign,
    start,
)

# Every log line of the module is scanned for tokens, codes, secrets, cookies and client addresses.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("scanned_logs")]


def token_cipher(cloud: LocalCloud) -> TokenCipher:
    return TokenCipher(cloud.client("kms"), cloud.function_environment("OAuthCallbackFunction")["TOKEN_KEY_ARN"])


@pytest.fixture(scope="module")
def owner(local_cloud: LocalCloud):
    return local_cloud.create_owner(f"journey-{uuid.uuid4().hex[:8]}@example.com", "Journey-owner-2026")


@pytest.fixture
def spotify(local_cloud: LocalCloud) -> EmulatorControl:
    return EmulatorControl(local_cloud.spotify_url)


@pytest.fixture
def listener(spotify: EmulatorControl) -> dict:
    return spotify.create_user(f"listener-{uuid.uuid4().hex[:10]}", "A Listener")


def test_a_human_click_ends_at_spotifys_authorize_url_with_a_stored_state(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner)
    response = start(local_cloud, campaign["slug"], query={"utm_source": "Newsletter", "utm_medium": "email"})
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == local_cloud.spotify_url and location.path == "/authorize"
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["scope"] == "user-read-recently-played"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["redirect_uri"] == local_cloud.api_url + "/oauth/callback"
    assert params["show_dialog"] == "true"
    state = data_items(local_cloud, f"STATE#{params['state']}")
    assert len(state) == 1 and state[0]["purpose"]["S"] == "listen"
    verifier = state[0]["code_verifier"]["S"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"]
    cookie = consent_cookie(response)
    assert hashlib.sha256(cookie.encode()).hexdigest() == state[0]["cookie_hash"]["S"]
    set_cookie = response.headers["set-cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert attribute in set_cookie
    assert set_cookie.startswith(COOKIE + "=") and "Domain" not in set_cookie
    assert response.headers["cache-control"] == "no-store"

    drain(local_cloud)
    totals = counters(local_cloud, campaign["id"])
    assert totals["TOTAL"] == {"clicks": 1, "unique_clicks": 1, "connect_clicks": 1, "consents_started": 1}
    assert totals["DIM#utm_source#newsletter"]["clicks"] == 1
    assert totals["DIM#device#desktop"]["clicks"] == 1


def test_bots_prefetches_and_head_requests_create_no_state(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner)
    before = len(data_items(local_cloud, None, prefix="STATE#"))
    slack = click(
        local_cloud, campaign["slug"], user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
    )
    assert slack.status_code == 302 and slack.headers["location"] == campaign["destination_url"]
    assert "set-cookie" not in slack.headers
    nobody = click(local_cloud, campaign["slug"], user_agent="")
    assert nobody.headers["location"] == campaign["destination_url"]
    prefetch = click(local_cloud, campaign["slug"], headers={"Sec-Purpose": "prefetch"})
    assert prefetch.status_code == 503 and "set-cookie" not in prefetch.headers
    head = requests.head(f"{local_cloud.api_url}/c/{campaign['slug']}", headers={"User-Agent": BROWSER}, timeout=30)
    assert head.status_code == 302 and head.headers["location"] == campaign["destination_url"]
    assert len(data_items(local_cloud, None, prefix="STATE#")) == before

    drain(local_cloud)
    totals = counters(local_cloud, campaign["id"])["TOTAL"]
    assert totals == {"bot_clicks": 3, "prefetches": 1}


def test_the_same_visitor_twice_in_a_day_is_one_unique_click(local_cloud, owner) -> None:
    campaign = new_campaign(local_cloud, owner)
    for _ in range(2):
        assert click(local_cloud, campaign["slug"]).status_code == 200
    click(local_cloud, campaign["slug"], user_agent=BROWSER.replace("131", "132"))  # another visitor key
    drain(local_cloud)
    totals = counters(local_cloud, campaign["id"])["TOTAL"]
    assert totals["clicks"] == 3 and totals["unique_clicks"] == 2


def test_approve_stores_an_active_listener_with_tokens_that_decrypt_only_in_their_context(
    local_cloud, owner, listener
) -> None:
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"], query={"utm_campaign": "Spring"})
    callback_url = approve(started, listener["id"])
    done = finish(callback_url, consent_cookie(started))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == campaign["destination_url"]
    assert done.headers["referrer-policy"] == "no-referrer"
    assert "Max-Age=0" in done.headers["set-cookie"]

    account = listener["account_id"]
    items = {item["sk"]["S"]: item for item in data_items(local_cloud, f"LISTENER#{account}")}
    profile, link = items["LISTENER"], items[f"LINK#{campaign['id']}"]
    assert profile["status"]["S"] == "active" and profile["display_name"]["S"] == "A Listener"
    assert profile["gsi1pk"]["S"].startswith("POLL#") and profile["next_poll_at"]["S"]
    assert link["gsi2pk"]["S"] == f"CAMPAIGN#{campaign['id']}" and link["first_click_at"]["S"]
    assert link["click"]["M"]["utm_campaign"]["S"] == "Spring"
    sealed = profile["tokens"]["S"]
    assert "access" not in sealed and listener["id"] not in sealed
    cipher = token_cipher(local_cloud)
    tokens = cipher.decrypt_json(sealed, listener_context(account))
    assert tokens["scope"] == "user-read-recently-played" and tokens["refresh_token"]
    for wrong in (listener_context("someone-else"), owner_context(account)):
        with pytest.raises(TokenDecryptionError):
            cipher.decrypt(sealed, wrong)

    # The state was used: the same callback again is refused, and changes nothing.
    replay = finish(callback_url, consent_cookie(started))
    assert replay.status_code == 400 and "cannot be used" in replay.text
    assert data_items(local_cloud, f"LISTENER#{account}") == list(items.values())
    totals = counters(local_cloud, campaign["id"])["TOTAL"]
    assert totals["authorizations"] == 1


def test_a_listener_of_two_campaigns_keeps_both_links(local_cloud, owner, listener) -> None:
    first, second = new_campaign(local_cloud, owner), new_campaign(local_cloud, owner)
    for campaign in (first, second, first):
        started = start(local_cloud, campaign["slug"])
        assert finish(approve(started, listener["id"]), consent_cookie(started)).status_code == 303
    items = {item["sk"]["S"]: item for item in data_items(local_cloud, f"LISTENER#{listener['account_id']}")}
    assert {f"LINK#{first['id']}", f"LINK#{second['id']}", "LISTENER"} <= set(items)
    link = items[f"LINK#{first['id']}"]
    assert link["first_click_at"]["S"] < link["last_click_at"]["S"]


def test_deny_counts_a_decline_and_still_sends_the_listener_on(local_cloud, owner, listener) -> None:
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"])
    callback_url = approve(started, listener["id"], decision="deny")
    assert "error=access_denied" in callback_url
    done = finish(callback_url, consent_cookie(started))
    assert done.status_code == 303 and done.headers["location"] == campaign["destination_url"]
    assert data_items(local_cloud, f"LISTENER#{listener['account_id']}") == []
    assert counters(local_cloud, campaign["id"])["TOTAL"].get("declined") == 1


@pytest.mark.parametrize("tamper", ["no_cookie", "wrong_cookie", "other_state", "expired"])
def test_tampered_cookie_less_and_expired_states_are_refused_with_nothing_written(
    local_cloud, owner, listener, spotify, tamper
) -> None:
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"])
    callback_url, cookie = approve(started, listener["id"]), consent_cookie(started)
    if tamper == "no_cookie":
        cookie = None
    elif tamper == "wrong_cookie":
        cookie = ("y" if cookie.startswith("x") else "x") + cookie[1:]  # never the cookie itself
    elif tamper == "other_state":
        callback_url = callback_url.replace("state=", "state=A", 1)
    elif tamper == "expired":
        table = local_cloud.physical_id("DataTable")
        state = parse_qs(urlsplit(callback_url).query)["state"][0]
        local_cloud.client("dynamodb").update_item(
            TableName=table,
            Key={"pk": {"S": f"STATE#{state}"}, "sk": {"S": "STATE"}},
            UpdateExpression="SET expires_at = :past",
            ExpressionAttributeValues={":past": {"N": "1000"}},
        )
    refused = finish(callback_url, cookie)
    assert refused.status_code == 400 and "Nothing was saved" in refused.text
    assert f"/c/{campaign['slug']}" in refused.text or tamper == "other_state"
    assert "location" not in refused.headers
    assert data_items(local_cloud, f"LISTENER#{listener['account_id']}") == []
    assert "authorizations" not in counters(local_cloud, campaign["id"]).get("TOTAL", {})


def test_spotify_down_at_the_exchange_writes_nothing_and_offers_a_retry(local_cloud, owner, listener, spotify) -> None:
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"])
    callback_url = approve(started, listener["id"])
    spotify.fault("token", status=503, count=10)
    try:
        failed = finish(callback_url, consent_cookie(started))
    finally:
        spotify.call("DELETE", "/_emulator/faults")
    assert failed.status_code == 503 and "try again" in failed.text.lower()
    assert f"/c/{campaign['slug']}" in failed.text
    assert data_items(local_cloud, f"LISTENER#{listener['account_id']}") == []


def test_a_not_allowlisted_account_is_told_so_and_nothing_is_stored(local_cloud, owner, listener, spotify) -> None:
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"])
    callback_url = approve(started, listener["id"])
    spotify.fault("me", status=403, count=1, message="User not registered in the Developer Dashboard")
    refused = finish(callback_url, consent_cookie(started))
    assert refused.status_code == 403 and "allow-list" in refused.text
    assert data_items(local_cloud, f"LISTENER#{listener['account_id']}") == []


def test_archived_and_not_yet_started_campaigns_count_the_click_but_start_no_consent(local_cloud, owner) -> None:
    archived = new_campaign(local_cloud, owner)
    requests.delete(f"{local_cloud.api_url}/campaigns/{archived['id']}", headers=owner.headers, timeout=30)
    later = new_campaign(local_cloud, owner, starts_at="2099-01-01T00:00:00Z")
    for campaign in (archived, later):
        response = click(local_cloud, campaign["slug"], query={"next": "https://evil.example/"})
        assert response.status_code == 302 and response.headers["location"] == campaign["destination_url"]
        assert "set-cookie" not in response.headers
    drain(local_cloud)
    assert counters(local_cloud, archived["id"])["TOTAL"] == {"clicks": 1, "unique_clicks": 1}


def test_unknown_and_malformed_slugs_get_a_friendly_404(local_cloud) -> None:
    for slug in ("zzzzzzzzzz", "x" * 300, "%3Cscript%3E", "ABCDEFGHJK"):
        response = click(local_cloud, slug)
        assert response.status_code == 404 and "text/html" in response.headers["content-type"]
        assert "<script>" not in response.text and "does not exist" in response.text
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_owner_connects_spotify_and_sees_the_connection(local_cloud, owner, spotify) -> None:
    api, headers = local_cloud.api_url, owner.headers
    assert requests.get(f"{api}/owner/spotify", headers=headers, timeout=30).json() == {
        "connected": False,
        "display_name": None,
        "spotify_user_id": None,
        "scopes": [],
        "connected_at": None,
        "ended": None,
    }
    started = requests.post(f"{api}/owner/spotify/connect", headers=headers, timeout=30)
    assert started.status_code == 200, started.text
    # Since issue 13: a one-time ticket on the API that the owner's browser opens (binding the state
    # to that browser's cookie), not Spotify's authorize URL itself.
    ticket = requests.get(
        started.json()["connect_url"], headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30
    )
    assert ticket.status_code == 302, ticket.text
    url = ticket.headers["location"]
    assert "playlist-read-private" in parse_qs(urlsplit(url).query)["scope"][0]
    assert parse_qs(urlsplit(url).query)["show_dialog"] == ["true"]
    again = requests.get(
        started.json()["connect_url"], headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30
    )
    assert again.status_code == 400  # one-time
    artist = spotify.create_user(f"artist-{uuid.uuid4().hex[:8]}", "The Artist")
    back = requests.get(url + f"&login_as={artist['id']}&decision=approve", allow_redirects=False, timeout=30)
    done = finish(back.headers["location"], consent_cookie(ticket))
    assert done.status_code == 303 and done.headers["location"].startswith(local_cloud.web_url)
    shown = requests.get(f"{api}/owner/spotify", headers=headers, timeout=30).json()
    assert shown["connected"] is True and shown["display_name"] == "The Artist"
    assert shown["scopes"] == ["playlist-read-collaborative", "playlist-read-private"]
    stored = data_items(local_cloud, f"OWNER#{owner.sub}")
    sealed = next(item for item in stored if item["sk"]["S"] == "SPOTIFY")["tokens"]["S"]
    cipher = token_cipher(local_cloud)
    assert cipher.decrypt_json(sealed, owner_context(owner.sub))["refresh_token"]

    removed = requests.delete(f"{api}/owner/spotify", headers=headers, timeout=30)
    assert removed.status_code == 200 and removed.json()["connected"] is False
    assert not [item for item in data_items(local_cloud, f"OWNER#{owner.sub}") if item["sk"]["S"] == "SPOTIFY"]


def followed_listeners(cloud: LocalCloud) -> int:
    """The app-wide count of followed Spotify accounts (Development Mode's ceiling is shown against it)."""
    key = {"pk": {"S": "APP"}, "sk": {"S": "LISTENERS"}}
    item = cloud.client("dynamodb").get_item(TableName=cloud.physical_id("StatsTable"), Key=key).get("Item", {})
    return int(item.get("followed_listeners", {}).get("N", 0))


def test_disconnect_leaves_no_item_naming_the_listener(local_cloud, owner, listener) -> None:
    before = followed_listeners(local_cloud)
    campaign = new_campaign(local_cloud, owner)
    started = start(local_cloud, campaign["slug"])
    finish(approve(started, listener["id"]), consent_cookie(started))
    account = listener["account_id"]
    assert data_items(local_cloud, f"LISTENER#{account}")
    assert followed_listeners(local_cloud) == before + 1
    # A second consent of the same account (another campaign) follows no one new.
    again = new_campaign(local_cloud, owner)
    started = start(local_cloud, again["slug"])
    finish(approve(started, listener["id"]), consent_cookie(started))
    assert followed_listeners(local_cloud) == before + 1

    browser = {"User-Agent": BROWSER}
    intro = requests.get(f"{local_cloud.api_url}/privacy/disconnect", headers=browser, timeout=30)
    assert intro.status_code == 200 and "confirm=yes" in intro.text
    started = requests.get(
        f"{local_cloud.api_url}/privacy/disconnect?confirm=yes", headers=browser, allow_redirects=False, timeout=30
    )
    assert started.status_code == 302
    done = finish(approve(started, listener["id"]), consent_cookie(started))
    assert done.status_code == 200 and "disconnected" in done.text
    everything = local_cloud.client("dynamodb").scan(TableName=local_cloud.physical_id("DataTable"))["Items"]
    assert not [item for item in everything if account in str(item) or listener["id"] in str(item)]
    assert followed_listeners(local_cloud) == before
    # Campaign totals stay.
    assert counters(local_cloud, campaign["id"])["TOTAL"]["authorizations"] == 1


def test_the_privacy_page_says_what_is_kept_and_how_to_leave(local_cloud) -> None:
    page = requests.get(f"{local_cloud.api_url}/privacy", timeout=30)
    assert page.status_code == 200 and "/privacy/disconnect" in page.text
    assert "IP address" in page.text and "script-src" not in page.headers["content-security-policy"]
