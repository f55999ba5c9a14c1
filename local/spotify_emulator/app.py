"""HTTP layer of the Spotify emulator: accounts (/authorize, /api/token),
Web API (/v1/...) and the control API (/_emulator/...), in one Flask app."""

from __future__ import annotations

import base64
import binascii
import html
import time
from functools import wraps
from urllib.parse import urlencode

from flask import Flask, Response, g, jsonify, redirect, request

from .catalogue import is_spotify_id
from .library import add_library_routes
from .open_pages import add_open_routes
from .state import KNOWN_SCOPES, PLAY_WINDOW, EmulatorError, EmulatorState, iso_from_ms, iso_ms, iso_s

API_STATUS_MESSAGES = {
    400: "Bad request",
    401: "The access token expired",
    403: "Forbidden",
    404: "Resource not found",
    429: "API rate limit exceeded",
    500: "Server error",
    502: "Bad gateway",
    503: "Service unavailable",
}
ACCOUNTS_FAULT_ERRORS = {400: "invalid_grant", 401: "invalid_client", 429: "rate_limited"}
ALLOWLIST_MESSAGE = "Check settings on developer.spotify.com/dashboard, the user may not be registered."
INSUFFICIENT_SCOPE = "Insufficient client scope"


def _endpoint_for(path: str) -> str:
    if path.startswith("/_emulator"):
        return "control"
    if path == "/authorize":
        return "authorize"
    if path == "/api/token":
        return "token"
    if path == "/v1/me":
        return "me"
    if path == "/v1/me/player/recently-played":
        return "recently-played"
    if path == "/v1/me/library/contains":
        return "library-contains"
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[:2] == ["v1", "playlists"]:
        return "playlist"
    if len(parts) == 4 and parts[:2] == ["v1", "playlists"] and parts[3] == "items":
        return "playlist-items"
    if len(parts) == 3 and parts[:2] == ["v1", "tracks"]:
        return "track"
    return "other"


def _error_response(err: EmulatorError) -> Response:
    if err.kind == "accounts":
        body: dict = {"error": err.error or "invalid_request", "error_description": err.message}
    elif err.kind == "control":
        body = {"error": err.message}
    else:
        body = {"error": {"status": err.status, "message": err.message}}
        if err.reason:
            body["error"]["reason"] = err.reason
    resp = jsonify(body)
    resp.status_code = err.status
    for key, value in err.headers.items():
        resp.headers[key] = value
    return resp


def _page(title: str, body_html: str, status: int = 200) -> Response:
    doc = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}"
        "button{padding:.5rem 1.2rem;margin-right:.5rem}fieldset{margin:1rem 0}"
        ".error{color:#b00020}</style></head><body>"
        f"{body_html}</body></html>"
    )
    return Response(doc, status=status, mimetype="text/html")


def _error_page(message: str, status: int = 400) -> Response:
    return _page(
        "Error - Spotify (emulator)",
        f'<h1>Oops! Something went wrong</h1><p class="error" id="error">{html.escape(message)}</p>',
        status,
    )


