"""bench/tracker_load.py's prediction: the README's click rules, computed from what was sent."""

from __future__ import annotations

import pytest

from bench.tracker_load import BOTS, BROWSERS, ODD_AGENTS, plan_requests, predict, request_key
from soundlink.tracking.classify import ClickKind, classify

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
HOUR = "2026-12-02T12"


def request(kind: str = "person", *, slug: str = "s", address: str = "127.0.0.2", agent: str = CHROME, **more):
    return {"kind": kind, "slug": slug, "address": address, "agent": agent, "language": "", "hour": HOUR, **more}


def test_a_visitors_first_five_views_an_hour_are_clicks_the_rest_suspicious() -> None:
    assert predict([request()] * 5, rate_limit=1000)["s"] == {
        "clicks": 5,
        "unique_clicks": 1,
        "bot_clicks": 0,
        "suspicious_clicks": 0,
        "prefetches": 0,
    }
    six = predict([request()] * 6, rate_limit=1000)["s"]
    assert (six["clicks"], six["suspicious_clicks"], six["unique_clicks"]) == (5, 1, 1)


def test_the_limit_is_per_hour_and_per_campaign_but_a_visitor_is_unique_once_a_day() -> None:
    sent = [request()] * 5 + [request(hour="2026-12-02T13")] * 5 + [request(slug="t")] * 3
    figures = predict(sent, rate_limit=1000)
    assert (figures["s"]["clicks"], figures["s"]["suspicious_clicks"], figures["s"]["unique_clicks"]) == (10, 0, 1)
    assert (figures["t"]["clicks"], figures["t"]["unique_clicks"]) == (3, 1)


def test_minor_versions_are_one_visitor_but_majors_addresses_and_languages_are_not() -> None:
    minor = CHROME.replace("130.0.0.0", "130.0.6723.91")
    assert request_key(request(agent=minor)) == request_key(request())
    iphone = [agent for agent in BROWSERS if "iPhone" in agent]
    assert len({request_key(request(agent=agent)) for agent in iphone}) == 1  # 18_1 and 18_5: major 18
    others = [
        request(agent=CHROME.replace("130.", "129.")),
        request(address="127.0.0.3"),
        request(language="de-DE"),
    ]
    assert predict([request(), *others], rate_limit=1000)["s"]["unique_clicks"] == 4


def test_bots_heads_requests_without_agent_odd_agents_and_prefetches_are_no_clicks() -> None:
    sent = [
        request("bot", agent=BOTS[0]),
        request("head"),
        request("no_agent", agent=""),
        request("odd", agent="x"),
        request("prefetch"),
    ]
    assert predict(sent, rate_limit=1000)["s"] == {
        "clicks": 0,
        "unique_clicks": 0,
        "bot_clicks": 3,
        "suspicious_clicks": 1,
        "prefetches": 1,
    }


def test_a_plan_that_could_reach_the_waf_rule_is_refused_at_one_past_the_limit() -> None:
    assert predict([request()] * 10, rate_limit=10)["s"]["clicks"] == 5
    with pytest.raises(ValueError, match="WAF"):
        predict([request()] * 11, rate_limit=10)


def test_a_run_across_midnight_is_refused() -> None:
    with pytest.raises(ValueError, match="midnight"):
        predict([request(), request(hour="2026-12-03T00")], rate_limit=1000)


def test_the_plan_sends_what_each_kind_claims_to_be() -> None:
    """The bench's agents are what it says they are (checked once against the classifier; the
    prediction itself never uses it)."""
    planned = plan_requests(600, ["a", "b", "c"], seed=14)
    assert {r["kind"] for r in planned} == {"person", "reload", "odd", "bot", "head", "no_agent", "prefetch"}
    expected = {
        "person": ClickKind.HUMAN,
        "reload": ClickKind.HUMAN,
        "odd": ClickKind.SUSPICIOUS,
        "bot": ClickKind.BOT,
        "head": ClickKind.BOT,
        "no_agent": ClickKind.BOT,
        "prefetch": ClickKind.PREFETCH,
    }
    for sent in planned:
        headers = {"user-agent": sent["agent"]} if sent["agent"] else {}
        if sent["kind"] == "prefetch":
            headers["sec-purpose"] = "prefetch"
        method = "HEAD" if sent["kind"] == "head" else "GET"
        assert classify(method, headers) is expected[sent["kind"]], sent
    for agent in ODD_AGENTS:
        assert classify("GET", {"user-agent": agent}) is ClickKind.SUSPICIOUS
    assert plan_requests(50, ["a"], seed=1) == plan_requests(50, ["a"], seed=1)
