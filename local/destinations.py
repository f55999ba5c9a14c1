"""Where the local cloud sends people instead of open.spotify.com.

Deployed, a campaign's destination is an ``https://open.spotify.com/...`` link:
the tracker's redirect, its landing page's "just play" link and the consent
callback's final redirect all send people there. Locally there is no Spotify
app to open, so the local HTTP API (and only it: no function knows) rewrites
those links in the functions' answers to the emulator's stand-in pages
(local/spotify_emulator/open_pages.py): the ``Location`` header, and
``href``/``action`` attributes of HTML bodies. With no emulator (real Spotify)
nothing is rewritten.
"""

from __future__ import annotations

import re

OPEN_SPOTIFY = "https://open.spotify.com/"
# An attribute value starting with the link, as the functions' pages write it (quoted, maybe escaped).
_ATTRIBUTE = re.compile(r"""((?:href|action)\s*=\s*["'])https://open\.spotify\.com/""", re.IGNORECASE)


def rewrite_location(location: str, base: str) -> str:
    """The Location to send: an open.spotify.com link moved under `base` (ending in '/')."""
    return base + location[len(OPEN_SPOTIFY) :] if location.startswith(OPEN_SPOTIFY) else location


def rewrite_html(body: bytes, base: str) -> bytes:
    """The HTML body with its open.spotify.com links (href, action) moved under `base`."""
    if b"open.spotify.com" not in body:
        return body
    text = body.decode("utf-8", errors="surrogateescape")
    text = _ATTRIBUTE.sub(lambda match: match.group(1) + base, text)
    return text.encode("utf-8", errors="surrogateescape")


def rewrite_response(headers: list[tuple[str, str]], body: bytes, base: str | None) -> tuple[list, bytes]:
    """A function's answer as the local cloud sends it (unchanged when `base` is None)."""
    if not base:
        return headers, body
    rewritten = [
        (name, rewrite_location(value, base) if name.lower() == "location" else value) for name, value in headers
    ]
    is_html = any(name.lower() == "content-type" and "text/html" in value.lower() for name, value in headers)
    return rewritten, rewrite_html(body, base) if is_html else body