def _with_query(uri: str, params: dict) -> str:
    params = {k: v for k, v in params.items() if v is not None}
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def create_app(state: EmulatorState) -> Flask:
    app = Flask("spotify_emulator")
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = True  # type: ignore[attr-defined]

    def api_base() -> str:
        return request.host_url.rstrip("/") + "/v1"

    @app.errorhandler(EmulatorError)
    def _emulator_error(err: EmulatorError):
        return _error_response(err)

    @app.errorhandler(404)
    def _not_found(_err):
        if request.path.startswith("/_emulator"):
            return jsonify({"error": "not found"}), 404
        if request.path.startswith("/v1"):
            return jsonify({"error": {"status": 404, "message": "Service not found"}}), 404
        return _error_page("Page not found", 404)

    @app.errorhandler(405)
    def _not_allowed(_err):
        if request.path.startswith("/v1"):
            return jsonify({"error": {"status": 405, "message": "Method not allowed"}}), 405
        return jsonify({"error": "method not allowed"}), 405

    @app.before_request
    def _start():
        g.endpoint = _endpoint_for(request.path)
        g.user_id = None
        g.client_id = None

    @app.after_request
    def _log(resp: Response):
        if g.get("endpoint", "control") != "control":
            state.log_request(
                {
                    "at": iso_ms(state.now()),
                    "method": request.method,
                    "path": request.path,
                    "endpoint": g.endpoint,
                    "status": resp.status_code,
                    "client_id": g.get("client_id"),
                    "user": g.get("user_id"),
                }
            )
        return resp

    def control_json() -> object:
        data = request.get_json(silent=True)
        if data is None and request.data:
            raise EmulatorError(400, "body must be JSON", "control")
        return {} if data is None else data

    def control_obj() -> dict:
        data = control_json()
        if not isinstance(data, dict):
            raise EmulatorError(400, "body must be a JSON object", "control")
        return data

    # -- Web API plumbing --------------------------------------------------------------

    def apply_fault(endpoint: str, user_id: str | None, kind: str) -> Response | None:
        fault = state.take_fault(endpoint, user_id)
        if fault is None:
            return None
        if fault.delay_ms:
            time.sleep(fault.delay_ms / 1000.0)
        if fault.status is None:
            return None
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if kind == "accounts":
            error = fault.error or ACCOUNTS_FAULT_ERRORS.get(fault.status, "server_error")
            default = "Refresh token revoked" if error == "invalid_grant" else "Injected fault"
            err = EmulatorError(fault.status, fault.message or default, "accounts", error, headers)
        else:
            message = fault.message or API_STATUS_MESSAGES.get(fault.status, "Error")
            err = EmulatorError(fault.status, message, "api", headers=headers, reason=fault.reason)
        return _error_response(err)

    APP_TOKEN_ENDPOINTS = frozenset({"playlist", "playlist-items"})

    def web_api(endpoint: str):
        def decorate(fn):
            @wraps(fn)
            def wrapper(*args, **kwargs):
                header = request.headers.get("Authorization", "")
                if not header:
                    raise EmulatorError(401, "No token provided", "api")
                scheme, _, token = header.partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise EmulatorError(400, "Only valid bearer authentication supported", "api")
                with state.lock:
                    record = state.access_token(token.strip())
                    g.user_id, g.client_id = record.user_id, record.client_id
                    state.check_rate_limit(record.client_id)
                faulted = apply_fault(endpoint, record.user_id, "api")
                if faulted is not None:
                    return faulted
                with state.lock:
                    app_record = state.apps.get(record.client_id)
                    if app_record is None:
                        raise EmulatorError(401, "The access token expired", "api")
                    if not record.user_id:
                        # The app's own token (client credentials) reads public catalogue data only.
                        if endpoint not in APP_TOKEN_ENDPOINTS:
                            raise EmulatorError(401, "This request requires user authentication.", "api")
                    elif app_record.allowlist is not None and record.user_id not in app_record.allowlist:
                        raise EmulatorError(403, ALLOWLIST_MESSAGE, "api")
                    g.token = record
                    g.scopes = set(record.scope.split())
                    return fn(*args, **kwargs)

            return wrapper

        return decorate

    def int_param(name: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
        raw = request.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise EmulatorError(400, f"Invalid {name}", "api") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise EmulatorError(400, f"Invalid {name}", "api")
        return value

    def user_object(user_id: str) -> dict:
        user = state.users[user_id]
        return {
            "account_id": user.account_id,
            "display_name": user.display_name,
            "external_urls": {"spotify": f"https://open.spotify.com/user/{user.id}"},
            "href": f"{api_base()}/users/{user.id}",
            "id": user.id,
            "images": [],
            "type": "user",
            "uri": f"spotify:user:{user.id}",
        }

    def playlist_user(user_id: str, with_name: bool = False) -> dict:
        obj = {
            "external_urls": {"spotify": f"https://open.spotify.com/user/{user_id}"},
            "href": f"{api_base()}/users/{user_id}",
            "id": user_id,
            "type": "user",
            "uri": f"spotify:user:{user_id}",
        }
        if with_name:
            user = state.users.get(user_id)
            obj["display_name"] = user.display_name if user else None
        return obj

    def context_object(uri: str | None) -> dict | None:
        if not uri:
            return None
        parts = uri.split(":")
        kind, ident = parts[-2], parts[-1]
        if ident == "collection":  # Liked Songs: spotify:user:<id>:collection
            return {
                "type": "collection",
                "href": f"{api_base()}/me/tracks",
                "external_urls": {"spotify": "https://open.spotify.com/collection/tracks"},
                "uri": uri,
            }
        plural = {"playlist": "playlists", "album": "albums", "artist": "artists", "show": "shows"}.get(kind)
        return {
            "type": kind,
            "href": f"{api_base()}/{plural or kind}/{ident}",
            "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{ident}"},
            "uri": uri,
        }

    def playlist_items_page(playlist, offset: int, limit: int) -> dict:
        api = api_base()
        entries = playlist.entries
        page = entries[offset : offset + limit]
        items = []
        for entry in page:
            track = state.catalogue.track_object(entry.track_id, api)
            items.append(
                {
                    "added_at": iso_s(entry.added_at),
                    "added_by": playlist_user(entry.added_by),
                    "is_local": False,
                    "item": track,
                    "track": track,
                }
            )
        base = f"{api}/playlists/{playlist.id}/items"
        total = len(entries)
        nxt = f"{base}?{urlencode({'offset': offset + limit, 'limit': limit})}" if offset + limit < total else None
        prev = f"{base}?{urlencode({'offset': max(0, offset - limit), 'limit': limit})}" if offset > 0 else None
        return {
            "href": f"{base}?{urlencode({'offset': offset, 'limit': limit})}",
            "items": items,
            "limit": limit,
            "next": nxt,
            "offset": offset,
            "previous": prev,
            "total": total,
        }

    def visible_playlist(playlist_id: str):
        if not is_spotify_id(playlist_id):
            raise EmulatorError(400, "Invalid base62 id", "api")
        playlist = state.get_playlist(playlist_id, "api")
        user_id = g.token.user_id
        if not playlist.public and not playlist.is_member(user_id):
            raise EmulatorError(404, "Resource not found", "api")
        return playlist

    def playlist_scope_ok(playlist) -> bool:
        if playlist.public:
            return True
        if "playlist-read-private" in g.scopes:
            return True
        return playlist.collaborative and "playlist-read-collaborative" in g.scopes

    # -- Accounts -----------------------------------------------------------------------

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        params = request.values
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        with state.lock:
            app_record = state.apps.get(client_id)
            if app_record is None:
                return _error_page("INVALID_CLIENT: Invalid client")
            g.client_id = client_id
            if redirect_uri not in app_record.redirect_uris:
                return _error_page("INVALID_CLIENT: Invalid redirect URI")
        st = params.get("state")

        def back(**extra):
            return redirect(_with_query(redirect_uri, {**extra, "state": st}), 302)

        if params.get("response_type") != "code":
            return back(error="unsupported_response_type")
        challenge = params.get("code_challenge") or None
        method = params.get("code_challenge_method") or None
        if (method is not None or challenge is not None) and (method != "S256" or not challenge):
            return back(error="invalid_request", error_description="code_challenge_method must be S256")
        scope = " ".join(params.get("scope", "").split())
        if any(s not in KNOWN_SCOPES for s in scope.split()):
            return back(error="invalid_scope")

        login_as = params.get("login_as", "")
        decision = params.get("decision", "")
        new_name = params.get("new_user_name", "").strip()
        if not decision:
            return consent_page(app_record, params, preselect=login_as)
        if decision not in ("approve", "deny"):
            return _error_page("decision must be approve or deny")
        if decision == "deny":
            return back(error="access_denied")
        with state.lock:
            if login_as in ("", "__new__"):
                if not new_name:
                    return consent_page(app_record, params, preselect="", error="Pick a user or create one.")
                user = state.create_user({"display_name": new_name})
                login_as = user.id
            elif login_as not in state.users:
                return _error_page(f"Unknown user: {login_as}")
            g.user_id = login_as
            code = state.issue_code(app_record, login_as, redirect_uri, scope, challenge)
        return back(code=code)

    def consent_page(app_record, params, preselect: str = "", error: str = "") -> Response:
        esc = html.escape
        with state.lock:
            users = [(u.id, u.display_name) for u in state.users.values()]
        if users and preselect not in dict(users):
            # A person most often signs in as a user that already exists.
            preselect = users[0][0]
        hidden = "".join(
            f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
            for k, v in params.items(multi=True)
            if k not in ("login_as", "decision", "new_user_name")
        )
        options = "".join(
            f'<option value="{esc(uid)}"{" selected" if uid == preselect else ""}>{esc(name)} ({esc(uid)})</option>'
            for uid, name in users
        )
        new_selected = " selected" if not preselect or preselect not in dict(users) else ""
        scopes = "".join(f"<li>{esc(s)}</li>" for s in params.get("scope", "").split()) or "<li>(none)</li>"
        body = (
            f"<h1>Spotify (emulator)</h1><p><strong>{esc(app_record.name)}</strong> "
            f"(<code>{esc(app_record.client_id)}</code>) wants to access your account.</p>"
            f'<p>It asks for:</p><ul id="scopes">{scopes}</ul>'
            + (f'<p class="error" id="error">{esc(error)}</p>' if error else "")
            + f'<form method="post" action="/authorize">{hidden}'
            "<fieldset><legend>Log in as</legend>"
            f'<select name="login_as" id="login_as">{options}'
            f'<option value="__new__"{new_selected}>Create a new user...</option></select>'
            '<p><label>New user display name <input name="new_user_name" id="new_user_name"></label></p>'
            "</fieldset>"
            '<button type="submit" name="decision" value="approve" id="approve">Agree</button>'
            '<button type="submit" name="decision" value="deny" id="deny">Cancel</button>'
            "</form>"
        )
        return _page("Authorize - Spotify (emulator)", body)

    @app.route("/api/token", methods=["POST"])
    def token():
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
            msg = "grant_type parameter is missing" if not grant_type else f"Unsupported grant_type: {grant_type}"
            raise EmulatorError(400, msg, "accounts", "unsupported_grant_type")
        header = request.headers.get("Authorization", "")
        client_secret: str | None
        if header:
            scheme, _, creds = header.partition(" ")
            try:
                decoded = base64.b64decode(creds.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if scheme.lower() != "basic" or ":" not in decoded:
                raise EmulatorError(401, "Invalid client", "accounts", "invalid_client")
            client_id, _, client_secret = decoded.partition(":")
        else:
            client_id = form.get("client_id")
            client_secret = form.get("client_secret")
        g.client_id = client_id
        g.user_id = state.user_for_grant(grant_type, form)
        faulted = apply_fault("token", g.user_id, "accounts")
        if faulted is not None:
            return faulted
        app_record = state.authenticate_client(client_id, client_secret)
        has_secret = client_secret is not None
        if grant_type == "client_credentials":
            body = state.app_token(app_record, has_secret)
        elif grant_type == "authorization_code":
            body = state.exchange_code(
                app_record, has_secret, form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
            )
        else:
            body = state.refresh(app_record, has_secret, form.get("refresh_token"))
        resp = jsonify(body)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    # -- Web API --------------------------------------------------------------------------

    @app.get("/v1/me")
    @web_api("me")
    def me():
        return jsonify(user_object(g.token.user_id))

    @app.get("/v1/me/player/recently-played")
    @web_api("recently-played")
    def recently_played():
        if "user-read-recently-played" not in g.scopes:
            raise EmulatorError(403, INSUFFICIENT_SCOPE, "api")
        limit = int_param("limit", 20, 1, 50)
        has_after = request.args.get("after") not in (None, "")
        has_before = request.args.get("before") not in (None, "")
        if has_after and has_before:
            raise EmulatorError(400, "Only one of after and before may be specified", "api")
        after = int_param("after", 0, 0)
        before = int_param("before", 0, 0)
        plays = state.users[g.token.user_id].plays[-PLAY_WINDOW:]  # oldest first
        if has_after:
            newer = [p for p in plays if p[0] > after]
            page = newer[:limit]  # the plays right after the cursor
            more = len(newer) > limit
        else:
            older = [p for p in plays if p[0] < before] if has_before else list(plays)
            page = older[-limit:]  # the newest plays before the cursor
            more = len(older) > limit
        page = list(reversed(page))  # newest first
        api = api_base()
        items = [
            {
                "track": state.catalogue.track_object(track_id, api),
                "played_at": iso_from_ms(played_ms),
                "context": context_object(context_uri),
            }
            for played_ms, track_id, context_uri in page
        ]
        base = f"{api}/me/player/recently-played"
        cursors = None
        nxt = None
        if page:
            cursors = {"after": str(page[0][0]), "before": str(page[-1][0])}
            if more:
                key, value = ("after", page[0][0]) if has_after else ("before", page[-1][0])
                nxt = f"{base}?{urlencode({key: value, 'limit': limit})}"
        query = request.query_string.decode()
        return jsonify(
            {
                "items": items,
                "next": nxt,
                "cursors": cursors,
                "limit": limit,
                "href": f"{base}?{query}" if query else base,
            }
        )

    @app.get("/v1/playlists/<playlist_id>")
    @web_api("playlist")
    def get_playlist(playlist_id: str):
        playlist = visible_playlist(playlist_id)
        if not playlist_scope_ok(playlist):
            raise EmulatorError(403, INSUFFICIENT_SCOPE, "api")
        api = api_base()
        images = []
        if playlist.entries:
            images = [{"url": f"https://mosaic.scdn.co/640/{playlist.snapshot_id[:16]}", "height": None, "width": None}]
        obj = {
            "collaborative": playlist.collaborative,
            "description": playlist.description,
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist.id}"},
            "href": f"{api}/playlists/{playlist.id}",
            "id": playlist.id,
            "images": images,
            "name": playlist.name,
            "owner": playlist_user(playlist.owner, with_name=True),
            "public": playlist.public,
            "snapshot_id": playlist.snapshot_id,
        }
        if playlist.is_member(g.token.user_id):
            page = playlist_items_page(playlist, 0, 100)
            obj["items"] = page
            obj["tracks"] = page
        obj["type"] = "playlist"
        obj["uri"] = f"spotify:playlist:{playlist.id}"
        return jsonify(obj)

    @app.get("/v1/playlists/<playlist_id>/items")
    @web_api("playlist-items")
    def get_playlist_items(playlist_id: str):
        playlist = visible_playlist(playlist_id)
        if not playlist.is_member(g.token.user_id):
            raise EmulatorError(403, "Forbidden", "api")
        if not playlist_scope_ok(playlist):
            raise EmulatorError(403, INSUFFICIENT_SCOPE, "api")
        limit = int_param("limit", 20, 1, 50)
        offset = int_param("offset", 0, 0)
        return jsonify(playlist_items_page(playlist, offset, limit))

    @app.get("/v1/tracks/<track_id>")
    @web_api("track")
    def get_track(track_id: str):
        if not is_spotify_id(track_id):
            raise EmulatorError(400, "Invalid base62 id", "api")
        return jsonify(state.catalogue.track_object(track_id, api_base()))

    add_library_routes(app, state, web_api, control_json)
    add_open_routes(app, state)

    # -- Control API -----------------------------------------------------------------------

    def app_json(a) -> dict:
        return {
            "client_id": a.client_id,
            "client_secret": a.client_secret,
            "redirect_uris": a.redirect_uris,
            "allowlist": a.allowlist,
            "name": a.name,
        }

    def user_json(u) -> dict:
        return {"id": u.id, "account_id": u.account_id, "display_name": u.display_name}

    def playlist_json(p) -> dict:
        return {
            "id": p.id,
            "uri": f"spotify:playlist:{p.id}",
            "snapshot_id": p.snapshot_id,
            "owner": p.owner,
            "name": p.name,
            "public": p.public,
            "collaborators": p.collaborators,
            "track_ids": [e.track_id for e in p.entries],
        }

    @app.get("/_emulator/health")
    def health():
        return jsonify({"ok": True})

    @app.route("/_emulator/apps", methods=["GET", "POST"])
    def apps():
        if request.method == "GET":
            with state.lock:
                items = [app_json(a) for a in state.apps.values()]
            return jsonify({"items": items, "total": len(items)})
        a = state.register_app(control_obj())
        return jsonify(app_json(a)), 201

    @app.route("/_emulator/apps/<client_id>", methods=["GET", "PATCH"])
    def app_detail(client_id: str):
        if request.method == "PATCH":
            return jsonify(app_json(state.update_app(client_id, control_obj())))
        with state.lock:
            a = state.apps.get(client_id)
            if a is None:
                raise EmulatorError(404, f"unknown app {client_id!r}", "control")
            return jsonify(app_json(a))

    @app.route("/_emulator/users", methods=["GET", "POST"])
    def users():
        if request.method == "GET":
            with state.lock:
                items = [user_json(u) for u in state.users.values()]
            return jsonify({"items": items, "total": len(items)})
        return jsonify(user_json(state.create_user(control_obj()))), 201

    @app.get("/_emulator/users/<user_id>")
    def user_detail(user_id: str):
        with state.lock:
            return jsonify(user_json(state.get_user(user_id)))

    @app.route("/_emulator/users/<user_id>/plays", methods=["GET", "POST"])
    def plays(user_id: str):
        if request.method == "GET":
            with state.lock:
                user = state.get_user(user_id)
                items = [
                    {"played_at": iso_from_ms(ms), "played_at_ms": ms, "track_id": t, "context_uri": c}
                    for ms, t, c in reversed(user.plays)
                ]
            return jsonify({"items": items, "total": len(items)})
        data = control_json()
        if isinstance(data, dict):
            data = data.get("plays", [data])
        if not isinstance(data, list):
            raise EmulatorError(400, "body must be a list of plays", "control")
        added = state.add_plays(user_id, data)
        with state.lock:
            visible = len(state.users[user_id].plays)
        return jsonify({"added": added, "visible": visible}), 201

    @app.post("/_emulator/users/<user_id>/revoke")
    def revoke(user_id: str):
        data = control_obj()
        return jsonify(state.revoke_user(user_id, data.get("client_id")))

    @app.route("/_emulator/playlists", methods=["GET", "POST"])
    def playlists():
        if request.method == "GET":
            with state.lock:
                items = [playlist_json(p) for p in state.playlists.values()]
            return jsonify({"items": items, "total": len(items)})
        return jsonify(playlist_json(state.create_playlist(control_obj()))), 201

    @app.route("/_emulator/playlists/<playlist_id>", methods=["GET", "PATCH"])
    def playlist_detail(playlist_id: str):
        if request.method == "PATCH":
            return jsonify(playlist_json(state.update_playlist(playlist_id, control_obj())))
        with state.lock:
            return jsonify(playlist_json(state.get_playlist(playlist_id)))

    @app.route("/_emulator/playlists/<playlist_id>/tracks", methods=["PUT", "POST", "DELETE"])
    def playlist_tracks(playlist_id: str):
        data = control_obj()
        if request.method == "DELETE":
            p = state.remove_playlist_tracks(playlist_id, data)
        else:
            p = state.change_playlist_tracks(playlist_id, data, replace=request.method == "PUT")
        return jsonify(playlist_json(p))

    @app.route("/_emulator/faults", methods=["GET", "POST", "DELETE"])
    def faults():
        if request.method == "POST":
            data = control_json()
            items = data if isinstance(data, list) else [data]
            created = [vars(state.add_fault(f if isinstance(f, dict) else {})).copy() for f in items]
            return jsonify(created[0] if not isinstance(data, list) else {"items": created}), 201
        with state.lock:
            if request.method == "DELETE":
                state.faults.clear()
            items = [vars(f).copy() for f in state.faults]
        return jsonify({"items": items, "total": len(items)})

    @app.get("/_emulator/tracks")
    def tracks():
        api = api_base()
        limit = request.args.get("limit", type=int)
        offset = request.args.get("offset", default=0, type=int)
        with state.lock:
            ids = state.catalogue.order[offset : offset + limit if limit else None]
            items = [state.catalogue.track_object(t, api) for t in ids]
            total = len(state.catalogue.order)
        return jsonify({"items": items, "total": total})

    @app.route("/_emulator/clock", methods=["GET", "POST"])
    def clock():
        if request.method == "POST":
            data = control_obj()
            advance = data.get("advance_seconds", 0)
            if isinstance(advance, bool) or not isinstance(advance, int | float):
                raise EmulatorError(400, "advance_seconds must be a number", "control")
            state.advance_clock(advance)
        now = state.now()
        return jsonify({"now": iso_ms(now), "now_ms": round(now * 1000), "offset_seconds": state.clock_offset})

    @app.route("/_emulator/config", methods=["GET", "POST", "PATCH"])
    def config():
        if request.method == "GET":
            with state.lock:
                return jsonify(dict(state.config))
        return jsonify(state.set_config(control_obj()))

    @app.post("/_emulator/reset")
    def reset():
        state.reset()
        return jsonify({"ok": True})

    @app.route("/_emulator/requests", methods=["GET", "DELETE"])
    def requests_log():
        if request.method == "DELETE":
            state.clear_requests()
        return jsonify(state.requests_summary())

    return app
