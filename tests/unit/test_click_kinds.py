"""tracking.classify's third class and its edges: requests that claim a browser but do not look
like one, the WAF's rate mark, and which rule wins when several apply (test_tracking_rules.py
has people, bots and prefetches)."""

from __future__ import annotations

import pytest

from soundlink.tracking.classify import (
    MAX_USER_AGENT,
    RATE_MARK_HEADER,
    ClickKind,
    classify,
    is_bot,
    is_plausible_browser,
    is_prefetch,
)

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
OLD_EDGE = "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko"  # IE 11: Trident and Gecko
OLD_OPERA = "Mozilla/5.0 (Windows NT 6.1) Presto/2.12.388 Version/12.16"


@pytest.mark.parametrize(
    "user_agent",
    [
        CHROME,
        FIREFOX,
        OLD_EDGE,
        OLD_OPERA,
        "Mozilla/5.0 (X) AppleWebKit/1",
        "Mozilla/5.0 (X) Gecko/1",
        "Mozilla/5.0 (X) Trident/7",
        "Mozilla/5.0 (X) Presto/2",
        "  " + CHROME + "  ",
    ],
    ids=["chrome", "firefox", "trident", "presto", "webkit", "gecko", "trident-only", "presto-only", "padded"],
)
def test_each_browser_engine_makes_a_plausible_browser(user_agent):
    assert is_plausible_browser({"user-agent": user_agent})
    assert classify("GET", {"user-agent": user_agent}) is ClickKind.HUMAN


@pytest.mark.parametrize(
    "user_agent",
    [
        "x",
        "Mozilla/5.0",
        "Mozilla/5.0 AppleWebKit/537.36",  # no platform
        "Mozilla/5.0 (Windows NT 10.0) Chrome/131",  # no engine
        "Mozilla/5.0 (Windows NT 10.0 AppleWebKit/537.36",  # the platform never closes
        "Mozilla/4.0 (compatible; MSIE 6.0) Trident/4.0",  # not Mozilla/5.0
        "mozilla/5.0 (X) AppleWebKit/1",  # browsers send it capitalised
        "Mozilla/5.0(X) AppleWebKit/1",
        "Mozilla/5.0 (X) applewebkit/1",
        "Mozilla/5.0 (X) KHTML, like Gecko",  # "like Gecko" names no engine: Gecko/ does
    ],
)
def test_a_user_agent_that_does_not_look_like_a_browser_is_suspicious(user_agent):
    assert not is_plausible_browser({"user-agent": user_agent})
    assert classify("GET", {"user-agent": user_agent}) is ClickKind.SUSPICIOUS


def test_no_user_agent_is_not_a_plausible_browser():
    assert not is_plausible_browser({})
    assert not is_plausible_browser({"user-agent": "   "})


def test_only_the_first_max_user_agent_characters_make_a_browser():
    head = "Mozilla/5.0 (X11; Linux x86_64) "
    at_the_limit = head + "x" * (MAX_USER_AGENT - len(head) - len("Gecko/")) + "Gecko/"
    assert len(at_the_limit) == MAX_USER_AGENT
    assert is_plausible_browser({"user-agent": at_the_limit})
    one_over = head + "x" * (MAX_USER_AGENT - len(head) - len("Gecko/") + 1) + "Gecko/"
    assert not is_plausible_browser({"user-agent": one_over})  # its engine lies beyond the cut
    # The cut comes after the spaces are stripped.
    assert is_plausible_browser({"user-agent": " " * 50 + at_the_limit})


def test_the_rate_mark_makes_a_person_suspicious():
    assert classify("GET", {"user-agent": CHROME, RATE_MARK_HEADER: "1"}) is ClickKind.SUSPICIOUS
    assert classify("GET", {"user-agent": CHROME, RATE_MARK_HEADER: "true"}) is ClickKind.SUSPICIOUS
    assert (
        classify("GET", {"user-agent": CHROME, RATE_MARK_HEADER: ""}) is ClickKind.HUMAN
    )  # an empty header marks nothing
    assert RATE_MARK_HEADER == "x-amzn-waf-soundlink-rate-limited"  # what template.yaml's WAF rule inserts


def test_which_rule_wins():
    # A prefetch is never a visit; a declared bot is a bot even when rate-marked; the rate mark
    # is suspicious even for a perfect browser.
    assert classify("GET", {"user-agent": CHROME, "sec-purpose": "prefetch", RATE_MARK_HEADER: "1"}) is (
        ClickKind.PREFETCH
    )
    assert classify("GET", {"user-agent": "curl/8.5.0", RATE_MARK_HEADER: "1"}) is ClickKind.BOT
    assert classify("HEAD", {"user-agent": "x"}) is ClickKind.BOT
    assert classify("GET", {"user-agent": "x", RATE_MARK_HEADER: "1"}) is ClickKind.SUSPICIOUS


@pytest.mark.parametrize("name", ["sec-purpose", "purpose", "x-purpose", "x-moz"])
@pytest.mark.parametrize("value", ["prefetch", "PRERENDER", "preview", "prefetch;anonymous-client-ip"])
def test_every_prefetch_header_and_value(name, value):
    assert is_prefetch({name: value})


@pytest.mark.parametrize(
    "headers",
    [{}, {"sec-purpose": ""}, {"purpose": "navigate"}, {"x-moz": "x"}, {"sec-fetch-mode": "prefetch"}],
)
def test_not_a_prefetch(headers):
    assert not is_prefetch(headers)


@pytest.mark.parametrize(
    ("user_agent", "bot"),
    [
        ("", True),
        ("   ", True),
        ("\t\n", True),
        ("Googlebot/2.1", True),
        ("  Googlebot/2.1  ", True),
        (CHROME, False),
        ("x", False),  # not a declared bot: suspicious, decided by the browser rule
    ],
)
def test_is_bot(user_agent, bot):
    assert is_bot(user_agent) is bot


def test_is_bot_looks_at_the_first_max_user_agent_characters_after_stripping():
    filler = "a" * (MAX_USER_AGENT - len("Googlebot/"))
    assert is_bot(filler + "Googlebot/")
    assert not is_bot(filler + "aGooglebot/")  # its slash is one character past the cut
    assert is_bot(" " * 20 + filler + "Googlebot/")
