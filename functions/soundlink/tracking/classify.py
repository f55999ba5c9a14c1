"""Which requests to a tracker link are people, and which are machines.

Link unfurlers (Slack, iMessage, WhatsApp...), search engines and HTTP
libraries fetch links too; counting them would inflate clicks, and letting
them start a consent would fill the table with states nobody finishes. The
patterns come from the crawler-user-agents package (the community list);
requests with no user agent at all are machines as well. Browsers prefetch
links they expect to be clicked (`Sec-Purpose: prefetch`, older `Purpose:`
/ `X-Moz:` headers): a prefetch is not a visit and is answered without
starting anything.

A third class sits between people and declared bots: *suspicious* requests,
which claim to be a browser but do not look like one (every current browser
sends `Mozilla/5.0 (<platform>) <engine>/...`; `User-Agent: x` is not a person), or which the WAF's rate rule
marked with a header (README, What counts as a click). They still go to the
destination, but start no consent and count in no click figure. The third
rule, a visitor's clicks beyond 5 an hour, needs a counter: the tracker and
the click recorder apply it (tracking/rate.py).
"""

from __future__ import annotations

from enum import StrEnum

import crawleruseragents

MAX_USER_AGENT = 512  # longer user agents are cut before any regex sees them
# The header the WAF rate rule inserts (AWS WAF prefixes inserted headers with x-amzn-waf-);
# the local cloud's rate rule inserts the same one.
RATE_MARK_HEADER = "x-amzn-waf-soundlink-rate-limited"
_ENGINES = ("AppleWebKit/", "Gecko/", "Trident/", "Presto/")


class ClickKind(StrEnum):
    HUMAN = "human"
    BOT = "bot"
    PREFETCH = "prefetch"
    SUSPICIOUS = "suspicious"


def is_prefetch(headers: dict[str, str]) -> bool:
    for name in ("sec-purpose", "purpose", "x-purpose", "x-moz"):
        value = headers.get(name, "").lower()
        if "prefetch" in value or "prerender" in value or "preview" in value:
            return True
    return False


def is_bot(user_agent: str) -> bool:
    user_agent = user_agent.strip()[:MAX_USER_AGENT]
    return not user_agent or crawleruseragents.is_crawler(user_agent)


def is_plausible_browser(headers: dict[str, str]) -> bool:
    """Whether the headers could come from a browser a person uses."""
    user_agent = headers.get("user-agent", "").strip()[:MAX_USER_AGENT]
    if not user_agent.startswith("Mozilla/5.0 (") or ")" not in user_agent:
        return False
    return any(engine in user_agent for engine in _ENGINES)


def classify(method: str, headers: dict[str, str]) -> ClickKind:
    """`headers` with lower-case names, as payload 2.0 delivers them."""
    if is_prefetch(headers):
        return ClickKind.PREFETCH
    # HEAD is what link checkers and unfurlers send; a browser navigates with GET.
    if method.upper() != "GET" or is_bot(headers.get("user-agent", "")):
        return ClickKind.BOT
    if headers.get(RATE_MARK_HEADER) or not is_plausible_browser(headers):
        return ClickKind.SUSPICIOUS
    return ClickKind.HUMAN
