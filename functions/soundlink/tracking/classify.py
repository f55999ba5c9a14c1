"""Which requests to a tracker link are people, and which are machines.

Link unfurlers (Slack, iMessage, WhatsApp...), search engines and HTTP
libraries fetch links too; counting them would inflate clicks, and letting
them start a consent would fill the table with states nobody finishes. The
patterns come from the crawler-user-agents package (the community list);
requests with no user agent at all are machines as well. Browsers prefetch
links they expect to be clicked (`Sec-Purpose: prefetch`, older `Purpose:`
/ `X-Moz:` headers): a prefetch is not a visit and is answered without
starting anything.
"""

from __future__ import annotations

from enum import StrEnum

import crawleruseragents

MAX_USER_AGENT = 512  # longer user agents are cut before any regex sees them


class ClickKind(StrEnum):
    HUMAN = "human"
    BOT = "bot"
    PREFETCH = "prefetch"


def is_prefetch(headers: dict[str, str]) -> bool:
    for name in ("sec-purpose", "purpose", "x-purpose", "x-moz"):
        value = headers.get(name, "").lower()
        if "prefetch" in value or "prerender" in value or "preview" in value:
            return True
    return False


def is_bot(user_agent: str) -> bool:
    user_agent = user_agent.strip()[:MAX_USER_AGENT]
    return not user_agent or crawleruseragents.is_crawler(user_agent)


def classify(method: str, headers: dict[str, str]) -> ClickKind:
    """`headers` with lower-case names, as payload 2.0 delivers them."""
    if is_prefetch(headers):
        return ClickKind.PREFETCH
    # HEAD is what link checkers and unfurlers send; a browser navigates with GET.
    if method.upper() != "GET" or is_bot(headers.get("user-agent", "")):
        return ClickKind.BOT
    return ClickKind.HUMAN
