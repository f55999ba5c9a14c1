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
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import requests

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
# kind -> share of the requests
MIX = {"person": 0.7, "bot": 0.12, "head": 0.06, "no_agent": 0.04, "prefetch": 0.08}


def plan_requests(count: int, slugs: list[str], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX.items(), strict=True)
    planned = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        agent = {"person": rng.choice(BROWSERS), "prefetch": rng.choice(BROWSERS), "no_agent": ""}.get(
            kind, rng.choice(BOTS) if kind == "bot" else rng.choice(BROWSERS)
        )
        planned.append({"kind": kind, "slug": rng.choice(slugs), "address": rng.choice(ADDRESSES), "agent": agent})
    return planned


def predict(planned: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """What the README's rules say each campaign records (people once a day per address and browser)."""
    day = datetime.now(UTC).date()
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"clicks": 0, "unique_clicks": 0, "bot_clicks": 0})
    visitors: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for request in planned:
        figures = out[request["slug"]]
        if request["kind"] == "person":
            figures["clicks"] += 1
            visitors[request["slug"]].add((request["address"], request["agent"]))
        elif request["kind"] in ("bot", "head", "no_agent"):
            figures["bot_clicks"] += 1
    for slug, seen in visitors.items():
        out[slug]["unique_clicks"] = len(seen)
    assert datetime.now(UTC).date() == day, "the run crossed midnight (UTC): unique visitors are per day"
    return dict(out)


def send(cloud: LocalCloud, planned: list[dict[str, Any]], concurrency: int) -> tuple[Counter[str], float]:
    local = threading.local()
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def one(request: dict[str, Any]) -> None:
        sessions = local.__dict__.setdefault("sessions", {})
        session = sessions.get(request["address"]) or sessions.setdefault(
            request["address"], browser(request["address"])
        )
        headers = {"User-Agent": request["agent"], "Referer": "https://news.example.org/post"}
        if request["kind"] == "prefetch":
            headers["Sec-Purpose"] = "prefetch"
        method = "HEAD" if request["kind"] == "head" else "GET"
        answer = session.request(
            method, f"{cloud.api_url}/c/{request['slug']}", headers=headers, allow_redirects=False, timeout=60
        )
        with lock:
            statuses[f"{request['kind']} {answer.status_code}"] += 1

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
    expected = predict(planned)
    # The click queue is consumed while the load runs, as Lambda would: a queue of 10,000
    # waiting messages is not what production sees (and moto slows down under one).
    assert cloud.event_sources is not None
    cloud.event_sources.start()
    statuses, seconds = send(cloud, planned, concurrency)
    server_errors = sum(n for key, n in statuses.items() if key.split()[1].startswith("5") and key != "prefetch 503")
    drained = cloud.drain_queues(timeout=1800)
    recorded, mismatches = {}, []
    for campaign in campaigns:
        totals = requests.get(
            f"{cloud.api_url}/campaigns/{campaign['id']}/analytics", headers=owner.headers, timeout=60
        ).json()["totals"]
        recorded[campaign["slug"]] = {key: totals[key] for key in ("clicks", "unique_clicks", "bot_clicks")}
        if recorded[campaign["slug"]] != expected.get(campaign["slug"]):
            mismatches.append(campaign["slug"])
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
        "drained": drained,
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
    return not result["server_errors"] and not result["mismatches"] and not drained["remaining"]


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
        print(f"  {slug}: predicted {want}  recorded {result['recorded'].get(slug)}")
    print(f"  queues: {result['drained']}")
    print(f"  mismatches: {len(result['mismatches'])}")


if __name__ == "__main__":
    sys.exit(main())
