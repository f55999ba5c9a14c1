"""A stand-in for open.spotify.com: where a local listener's journey ends.

In production a campaign sends people to ``https://open.spotify.com/playlist/{id}``
(or a track or album link). The local cloud rewrites those destinations to
``{emulator}/open/...`` (local/destinations.py), and these pages say what would
open, with the playlist's tracks when the emulator knows them. Every value shown
is HTML-escaped: playlist names are anyone's text.
"""

from __future__ import annotations

import html

from flask import Flask, Response, request

from .catalogue import is_spotify_id
from .state import EmulatorState

MAX_TRACKS_SHOWN = 100


def _page(title: str, body_html: str, status: int = 200) -> Response:
    doc = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
        "code{background:#f3f3f3;padding:0 .2rem}</style></head><body>"
        f"{body_html}</body></html>"
    )
    return Response(doc, status=status, mimetype="text/html")


def _how_to_play(tracks: str) -> str:
    """The command that gives a listener plays of `tracks`, with this emulator's URL unless it is the default."""
    here = request.host_url.rstrip("/")
    flag = "" if here in ("http://127.0.0.1:4000", "http://localhost:4000") else f" --spotify-url {here}"
    return (
        "<p>To give a local listener plays of these tracks, in another terminal:</p>"
        f"<pre><code>.venv/bin/python -m local.plays --listener 'Your Name' --tracks {html.escape(tracks)}"
        f" --minutes-ago 5 --now{html.escape(flag)}</code></pre>"
    )


def add_open_routes(app: Flask, state: EmulatorState) -> None:
    def track_items(track_ids: list[str]) -> str:
        rows = []
        for track_id in track_ids[:MAX_TRACKS_SHOWN]:
            track = state.catalogue.ensure_track(track_id)
            rows.append(f"<li>{html.escape(str(track['name']))} <code>{html.escape(track_id)}</code></li>")
        more = f"<p>… and {len(track_ids) - MAX_TRACKS_SHOWN} more.</p>" if len(track_ids) > MAX_TRACKS_SHOWN else ""
        return f'<ol id="tracks">{"".join(rows)}</ol>{more}' if rows else "<p>No tracks.</p>"

    @app.get("/open/")
    @app.get("/open/<path:rest>")
    def open_spotify(rest: str = "") -> Response:
        parts = [part for part in rest.split("/") if part]
        if parts and parts[0].startswith("intl-"):
            parts = parts[1:]
        if len(parts) == 4 and parts[0] == "user" and parts[2] == "playlist":
            parts = parts[2:]
        kind, item_id = (parts[0], parts[1]) if len(parts) == 2 else ("", "")
        heading = "<h1>Spotify (local stand-in)</h1>"
        if kind not in ("playlist", "track", "album") or not is_spotify_id(item_id):
            what = f"<code>https://open.spotify.com/{html.escape(rest)}</code>"
            return _page("Spotify (local stand-in)", f"{heading}<p>In production this opens {what}.</p>")
        with state.lock:
            if kind == "playlist":
                playlist = state.playlists.get(item_id)
                if playlist is None:
                    body = (
                        f"<p>In production this opens Spotify: playlist <code>{item_id}</code>, "
                        "which the local Spotify emulator does not know.</p>"
                    )
                    return _page("Playlist (local stand-in)", heading + body)
                track_ids = [entry.track_id for entry in playlist.entries]
                name = html.escape(playlist.name)
                body = (
                    f'<p id="opens">In production this opens Spotify: playlist <strong>{name}</strong> '
                    f"(<code>{item_id}</code>).</p>{track_items(track_ids)}{_how_to_play(f'playlist:{item_id}')}"
                )
                return _page(f"{playlist.name} (local stand-in)", heading + body)
            if kind == "track":
                track = state.catalogue.ensure_track(item_id)
                name = html.escape(str(track["name"]))
                body = (
                    f'<p id="opens">In production this opens Spotify: track <strong>{name}</strong> '
                    f"(<code>{item_id}</code>).</p>{_how_to_play(item_id)}"
                )
                return _page(f"{track['name']} (local stand-in)", heading + body)
        body = f'<p id="opens">In production this opens Spotify: album <code>{item_id}</code>.</p>'
        return _page("Album (local stand-in)", heading + body)
