"""The user's library in the emulator: ``GET /v1/me/library/contains`` with the 2026
semantics, and the control routes that save or follow on behalf of a user.

Spotify's 2026 endpoint takes up to 40 Spotify URIs in one call, of several
types; which scope a URI needs depends on its type (saved items need
``user-library-read``, followed artists and users ``user-follow-read``,
followed playlists ``playlist-read-private``). A URI of another form, an
unsupported type, no URIs or more than 40 is a 400; a URI whose scope the token
lacks is a 403. Development Mode's allow-list is applied by the Web API
plumbing like on every other endpoint.
"""

from __future__ import annotations

from flask import Flask, g, jsonify, request

from .catalogue import is_spotify_id
from .state import EmulatorError, EmulatorState

MAX_URIS = 40
SCOPE_FOR_TYPE = {
    "track": "user-library-read",
    "album": "user-library-read",
    "episode": "user-library-read",
    "show": "user-library-read",
    "audiobook": "user-library-read",
    "artist": "user-follow-read",
    "user": "user-follow-read",
    "playlist": "playlist-read-private",
}
INSUFFICIENT_SCOPE = "Insufficient client scope"


def uri_type(uri: object) -> str | None:
    """The type of a supported Spotify URI, or None for anything else."""
    if not isinstance(uri, str):
        return None
    parts = uri.split(":")
    if len(parts) != 3 or parts[0] != "spotify" or parts[1] not in SCOPE_FOR_TYPE:
        return None
    ident = parts[2]
    if parts[1] == "user":
        return "user" if 0 < len(ident) <= 64 else None
    return parts[1] if is_spotify_id(ident) else None


def control_uris(data: object) -> list[str]:
    """The ``uris`` of a control request body, each a supported URI (else 400)."""
    uris = data.get("uris") if isinstance(data, dict) else None
    if not isinstance(uris, list) or not uris:
        raise EmulatorError(400, 'body must be {"uris": [...]} with at least one Spotify URI', "control")
    bad = [u for u in uris if uri_type(u) is None]
    if bad:
        raise EmulatorError(400, f"unsupported Spotify URI: {bad[0]!r}", "control")
    return list(dict.fromkeys(uris))


def add_library_routes(app: Flask, state: EmulatorState, web_api, control_json) -> None:
    @app.get("/v1/me/library/contains")
    @web_api("library-contains")
    def library_contains():
        raw = request.args.get("uris")
        if raw is None or raw.strip() == "":
            raise EmulatorError(400, "Missing required parameter: uris", "api")
        uris = [u.strip() for u in raw.split(",")]
        if len(uris) > MAX_URIS:
            raise EmulatorError(400, f"Too many ids requested (maximum {MAX_URIS})", "api")
        for uri in uris:
            kind = uri_type(uri)
            if kind is None:
                raise EmulatorError(400, f"Unsupported URI: {uri}", "api")
        needed = {SCOPE_FOR_TYPE[uri_type(u)] for u in uris}  # type: ignore[index]
        if not needed <= g.scopes:
            raise EmulatorError(403, INSUFFICIENT_SCOPE, "api")
        library = state.users[g.token.user_id].library
        return jsonify([uri in library for uri in uris])

    @app.route("/_emulator/users/<user_id>/library", methods=["GET", "POST", "DELETE"])
    def user_library(user_id: str):
        if request.method != "GET":
            uris = control_uris(control_json())
        with state.lock:
            user = state.get_user(user_id)
            if request.method == "POST":
                user.library.update(uris)
            elif request.method == "DELETE":
                user.library.difference_update(uris)
            items = sorted(user.library)
        return jsonify({"uris": items, "total": len(items)}), 201 if request.method == "POST" else 200
