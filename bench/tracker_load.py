"""Load on the tracker link through the local cloud: REQUESTS requests at CONCURRENCY, from
several loopback addresses (127.0.0.x) and many browsers, bots, HEAD requests, requests
without a user agent and prefetches, in a seeded mix. Prints what it sent, the answers
(0 5xx expected, the designed 503 to prefetches aside), what the rules predict and what
the campaigns recorded once every queue drained; exits 1 when they differ.

    PYTHONPATH=functions:. .venv/bin/python -m bench.tracker_load [--requests 10000] [--concurrency 50]

Loopback only, bounded: no request leaves 127.0.0.0/8. `make soak` runs it.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import requests

from local.chaos import dead_letters
from local.cloud import LocalCloud
from tests.integration.loopback import browser

PLAYLIST = "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 18)]
BROWSERS = [
    f"Mozilla/5.0 ({system}) AppleWebKit/537.36 (KHTML, like Gecko) {engine}/{version}.0.0.0 Safari/537.36"
    for system in (
        "X11; Linux x86_64",
        "Windows NT 10.0; Win64; x64",
        "Macintosh; Intel Mac OS X 10_15_7",
        "Linux; Android 14; Pixel 8",
    )
    for engine in ("Chrome", "Edg")
    for version in range(124, 131)
] + [
    f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_{minor} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    f"Version/18.{minor} Mobile/15E148 Safari/604.1"
    for minor in range(6)
]
BOTS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "WhatsApp/2.23.20.0",
    "curl/8.5.0",
    "python-requests/2.32.3",
]
# Browsers that claim to be a browser but are not like one (README: suspicious, implausible headers).
ODD_AGENTS = ["x", "Mozilla/5.0 Firefox", "Mozilla/5.0 (X11; Linux x86_64)"]
LANGUAGES = ["en-US,en;q=0.9", "de-DE,de;q=0.9,en;q=0.5", "pt-BR", ""]
# A few people who reload the page again and again: past 5 views an hour they are suspicious.
RELOADERS = [
    (ADDRESSES[0], BROWSERS[0], LANGUAGES[0]),
    (ADDRESSES[5], BROWSERS[-1], ""),
    (ADDRESSES[9], BROWSERS[30], ""),
]
# kind -> share of the requests
MIX = {"person": 0.62, "reload": 0.04, "odd": 0.04, "bot": 0.12, "head": 0.06, "no_agent": 0.04, "prefetch": 0.08}
PER_HOUR = 5  # README: a visitor's page views on one campaign beyond 5 in an hour are suspicious
_VERSION = re.compile(r"(\d+)(?:[._]\d+)+")


def plan_requests(count: int, slugs: list[str], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX.items(), strict=True)
    planned = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        address, agent, language = rng.choice(ADDRESSES), rng.choice(BROWSERS), rng.choice(LANGUAGES)
        if kind == "reload":
            address, agent, language = rng.choice(RELOADERS)
        elif kind == "bot":
            agent = rng.choice(BOTS)
        elif kind == "no_agent":
            agent = ""
        elif kind == "odd":
            agent = rng.choice(ODD_AGENTS)
        planned.append(
            {"kind": kind, "slug": rng.choice(slugs), "address": address, "agent": agent, "language": language}
        )
    return planned


def request_key(request: dict[str, Any]) -> tuple[str, str, str]:
    """README, "Visitors": without a cookie a visitor is the address, the user agent with every
    version cut to its major number, and Accept-Language (also the key of the hourly limit)."""
    return request["address"], _VERSION.sub(r"\1", request["agent"].strip()), request["language"].strip()


def predict(planned: list[dict[str, Any]], *, rate_limit: int) -> dict[str, dict[str, int]]:
    """What the README's rules ("What counts as a click") say each campaign records, from what was
    sent alone (each request's `hour`, the UTC hour it was answered in), never from Soundlink's code.

    The load's browsers refuse cookies (as the README allows), so a visitor is their request key:
    - prefetch (`Sec-Purpose: prefetch`): a prefetch, never a click;
    - `HEAD`, no user agent, a crawler's user agent: a bot click;
    - a user agent that is not `Mozilla/5.0 (<platform>) <engine>/...`: suspicious;
    - a person's page view: a click, unless it is beyond the 5th of its key on the campaign in
      that hour (suspicious); unique clicks are the keys seen on the campaign that day.
    The WAF rule (more than `rate_limit` requests from one address in 5 minutes) would make the
    figures depend on timing: a plan that could reach it is refused.
    """
    per_address = Counter(request["address"] for request in planned)
    busiest = max(per_address.values(), default=0)
    if busiest > rate_limit:
        raise ValueError(
            f"{busiest} requests from one address can pass the WAF rule's {rate_limit}: use more addresses"
        )
    days = {request["hour"][:10] for request in planned}
    if len(days) > 1:
        raise ValueError("the run crossed midnight (UTC): unique visitors are per day; run it again")
    out: dict[str, dict[str, int]] = defaultdict(
        lambda: {"clicks": 0, "unique_clicks": 0, "bot_clicks": 0, "suspicious_clicks": 0, "prefetches": 0}
    )
    views: Counter[tuple[str, str, tuple[str, str, str]]] = Counter()
    for request in planned:
        figures = out[request["slug"]]
        if request["kind"] == "prefetch":
            figures["prefetches"] += 1
        elif request["kind"] in ("bot", "head", "no_agent"):
            figures["bot_clicks"] += 1
        elif request["kind"] == "odd":
            figures["suspicious_clicks"] += 1
        else:
            views[(request["slug"], request["hour"], request_key(request))] += 1
    for (slug, _hour, _key), count in views.items():
        out[slug]["clicks"] += min(count, PER_HOUR)
        out[slug]["suspicious_clicks"] += max(0, count - PER_HOUR)
    for slug in out:
        out[slug]["unique_clicks"] = len({key for (s, _hour, key) in views if s == slug})
    return dict(out)


FIGURES = ("clicks", "unique_clicks", "bot_clicks", "suspicious_clicks")


def _no_cookies(address: str) -> requests.Session:
    session = browser(address)
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))  # cookies refused
    return session


def _hour() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H")


def send(cloud: LocalCloud, planned: list[dict[str, Any]], concurrency: int) -> tuple[Counter[str], float]:
    """Send every planned request; stamps each with the UTC hour it was answered in (`hour`)."""
    local = threading.local()
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def one(request: dict[str, Any]) -> None:
        sessions = local.__dict__.setdefault("sessions", {})
        session = sessions.get(request["address"]) or sessions.setdefault(
            request["address"], _no_cookies(request["address"])
        )
        headers = {"User-Agent": request["agent"], "Referer": "https://news.example.org/post"}
        if request["language"]:
            headers["Accept-Language"] = request["language"]
        if request["kind"] == "prefetch":
            headers["Sec-Purpose"] = "prefetch"
        method = "HEAD" if request["kind"] == "head" else "GET"
        sent_in = _hour()
        try:
            answer = session.request(
                method, f"{cloud.api_url}/c/{request['slug']}", headers=headers, allow_redirects=False, timeout=120
            )
            status = str(answer.status_code)
        except requests.RequestException as error:
            status = f"no answer ({type(error).__name__})"
        request["hour"] = _hour()
        request["straddled"] = sent_in != request["hour"]
        with lock:
            statuses[f"{request['kind']} {status}"] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, planned))
    return statuses, time.monotonic() - started


def run(cloud: LocalCloud, *, count: int = 10_000, concurrency: int = 50, seed: int = 14) -> dict[str, Any]:
    owner = cloud.create_owner(f"load-{seed}-{time.time_ns()}@example.com", "Load-owner-2026")
    campaigns = []
    for n in range(3):
        made = requests.post(
            f"{cloud.api_url}/campaigns",
            json={"name": f"Load {n}", "playlist": PLAYLIST},
            headers=owner.headers,
            timeout=30,
        )
        made.raise_for_status()
        campaigns.append(made.json())
    planned = plan_requests(count, [c["slug"] for c in campaigns], seed)
    rate_limit = int(cloud.stack.resolver.parameters["PublicRateLimit"])  # type: ignore[union-attr]
    predict([{**request, "hour": _hour()} for request in planned], rate_limit=rate_limit)  # refuse a bad plan now
    # The click queue is consumed while the load runs, as Lambda would: a burst waits in the
    # queue and up to MaximumConcurrency batches are recorded at once (local/queues.py).
    assert cloud.event_sources is not None
    cloud.event_sources.start()
    statuses, seconds = send(cloud, planned, concurrency)
    server_errors = sum(
        n
        for key, n in statuses.items()
        if not key.split(" ", 1)[1].startswith(("2", "3", "4")) and key != "prefetch 503"
    )
    drain_started = time.monotonic()
    drained = cloud.drain_queues(timeout=3600)
    drain_seconds = time.monotonic() - drain_started
    dead = dead_letters(cloud.client("sqs"))
    straddled = sum(1 for request in planned if request["straddled"])
    expected = predict(planned, rate_limit=rate_limit)
    recorded, mismatches = {}, []
    for campaign in campaigns:
        totals = requests.get(
            f"{cloud.api_url}/campaigns/{campaign['id']}/analytics", headers=owner.headers, timeout=60
        ).json()["totals"]
        slug = campaign["slug"]
        recorded[slug] = {key: totals[key] for key in FIGURES}
        if recorded[slug] != {key: expected.get(slug, {}).get(key, 0) for key in FIGURES}:
            mismatches.append(slug)
    prefetches = sum(figures["prefetches"] for figures in expected.values())
    if statuses.get("prefetch 503", 0) != prefetches:
        mismatches.append(f"prefetches: {prefetches} sent, {statuses.get('prefetch 503', 0)} answered 503")
    return {
        "requests": count,
        "concurrency": concurrency,
        "addresses": len(ADDRESSES),
        "browsers": len(BROWSERS),
        "seconds": round(seconds, 1),
        "requests_per_second": round(count / seconds, 1),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": server_errors,
        "expected": expected,
        "recorded": recorded,
        "mismatches": mismatches,
        "straddled_an_hour": straddled,
        "drained": drained,
        "drain_seconds": round(drain_seconds, 1),
        "dead_letters": dead,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracker_load")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    with LocalCloud(background=False) as cloud:
        result = run(cloud, count=args.requests, concurrency=args.concurrency, seed=args.seed)
    print_result(result)
    return 0 if ok(result) else 1


def ok(result: dict[str, Any]) -> bool:
    drained = result["drained"]
    return (
        not result["server_errors"]
        and not result["mismatches"]
        and not drained["remaining"]
        and not any(result["dead_letters"].values())
    )


def print_result(result: dict[str, Any]) -> None:
    print(
        f"tracker load: {result['requests']} requests at concurrency {result['concurrency']} from "
        f"{result['addresses']} loopback addresses and {result['browsers']} browsers in {result['seconds']} s "
        f"({result['requests_per_second']} requests/s)"
    )
    for key, count in result["statuses"].items():
        print(f"  {key:<16} {count:>6}")
    print(f"  5xx (prefetch 503 aside): {result['server_errors']}")
    for slug, want in result["expected"].items():
        print(f"  {slug}: predicted {want}")
        print(f"  {slug}: recorded  {result['recorded'].get(slug)}")
    total = {key: sum(f.get(key, 0) for f in result["expected"].values()) for key in (*FIGURES, "prefetches")}
    print(f"  in all, predicted: {total}")
    print(f"  queues drained in {result['drain_seconds']} s after the last answer: {result['drained']}")
    print(f"  dead letters: {result['dead_letters']}")
    if result["straddled_an_hour"]:
        print(f"  {result['straddled_an_hour']} requests were in flight at the turn of an hour: run it again")
    print(f"  mismatches: {len(result['mismatches'])} {result['mismatches'] or ''}")


if __name__ == "__main__":
    sys.exit(main())
