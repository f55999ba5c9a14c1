"""Helpers of the browser tests: the offline routing, what pages did, the local cloud
as the tests use it, screenshots, axe-core and the layout check."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from local.cloud import LocalCloud, OwnerTokens
from local.spotify_emulator.testing import EmulatorControl

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = Path(os.environ.get("SOUNDLINK_AXE", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
CHROMIUM = Path(os.environ.get("SOUNDLINK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI, no user namespaces
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
PASSWORD = "Browser-owner-2026"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL = {"X-Soundlink-Local": "1"}  # every local control request carries it (ARCHITECTURE.md)
LANDING = "<!doctype html><title>Spotify</title><h1 id='landed'>Spotify playlist (stand-in)</h1>"


def offline_route(route: Any) -> None:
    """Loopback passes; open.spotify.com gets a stand-in page; anything else is aborted (no network here)."""
    host = urlsplit(route.request.url).hostname or ""
    if host in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    elif host == "open.spotify.com":
        route.fulfill(status=200, content_type="text/html", body=LANDING)
    else:
        route.abort()


@dataclass
class Recorder:
    """What a context's pages did that a test may assert on."""

    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))


@dataclass
class Dashboard:
    """The session's local cloud as the browser tests use it."""

    cloud: LocalCloud

    @property
    def web_url(self) -> str:
        return self.cloud.web_url

    @property
    def api_url(self) -> str:
        return self.cloud.api_url

    @property
    def spotify(self) -> EmulatorControl:
        assert self.cloud.spotify_url, "the browser tests need the Spotify emulator"
        return EmulatorControl(self.cloud.spotify_url)

    def new_owner(self) -> OwnerTokens:
        return self.cloud.create_owner(f"browser-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)

    def sign_in(self, page: Any, email: str, password: str = PASSWORD) -> None:
        """Through the sign-in form, as a person would; ends on the campaigns list."""
        page.goto(f"{self.web_url}/#/sign-in")
        page.get_by_test_id("sign-in-email").fill(email)
        page.get_by_test_id("sign-in-password").fill(password)
        page.get_by_test_id("sign-in-submit").click()
        page.wait_for_url(re.compile(r"#/campaigns$"))
        page.get_by_test_id("account-email").wait_for()

    def poll_everyone(self) -> None:
        """Every schedule once, then every queue drained (what the local control routes do)."""
        requests.post(f"{self.api_url}/_local/schedules/run", headers=LOCAL, timeout=60).raise_for_status()
        self.drain()

    def drain(self) -> None:
        result = requests.post(f"{self.api_url}/_local/queues/drain", headers=LOCAL, timeout=120).json()
        assert not result.get("failed") and not result.get("timed_out"), result


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """test-artifacts/<name>.png (after web fonts and chart animations settle)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations of the page at `impacts`.

    axe.min.js (node_modules, from `make web-vendor`'s npm ci) is served to the page from
    its own origin by a route, so the dashboard's CSP (script-src 'self') stays on.
    """
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make web-vendor` runs npm ci")
    if not page.evaluate("typeof window.axe === 'object'"):
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        url = f"{origin}/__browser-tests__/axe.min.js"
        page.route(url, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
        page.add_script_tag(url=url)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]


def no_horizontal_scroll(page: Any) -> dict:
    return page.evaluate(
        "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,"
        " fits: document.documentElement.scrollWidth <= window.innerWidth})"
    )
