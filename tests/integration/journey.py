"""Steps of a listener's journey through the local cloud, for the integration tests and the bench."""

from __future__ import annotations

import html
import re
import uuid
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import requests

from local.cloud import LocalCloud, OwnerTokens
from tests.integration import log_scan
from tests.support.counter_names import counter_name

PLAYLIST = "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
COOKIE = "__Host-soundlink_consent"
PAGE_COOKIE = "__Host-soundlink_page"
VISITOR_COOKIE = "__Host-soundlink_visitor"
# The journey's browser, on a client address of its own (127.0.0.x, not the servers' 127.0.0.1),
# so the log scan (tests/integration/log_scan.py) can tell whether it was logged.
ADDRESS = "127.0.0.47"
http = log_scan.client(ADDRESS)


def new_campaign(cloud: LocalCloud, owner: OwnerTokens, **fields: Any) -> dict:
    body = {"name": f"Campaign {uuid.uuid4().hex[:6]}", "playlist": PLAYLIST, **fields}
    created = requests.post(f"{cloud.api_url}/campaigns", json=body, headers=owner.headers, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()


def click(
    cloud: LocalCloud,
    slug: str,
    *,
    user_agent: str = BROWSER,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    return http.get(
        f"{cloud.api_url}/c/{slug}",
        params=query,
        headers={"User-Agent": user_agent, "Referer": "https://news.example.org/post", **(headers or {})},
        allow_redirects=False,
        timeout=30,
    )


def set_cookies(response: requests.Response) -> dict[str, str]:
    """The cookies a response sets, by name (requests would not send a Secure cookie over http)."""
    found = {}
    for header in response.raw.headers.getlist("set-cookie"):
        name, _, rest = header.partition("=")
        found[name] = rest.split(";", 1)[0]
    return found


def connect_link(page: requests.Response) -> str:
    """The landing page's "Connect Spotify" (id="connect") href."""
    match = re.search(r'<a id="connect"[^>]*href="([^"]+)"', page.text)
    assert match, page.text
    return html.unescape(match.group(1))


def follow_connect(
    page: requests.Response,
    *,
    user_agent: str = BROWSER,
    cookies: dict[str, str] | None = None,
    session: Any = http,
) -> requests.Response:
    """Follow the landing page's #connect as its browser would: with the cookies the page set."""
    jar = {**(cookies or {}), **set_cookies(page)}
    link = connect_link(page)
    assert urlsplit(link).path.endswith("/connect")
    return session.get(
        link,
        headers={"User-Agent": user_agent, "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        allow_redirects=False,
        timeout=30,
    )


def start(cloud: LocalCloud, slug: str, **request: Any) -> requests.Response:
    """A person's click, then the landing page's "Connect Spotify": ends at Spotify's authorize URL."""
    page = click(cloud, slug, **request)
    assert page.status_code == 200, page.text
    return follow_connect(page, user_agent=request.get("user_agent", BROWSER))


def consent_cookie(response: requests.Response) -> str:
    """The __Host- cookie's value (requests would not send a Secure cookie over http)."""
    header = response.headers["set-cookie"]
    name, _, rest = header.partition("=")
    assert name == COOKIE, header
    return rest.split(";", 1)[0]


def approve(started: requests.Response, user_id: str, decision: str = "approve") -> str:
    """Answer Spotify's (the emulator's) consent page as `user_id`; returns the callback URL."""
    answer = http.get(
        started.headers["location"] + f"&login_as={user_id}&decision={decision}", allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def finish(callback_url: str, cookie: str | None) -> requests.Response:
    headers = {"User-Agent": BROWSER}
    if cookie is not None:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    return http.get(callback_url, headers=headers, allow_redirects=False, timeout=30)


def drain(cloud: LocalCloud) -> dict:
    result = cloud.drain_queues()
    assert not result.get("failed"), result
    return result


def data_items(cloud: LocalCloud, pk: str | None, *, prefix: str | None = None) -> list[dict]:
    """Items of DataTable in partition `pk`, or (pk None) every item whose pk starts with `prefix`."""
    client, table = cloud.client("dynamodb"), cloud.physical_id("DataTable")
    if pk is not None:
        return client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )["Items"]
    items = client.scan(TableName=table, ConsistentRead=True)["Items"]
    return [item for item in items if item["pk"]["S"].startswith(prefix or "")]


def counters(cloud: LocalCloud, campaign_id: str) -> dict[str, dict[str, int]]:
    """A campaign's counters with their shards summed: {"TOTAL": {...}, "DIM#device#mobile": {...}}."""
    items = cloud.client("dynamodb").query(
        TableName=cloud.physical_id("StatsTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CAMPAIGN#{campaign_id}"}},
        ConsistentRead=True,
    )["Items"]
    summed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in items:
        name = counter_name(item["sk"]["S"])
        for attribute, value in item.items():
            if "N" in value:
                summed[name][attribute] += int(value["N"])
    return {name: dict(values) for name, values in summed.items()}


def connect_owner_spotify(cloud: LocalCloud, owner: OwnerTokens, user_id: str) -> None:
    """The owner's browser opens the one-time connect_url (issue 13), then approves on Spotify."""
    started = requests.post(f"{cloud.api_url}/owner/spotify/connect", headers=owner.headers, timeout=30).json()
    ticket = http.get(started["connect_url"], headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30)
    back = http.get(
        ticket.headers["location"] + f"&login_as={user_id}&decision=approve", allow_redirects=False, timeout=30
    )
    assert finish(back.headers["location"], consent_cookie(ticket)).status_code == 303
