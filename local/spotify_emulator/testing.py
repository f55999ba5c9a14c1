"""Small stdlib-only helpers to drive the emulator from tests and scripts.

from local.spotify_emulator import start_emulator
from local.spotify_emulator.testing import EmulatorControl, pkce_pair

emu = start_emulator()
ctl = EmulatorControl(emu.url)
app = ctl.register_app(["http://127.0.0.1:3000/oauth/callback"])
alice = ctl.create_user(display_name="Alice")
tokens = ctl.connect(app, alice["id"], scope="user-read-recently-played")
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlparse


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[override]
        return None


class EmulatorControl:
    """The control API (`/_emulator/...`) plus a headless OAuth flow."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if urlparse(url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(  # noqa: S310 (http only)
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (loopback)
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{method} {path} -> {err.code}: {err.read().decode()}") from None

    def register_app(self, redirect_uris: list[str], **fields) -> dict:
        return self.call("POST", "/_emulator/apps", {"redirect_uris": redirect_uris, **fields})

    def create_user(self, id: str | None = None, display_name: str | None = None) -> dict:
        body = {k: v for k, v in {"id": id, "display_name": display_name}.items() if v is not None}
        return self.call("POST", "/_emulator/users", body)

    def add_plays(self, user_id: str, plays: list[dict]) -> dict:
        return self.call("POST", f"/_emulator/users/{user_id}/plays", plays)

    def save(self, user_id: str, uris: list[str]) -> dict:
        """Save tracks or follow artists, users and playlists on behalf of a user."""
        return self.call("POST", f"/_emulator/users/{user_id}/library", {"uris": uris})

    def unsave(self, user_id: str, uris: list[str]) -> dict:
        return self.call("DELETE", f"/_emulator/users/{user_id}/library", {"uris": uris})

    def create_playlist(self, owner: str, name: str, track_ids: list[str], **fields) -> dict:
        return self.call(
            "POST", "/_emulator/playlists", {"owner": owner, "name": name, "track_ids": track_ids, **fields}
        )

    def tracks(self) -> list[dict]:
        return self.call("GET", "/_emulator/tracks")["items"]

    def fault(self, endpoint: str, status: int | None = None, count: int = 1, **fields) -> dict:
        return self.call(
            "POST", "/_emulator/faults", {"endpoint": endpoint, "status": status, "count": count, **fields}
        )

    def revoke(self, user_id: str) -> dict:
        return self.call("POST", f"/_emulator/users/{user_id}/revoke", {})

    def advance_clock(self, seconds: float) -> dict:
        return self.call("POST", "/_emulator/clock", {"advance_seconds": seconds})

    def config(self, **changes) -> dict:
        return self.call("POST", "/_emulator/config", changes)

    def requests(self) -> dict:
        return self.call("GET", "/_emulator/requests")

    def reset(self) -> None:
        self.call("POST", "/_emulator/reset", {})

    def authorize(
        self,
        app: dict,
        user_id: str,
        *,
        scope: str,
        redirect_uri: str | None = None,
        decision: str = "approve",
        state: str = "st",
        code_challenge: str | None = None,
    ) -> dict:
        """Run /authorize headlessly (login_as + decision); returns the callback's query params."""
        params = {
            "client_id": app["client_id"],
            "response_type": "code",
            "redirect_uri": redirect_uri or app["redirect_uris"][0],
            "state": state,
            "scope": scope,
            "login_as": user_id,
            "decision": decision,
        }
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(f"{self.url}/authorize?{urlencode(params)}", timeout=self.timeout)
        except urllib.error.HTTPError as err:
            if err.code != 302:
                raise RuntimeError(f"/authorize -> {err.code}: {err.read().decode()}") from None
            location = err.headers["Location"]
            return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        raise RuntimeError("/authorize did not redirect")

    def token(self, form: dict, client_id: str | None = None, client_secret: str | None = None) -> dict:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if client_id is not None and client_secret is not None:
            creds = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
            headers["Authorization"] = f"Basic {creds}"
        req = urllib.request.Request(  # noqa: S310 (http only)
            f"{self.url}/api/token",
            data=urlencode(form).encode(),
            method="POST",
            headers=headers,
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (loopback)
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"/api/token -> {err.code}: {err.read().decode()}") from None

    def connect(self, app: dict, user_id: str, *, scope: str) -> dict:
        """Authorize (approve) and exchange the code with client credentials: the token response."""
        params = self.authorize(app, user_id, scope=scope)
        return self.token(
            {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": app["redirect_uris"][0]},
            app["client_id"],
            app["client_secret"],
        )
