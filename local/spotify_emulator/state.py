"""In-memory state of the Spotify emulator: apps, users, tokens, plays, playlists.

All access goes through one re-entrant lock; the HTTP layer holds it for the
whole of a request's state work (never while sleeping for an injected delay).
Time comes from `now()`, the wall clock plus a settable offset, so expiry can
be tested without sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .catalogue import Catalogue, base62_id, is_spotify_id

SIX_MONTHS_SECONDS = 183 * 24 * 3600
CODE_LIFETIME_SECONDS = 600
PLAY_WINDOW = 50
MAX_ALLOWLIST = 5

FAULT_ENDPOINTS = {"token", "me", "recently-played", "playlist", "playlist-items", "track", "library-contains", "*"}

KNOWN_SCOPES = {
    "ugc-image-upload",
    "user-read-playback-state",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "app-remote-control",
    "streaming",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "user-follow-modify",
    "user-follow-read",
    "user-read-playback-position",
    "user-top-read",
    "user-read-recently-played",
    "user-library-modify",
    "user-library-read",
    "user-read-email",
    "user-read-private",
    "user-personalized",
    "user-soa-link",
    "user-soa-unlink",
    "soa-manage-entitlements",
    "soa-manage-partner",
    "soa-create-partner",
}

DEFAULT_CONFIG = {
    "expires_in": 3600,
    "rotate_refresh_tokens": False,
    "rate_limit": 180,
    "rate_window_seconds": 30,
    "refresh_token_lifetime_seconds": SIX_MONTHS_SECONDS,
    "code_lifetime_seconds": CODE_LIFETIME_SECONDS,
}


class EmulatorError(Exception):
    """An error to answer over HTTP. kind: 'api' (Web API shape), 'accounts'
    (OAuth shape) or 'control' (plain JSON for the control API)."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "api",
        error: str = "",
        headers: dict | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.error = error
        self.headers = headers or {}
        self.reason = reason


def iso_from_ms(ms: int) -> str:
    """ISO 8601 with milliseconds and Z, as Spotify writes played_at (exact, integer maths)."""
    seconds, millis = divmod(int(ms), 1000)
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


def iso_ms(ts: float) -> str:
    return iso_from_ms(round(ts * 1000))


def iso_s(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> float:
    """Unix seconds from an ISO 8601 string or Unix milliseconds (int)."""
    if isinstance(value, bool):
        raise ValueError("invalid time")
    if isinstance(value, int | float):
        return float(value) / 1000.0
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text) / 1000.0
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    raise ValueError("invalid time")


def _token(prefix: str, nbytes: int = 48) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def _user_id() -> str:
    # New Spotify accounts get ids like "31l77y2abcdefghijklmnopqrs" (lowercase base32).
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "31" + "".join(secrets.choice(alphabet) for _ in range(26))


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    allowlist: list[str] | None
    name: str = "Soundlink"
    calls: deque = field(default_factory=deque)  # timestamps of counted Web API calls


@dataclass
class User:
    id: str
    display_name: str
    account_id: str
    plays: list = field(default_factory=list)  # [(played_at_ms, track_id, context_uri)], oldest first
    library: set = field(default_factory=set)  # saved and followed Spotify URIs


@dataclass
class Code:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str
    scope: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    scope: str
    authorized_at: float  # the original authorization; refreshing never extends it
    public: bool  # issued to a PKCE public client (no secret needed to refresh)
    revoked: bool = False
    revoked_reason: str = ""


@dataclass
class PlaylistEntry:
    track_id: str
    added_at: float
    added_by: str


@dataclass
class Playlist:
    id: str
    owner: str
    name: str
    description: str
    public: bool
    collaborators: list[str]
    entries: list[PlaylistEntry]
    snapshot_id: str = ""

    @property
    def collaborative(self) -> bool:
        return bool(self.collaborators)

    def is_member(self, user_id: str) -> bool:
        return user_id == self.owner or user_id in self.collaborators


@dataclass
class Fault:
    id: int
    endpoint: str
    status: int | None
    count: int
    retry_after: int | None = None
    user: str | None = None
    delay_ms: int = 0
    message: str | None = None
    reason: str | None = None
    error: str | None = None


