"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright's own browser download needs the internet, so the tests launch the
Chromium `make browser-deps` installs (/usr/bin/chromium, or SOUNDLINK_CHROMIUM).
Everything runs against the session's `local_cloud` (background=False: the
tests drain queues and run schedules themselves). Every page may reach only
loopback: any other request is answered by `offline_route` (the landing page
on open.spotify.com, where a listener is sent after consenting) or aborted.

Fixtures: `browser` (session), `context` / `page` (per test, 1280x900, recording
dialogs and page errors), `new_context(**options)`, `dashboard` (URLs and
helpers of the local cloud), `demo` (local/demo.py seeded once: a campaign
with numbers). Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from local.cloud import LocalCloud
from local.demo import Demo, seed_demo
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, DESKTOP_UA, Dashboard, Recorder, offline_route
from tests.integration.conftest import local_cloud  # noqa: F401 - the session's local cloud, reused here


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium")
    launched = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_context(**playwright options) -> context with offline routing and a `.recorder`; closed after the test."""
    opened: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", DESKTOP)
        # Headless Chromium names itself "HeadlessChrome", which the crawler list (rightly) calls a
        # bot: Soundlink would send it straight to the destination. The tests are a person's browser.
        if not options.get("user_agent"):
            options["user_agent"] = DESKTOP_UA
        context = browser.new_context(**options)
        context.set_default_timeout(20_000)
        context.route("**/*", offline_route)
        context.recorder = Recorder()
        context.on("page", context.recorder.watch)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


@pytest.fixture
def context(new_context: Callable[..., Any]) -> Any:
    return new_context()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(scope="session")
def dashboard(local_cloud: LocalCloud) -> Dashboard:  # noqa: F811 - the imported fixture
    return Dashboard(local_cloud)


@pytest.fixture(scope="session")
def demo(local_cloud: LocalCloud) -> Demo:  # noqa: F811 - the imported fixture
    """The demo `make dev` shows (local/demo.py), seeded once: an owner with a campaign that has numbers."""
    return seed_demo(local_cloud, rounds=2, seed=11, email=f"demo-{uuid.uuid4().hex[:6]}@example.com")
