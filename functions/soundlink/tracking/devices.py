"""Device, browser and operating system of a click, from its user agent (ua-parser).

Parsed by record_clicks, off the request path. ua-parser's default parser
compiles all its ~1,300 regular expressions on first use (~0.4 s of a cold
start); lazy matchers compile each one the first time it is tried, so a common
browser's first parse compiles a few dozen, with the same results.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from soundlink.platform import coldstart
from soundlink.tracking.classify import MAX_USER_AGENT
from soundlink.tracking.clicks import clean_value

UNKNOWN = "(unknown)"
_MOBILE_OS = {"ios", "android", "windows phone", "kaios", "harmonyos", "blackberry os", "firefox os"}
_DESKTOP_OS = {"windows", "mac os x", "macos", "linux", "ubuntu", "chrome os", "chromeos", "fedora", "freebsd"}
_TABLET_HINTS = ("ipad", "tablet", "kindle", "tab ", "galaxy tab", "sm-t", "nexus 7", "nexus 9", "nexus 10")


@lru_cache(maxsize=1)
def _parser() -> Any:
    with coldstart.loading():
        from ua_parser import Domain, Parser  # in the recorder only, on first use
        from ua_parser.loaders import load_lazy_builtins

        parser = Parser.from_matchers(load_lazy_builtins())
    # Browser and OS only: the ~1,000 device rules are all tried (and compiled) before a desktop
    # browser's "no device" (~120 ms of a first request), and the category needs none of them.
    return lambda user_agent: parser(user_agent, Domain.USER_AGENT | Domain.OS)


@lru_cache(maxsize=1024)
def describe(user_agent: str) -> dict[str, str]:
    """{"device": mobile|tablet|desktop|other, "browser": family, "os": family}."""
    user_agent = user_agent[:MAX_USER_AGENT]
    result = _parser()(user_agent) if user_agent.strip() else None
    browser = result.user_agent.family if result and result.user_agent else None
    os_family = result.os.family if result and result.os else None
    return {
        "device": _category(os_family or "", user_agent),
        "browser": clean_value(browser) or UNKNOWN,
        "os": clean_value(os_family) or UNKNOWN,
    }


def _category(os_family: str, user_agent: str) -> str:
    os_name = os_family.lower()
    hints = user_agent.lower()
    if any(hint in hints for hint in _TABLET_HINTS):
        return "tablet"
    if os_name in _MOBILE_OS:
        # Android tablets say "Android" without "Mobile" in their user agent.
        if os_name == "android" and "mobile" not in user_agent.lower():
            return "tablet"
        return "mobile"
    if os_name in _DESKTOP_OS:
        return "desktop"
    return "other"