class EmulatorState:
    def __init__(self, *, catalogue_seed: str = "soundlink", catalogue_size: int = 300, **config) -> None:
        unknown = set(config) - set(DEFAULT_CONFIG)
        if unknown:
            raise TypeError(f"unknown emulator options: {sorted(unknown)}")
        self.lock = threading.RLock()
        self.initial_config = {**DEFAULT_CONFIG, **config}
        self.catalogue_seed = catalogue_seed
        self.catalogue_size = catalogue_size
        self.reset()

    # -- lifecycle & clock ----------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.config = dict(self.initial_config)
            self.clock_offset = 0.0
            self.catalogue = Catalogue(self.catalogue_seed, self.catalogue_size)
            self.apps: dict[str, App] = {}
            self.users: dict[str, User] = {}
            self.codes: dict[str, Code] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.playlists: dict[str, Playlist] = {}
            self.faults: list[Fault] = []
            self._fault_seq = 0
            self._issued = 0
            self.request_log: deque = deque(maxlen=1000)
            self.request_counts: dict[str, int] = {}
            self.request_total = 0

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += float(seconds)

    def set_config(self, changes: dict) -> dict:
        with self.lock:
            for key, value in changes.items():
                if key not in DEFAULT_CONFIG:
                    raise EmulatorError(400, f"unknown config key {key!r}", "control")
                expected = type(DEFAULT_CONFIG[key])
                if expected is bool:
                    if not isinstance(value, bool):
                        raise EmulatorError(400, f"{key} must be a boolean", "control")
                elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise EmulatorError(400, f"{key} must be a positive integer", "control")
                self.config[key] = value
            return dict(self.config)

    # -- request log ------------------------------------------------------------------

    def log_request(self, entry: dict) -> None:
        with self.lock:
            self.request_total += 1
            endpoint = entry.get("endpoint") or "other"
            self.request_counts[endpoint] = self.request_counts.get(endpoint, 0) + 1
            self.request_log.append(entry)

    def requests_summary(self) -> dict:
        with self.lock:
            by_status: dict[str, int] = {}
            for entry in self.request_log:
                key = str(entry.get("status"))
                by_status[key] = by_status.get(key, 0) + 1
            return {
                "total": self.request_total,
                "by_endpoint": dict(self.request_counts),
                "by_status_recent": by_status,
                "recent": list(self.request_log)[-200:],
            }

    def clear_requests(self) -> None:
        with self.lock:
            self.request_log.clear()
            self.request_counts = {}
            self.request_total = 0

    # -- apps & users -------------------------------------------------------------------

    def register_app(self, payload: dict) -> App:
        redirect_uris = payload.get("redirect_uris")
        if isinstance(redirect_uris, str):
            redirect_uris = [redirect_uris]
        if not isinstance(redirect_uris, list) or not all(isinstance(u, str) and u for u in redirect_uris):
            raise EmulatorError(400, "redirect_uris must be a non-empty list of URIs", "control")
        allowlist = payload.get("allowlist")
        if allowlist is not None:
            if not isinstance(allowlist, list) or not all(isinstance(u, str) for u in allowlist):
                raise EmulatorError(400, "allowlist must be a list of user ids", "control")
            if len(set(allowlist)) > MAX_ALLOWLIST:
                raise EmulatorError(400, f"Development Mode allows at most {MAX_ALLOWLIST} users per app", "control")
        client_id = payload.get("client_id") or secrets.token_hex(16)
        client_secret = payload.get("client_secret") or secrets.token_hex(16)
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise EmulatorError(400, "client_id and client_secret must be strings", "control")
        with self.lock:
            existing = self.apps.get(client_id)
            app = App(
                client_id=client_id,
                client_secret=client_secret,
                redirect_uris=list(redirect_uris),
                allowlist=list(dict.fromkeys(allowlist)) if allowlist is not None else None,
                name=str(payload.get("name") or "Soundlink"),
            )
            if existing is not None:
                app.calls = existing.calls
            self.apps[client_id] = app
            return app

    def update_app(self, client_id: str, payload: dict) -> App:
        with self.lock:
            app = self.apps.get(client_id)
            if app is None:
                raise EmulatorError(404, f"unknown app {client_id!r}", "control")
            merged = {
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uris": app.redirect_uris,
                "allowlist": app.allowlist,
                "name": app.name,
            }
            merged.update({k: v for k, v in payload.items() if k != "client_id"})
            return self.register_app(merged)

    def create_user(self, payload: dict) -> User:
        user_id = payload.get("id") or _user_id()
        if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > 64:
            raise EmulatorError(400, "id must be a non-empty string of at most 64 characters", "control")
        display_name = payload.get("display_name")
        if display_name is None:
            display_name = user_id
        if not isinstance(display_name, str):
            raise EmulatorError(400, "display_name must be a string", "control")
        with self.lock:
            if user_id in self.users:
                raise EmulatorError(409, f"user {user_id!r} already exists", "control")
            user = User(id=user_id, display_name=display_name, account_id=base62_id("account", user_id)[:16])
            self.users[user_id] = user
            return user

    def get_user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise EmulatorError(404, f"unknown user {user_id!r}", "control")
        return user

    # -- plays ------------------------------------------------------------------------------

    def add_plays(self, user_id: str, plays: list) -> list[dict]:
        with self.lock:
            user = self.get_user(user_id)
            added = []
            parsed = []
            for play in plays:
                if not isinstance(play, dict):
                    raise EmulatorError(400, "each play must be an object", "control")
                track_id = play.get("track_id")
                if not is_spotify_id(track_id):
                    raise EmulatorError(400, f"track_id must be a 22-character base62 id: {track_id!r}", "control")
                try:
                    played_at = self.now() if play.get("played_at") is None else parse_time(play["played_at"])
                except ValueError as exc:
                    raise EmulatorError(400, f"invalid played_at {play.get('played_at')!r}", "control") from exc
                context_uri = play.get("context_uri")
                if context_uri is not None and (not isinstance(context_uri, str) or context_uri.count(":") < 2):
                    raise EmulatorError(400, f"invalid context_uri {context_uri!r}", "control")
                parsed.append((round(played_at * 1000), track_id, context_uri))
            for played_ms, track_id, context_uri in parsed:
                self.catalogue.ensure_track(track_id)
                user.plays.append((played_ms, track_id, context_uri))
                added.append(
                    {
                        "played_at": iso_from_ms(played_ms),
                        "played_at_ms": played_ms,
                        "track_id": track_id,
                        "context_uri": context_uri,
                    }
                )
            user.plays.sort(key=lambda p: p[0])
            # Only the newest 50 plays exist at Spotify.
            del user.plays[:-PLAY_WINDOW]
            return added

    # -- playlists ---------------------------------------------------------------------------

    def _new_snapshot(self, playlist: Playlist) -> None:
        raw = f"{len(playlist.entries)},{secrets.token_hex(12)}".encode()
        playlist.snapshot_id = base64.b64encode(raw).decode().rstrip("=")

    def _entries(self, track_ids: object, added_by: str) -> list[PlaylistEntry]:
        if not isinstance(track_ids, list):
            raise EmulatorError(400, "track_ids must be a list", "control")
        now = self.now()
        entries = []
        for tid in track_ids:
            if not is_spotify_id(tid):
                raise EmulatorError(400, f"track id must be a 22-character base62 id: {tid!r}", "control")
            self.catalogue.ensure_track(tid)
            entries.append(PlaylistEntry(track_id=tid, added_at=now, added_by=added_by))
        return entries

    def _collaborators(self, value: object, owner: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise EmulatorError(400, "collaborators must be a list of user ids", "control")
        for c in value:
            self.get_user(c)
        return [c for c in dict.fromkeys(value) if c != owner]

    def create_playlist(self, payload: dict) -> Playlist:
        with self.lock:
            owner = payload.get("owner")
            if not isinstance(owner, str):
                raise EmulatorError(400, "owner (a user id) is required", "control")
            self.get_user(owner)
            playlist_id = payload.get("id") or base62_id("playlist", secrets.token_hex(16))
            if not is_spotify_id(playlist_id):
                raise EmulatorError(400, "id must be a 22-character base62 id", "control")
            if playlist_id in self.playlists:
                raise EmulatorError(409, f"playlist {playlist_id!r} already exists", "control")
            public = payload.get("public", True)
            if not isinstance(public, bool):
                raise EmulatorError(400, "public must be a boolean", "control")
            playlist = Playlist(
                id=playlist_id,
                owner=owner,
                name=str(payload.get("name") or "Untitled playlist"),
                description=str(payload.get("description") or ""),
                public=public,
                collaborators=self._collaborators(payload.get("collaborators"), owner),
                entries=self._entries(payload.get("track_ids", []), owner),
            )
            self._new_snapshot(playlist)
            self.playlists[playlist_id] = playlist
            return playlist

    def get_playlist(self, playlist_id: str, kind: str = "control") -> Playlist:
        playlist = self.playlists.get(playlist_id)
        if playlist is None:
            raise EmulatorError(
                404, "Resource not found" if kind == "api" else f"unknown playlist {playlist_id!r}", kind
            )
        return playlist

    def change_playlist_tracks(self, playlist_id: str, payload: dict, replace: bool) -> Playlist:
        with self.lock:
            playlist = self.get_playlist(playlist_id)
            added_by = payload.get("added_by") or playlist.owner
            if not playlist.is_member(added_by):
                raise EmulatorError(400, "added_by must be the owner or a collaborator", "control")
            entries = self._entries(payload.get("track_ids", []), added_by)
            if replace:
                playlist.entries = entries
            else:
                position = payload.get("position")
                if position is None:
                    playlist.entries.extend(entries)
                elif isinstance(position, int) and 0 <= position <= len(playlist.entries):
                    playlist.entries[position:position] = entries
                else:
                    raise EmulatorError(400, "invalid position", "control")
            self._new_snapshot(playlist)
            return playlist

    def remove_playlist_tracks(self, playlist_id: str, payload: dict) -> Playlist:
        with self.lock:
            playlist = self.get_playlist(playlist_id)
            remove = set(payload.get("track_ids") or [])
            before = len(playlist.entries)
            playlist.entries = [e for e in playlist.entries if e.track_id not in remove]
            if len(playlist.entries) != before:
                self._new_snapshot(playlist)
            return playlist

    def update_playlist(self, playlist_id: str, payload: dict) -> Playlist:
        with self.lock:
            playlist = self.get_playlist(playlist_id)
            if "name" in payload:
                playlist.name = str(payload["name"])
            if "description" in payload:
                playlist.description = str(payload["description"] or "")
            if "public" in payload:
                if not isinstance(payload["public"], bool):
                    raise EmulatorError(400, "public must be a boolean", "control")
                playlist.public = payload["public"]
            if "collaborators" in payload:
                playlist.collaborators = self._collaborators(payload["collaborators"], playlist.owner)
            self._new_snapshot(playlist)
            return playlist

    # -- OAuth --------------------------------------------------------------------------------

    def issue_code(self, app: App, user_id: str, redirect_uri: str, scope: str, code_challenge: str | None) -> str:
        with self.lock:
            code = _token("AQ", 64)
            self.codes[code] = Code(
                code=code,
                client_id=app.client_id,
                user_id=user_id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=code_challenge,
                expires_at=self.now() + self.config["code_lifetime_seconds"],
            )
            return code

    def _purge(self) -> None:
        """Forget long-dead codes and access tokens so long benchmark runs stay small."""
        self._issued += 1
        if self._issued % 1000:
            return
        horizon = self.now() - 3600
        self.access_tokens = {k: v for k, v in self.access_tokens.items() if v.expires_at > horizon}
        self.codes = {k: v for k, v in self.codes.items() if v.expires_at > horizon}

    def _issue_access(self, client_id: str, user_id: str, scope: str) -> AccessToken:
        self._purge()
        token = AccessToken(
            token=_token("BQ", 96),
            client_id=client_id,
            user_id=user_id,
            scope=scope,
            expires_at=self.now() + self.config["expires_in"],
        )
        self.access_tokens[token.token] = token
        return token

    def _issue_refresh(
        self, client_id: str, user_id: str, scope: str, authorized_at: float, public: bool
    ) -> RefreshToken:
        token = RefreshToken(
            token=_token("AQ", 96),
            client_id=client_id,
            user_id=user_id,
            scope=scope,
            authorized_at=authorized_at,
            public=public,
        )
        self.refresh_tokens[token.token] = token
        return token

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> App:
        """The app for these credentials; a missing secret is checked by the grant."""
        app = self.apps.get(client_id or "")
        if app is None:
            raise EmulatorError(401, "Invalid client", "accounts", "invalid_client")
        if client_secret is not None and not secrets.compare_digest(client_secret, app.client_secret):
            raise EmulatorError(401, "Invalid client secret", "accounts", "invalid_client")
        return app

    def app_token(self, app: App, has_secret: bool) -> dict:
        """Client credentials: a token of the app itself, for no user (no scope, no refresh token)."""
        if not has_secret:
            raise EmulatorError(400, "Invalid client", "accounts", "invalid_client")
        with self.lock:
            token = self._issue_access(app.client_id, "", "")
            return {"access_token": token.token, "token_type": "Bearer", "expires_in": self.config["expires_in"]}

    def exchange_code(
        self, app: App, has_secret: bool, code: str | None, redirect_uri: str | None, code_verifier: str | None
    ) -> dict:
        with self.lock:
            if not code:
                raise EmulatorError(400, "code must be supplied", "accounts", "invalid_request")
            record = self.codes.get(code)
            if record is None or record.client_id != app.client_id:
                raise EmulatorError(400, "Invalid authorization code", "accounts", "invalid_grant")
            if record.used:
                raise EmulatorError(400, "Invalid authorization code", "accounts", "invalid_grant")
            if self.now() > record.expires_at:
                raise EmulatorError(400, "Authorization code expired", "accounts", "invalid_grant")
            if redirect_uri != record.redirect_uri:
                raise EmulatorError(400, "Invalid redirect URI", "accounts", "invalid_grant")
            if record.code_challenge is not None:
                if not code_verifier:
                    raise EmulatorError(400, "code_verifier required", "accounts", "invalid_request")
                digest = hashlib.sha256(code_verifier.encode()).digest()
                expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                if not secrets.compare_digest(expected, record.code_challenge):
                    raise EmulatorError(400, "code_verifier was incorrect", "accounts", "invalid_grant")
            elif not has_secret:
                raise EmulatorError(401, "Invalid client secret", "accounts", "invalid_client")
            record.used = True
            public = record.code_challenge is not None and not has_secret
            access = self._issue_access(app.client_id, record.user_id, record.scope)
            refresh = self._issue_refresh(app.client_id, record.user_id, record.scope, self.now(), public=public)
            return {
                "access_token": access.token,
                "token_type": "Bearer",
                "scope": record.scope,
                "expires_in": self.config["expires_in"],
                "refresh_token": refresh.token,
            }

    def refresh(self, app: App, has_secret: bool, refresh_token: str | None) -> dict:
        with self.lock:
            if not refresh_token:
                raise EmulatorError(400, "refresh_token must be supplied", "accounts", "invalid_request")
            record = self.refresh_tokens.get(refresh_token)
            if record is None or record.client_id != app.client_id:
                raise EmulatorError(400, "Invalid refresh token", "accounts", "invalid_grant")
            if not has_secret and not record.public:
                raise EmulatorError(401, "Invalid client secret", "accounts", "invalid_client")
            if record.revoked:
                raise EmulatorError(400, record.revoked_reason or "Refresh token revoked", "accounts", "invalid_grant")
            if self.now() > record.authorized_at + self.config["refresh_token_lifetime_seconds"]:
                raise EmulatorError(400, "Refresh token expired", "accounts", "invalid_grant")
            access = self._issue_access(app.client_id, record.user_id, record.scope)
            body = {
                "access_token": access.token,
                "token_type": "Bearer",
                "scope": record.scope,
                "expires_in": self.config["expires_in"],
            }
            if self.config["rotate_refresh_tokens"]:
                new = self._issue_refresh(
                    app.client_id, record.user_id, record.scope, record.authorized_at, record.public
                )
                record.revoked = True
                record.revoked_reason = "Refresh token revoked"
                body["refresh_token"] = new.token
            return body

    def user_for_grant(self, grant_type: str | None, form: dict) -> str | None:
        """The user a token request is about (for per-user faults), when known."""
        with self.lock:
            if grant_type == "authorization_code":
                record = self.codes.get(form.get("code") or "")
            elif grant_type == "refresh_token":
                record = self.refresh_tokens.get(form.get("refresh_token") or "")
            else:
                record = None
            return record.user_id if record else None

    def revoke_user(self, user_id: str, client_id: str | None = None) -> dict:
        with self.lock:
            self.get_user(user_id)
            n_refresh = n_access = 0
            for rt in self.refresh_tokens.values():
                if rt.user_id == user_id and not rt.revoked and client_id in (None, rt.client_id):
                    rt.revoked = True
                    rt.revoked_reason = "Refresh token revoked"
                    n_refresh += 1
            for at in self.access_tokens.values():
                if at.user_id == user_id and not at.revoked and client_id in (None, at.client_id):
                    at.revoked = True
                    n_access += 1
            return {"revoked_refresh_tokens": n_refresh, "revoked_access_tokens": n_access}

    def access_token(self, token: str) -> AccessToken:
        record = self.access_tokens.get(token)
        if record is None or record.revoked or self.now() >= record.expires_at:
            raise EmulatorError(401, "The access token expired", "api")
        return record

    # -- rate limit & faults ------------------------------------------------------------------

    def check_rate_limit(self, client_id: str) -> None:
        with self.lock:
            app = self.apps[client_id]
            now = self.now()
            window = self.config["rate_window_seconds"]
            while app.calls and app.calls[0] <= now - window:
                app.calls.popleft()
            if len(app.calls) >= self.config["rate_limit"]:
                retry_after = max(1, int(app.calls[0] + window - now + 0.999))
                raise EmulatorError(429, "API rate limit exceeded", "api", headers={"Retry-After": str(retry_after)})
            app.calls.append(now)

    def add_fault(self, payload: dict) -> Fault:
        endpoint = payload.get("endpoint", "*")
        if endpoint not in FAULT_ENDPOINTS:
            raise EmulatorError(400, f"endpoint must be one of {sorted(FAULT_ENDPOINTS)}", "control")
        status = payload.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
            raise EmulatorError(400, "status must be an HTTP error status (400-599)", "control")
        count = payload.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise EmulatorError(400, "count must be a positive integer", "control")
        retry_after = payload.get("retry_after")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise EmulatorError(400, "retry_after must be a non-negative integer (seconds)", "control")
        delay_ms = payload.get("delay_ms") or 0
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or not 0 <= delay_ms <= 60_000:
            raise EmulatorError(400, "delay_ms must be an integer between 0 and 60000", "control")
        if status is None and not delay_ms:
            raise EmulatorError(400, "a fault needs a status or a delay_ms", "control")
        with self.lock:
            self._fault_seq += 1
            fault = Fault(
                id=self._fault_seq,
                endpoint=endpoint,
                status=status,
                count=count,
                retry_after=retry_after,
                user=payload.get("user"),
                delay_ms=delay_ms,
                message=payload.get("message"),
                reason=payload.get("reason"),
                error=payload.get("error"),
            )
            self.faults.append(fault)
            return fault

    def take_fault(self, endpoint: str, user_id: str | None) -> Fault | None:
        """Consume one matching fault (oldest first)."""
        with self.lock:
            for fault in self.faults:
                if fault.endpoint not in ("*", endpoint):
                    continue
                if fault.user is not None and fault.user != user_id:
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
            return None
