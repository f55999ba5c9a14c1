"""The playlist references an owner may paste, reduced to one canonical id.

Accepted forms are the ones Spotify's apps hand out (shared/spotify/NOTES.md);
anything else is refused with a message that lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from soundlink.platform.errors import BadRequest

_ID = r"[0-9A-Za-z]{22}"
_ID_RE = re.compile(rf"^{_ID}$")
_URI_RE = re.compile(rf"^spotify:(?:user:[^:\s]+:)?playlist:({_ID})$")
# open.spotify.com paths: /playlist/{id}, /intl-xx/playlist/{id},
# /user/{u}/playlist/{id}; a trailing slash is harmless, query (?si=) ignored.
_PATH_RE = re.compile(rf"^(?:/intl-[a-z]{{2}}(?:-[a-z]{{2}})?)?(?:/user/[^/]+)?/playlist/({_ID})/?$", re.IGNORECASE)

ACCEPTED_FORMS = (
    "https://open.spotify.com/playlist/{id}",
    "https://open.spotify.com/intl-xx/playlist/{id}",
    "https://open.spotify.com/user/{user}/playlist/{id}",
    "spotify:playlist:{id}",
    "spotify:user:{user}:playlist:{id}",
    "a bare 22-character playlist id",
)


# Other things Spotify shares (its apps' "Copy link"): named back to the owner in words.
_OTHER_KINDS = {
    "album": "an album",
    "track": "a track",
    "artist": "an artist",
    "show": "a podcast",
    "episode": "a podcast episode",
    "user": "a Spotify profile",
    "collection": "your Liked Songs",
}
# A profile (user) only when nothing follows its name: /user/{u}/playlist/{id} is a playlist.
_OTHER_URI_RE = re.compile(r"^spotify:(?:(album|track|artist|show|episode|collection)(?::|$)|(user):[^:\s]+$)")
_OTHER_PATH_RE = re.compile(
    r"^(?:/intl-[a-z]{2}(?:-[a-z]{2})?)?/(?:(album|track|artist|show|episode|collection)(?:/|$)|(user)/[^/]+/?$)"
)


@dataclass(frozen=True)
class PlaylistRef:
    id: str

    @property
    def uri(self) -> str:
        return f"spotify:playlist:{self.id}"

    @property
    def url(self) -> str:
        return f"https://open.spotify.com/playlist/{self.id}"


def parse_playlist(value: str) -> PlaylistRef:
    """The canonical playlist for anything an owner may paste, or BadRequest."""
    text = (value or "").strip()
    playlist_id = _match(text)
    if playlist_id is None:
        kind = _other_kind(text)
        if kind is not None:
            link = "link" if "://" in text or text.startswith("open.") else "URI"
            raise BadRequest(
                f"That is {_OTHER_KINDS[kind]} {link}; Soundlink measures a playlist: paste a link that contains "
                "/playlist/ (in Spotify: the playlist's ⋯ menu → Share → Copy link to playlist)"
            )
        raise BadRequest(
            f"playlist {text[:200]!r} is not a Spotify playlist link; use one of: " + "; ".join(ACCEPTED_FORMS)
        )
    return PlaylistRef(playlist_id)


def _other_kind(text: str) -> str | None:
    """album, track, ... when the text is a Spotify link or URI to something that is not a playlist."""
    uri = _OTHER_URI_RE.match(text)
    if uri:
        return uri.group(1) or uri.group(2)
    if "://" not in text and text.startswith("open.spotify.com/"):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme in ("https", "http") and parts.hostname == "open.spotify.com":
        path = _OTHER_PATH_RE.match(parts.path)
        if path:
            return path.group(1) or path.group(2)
    return None


def _match(text: str) -> str | None:
    if _ID_RE.match(text):
        return text
    uri = _URI_RE.match(text)
    if uri:
        return uri.group(1)
    if "://" not in text and text.startswith("open.spotify.com/"):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme in ("https", "http") and parts.hostname == "open.spotify.com":
        path = _PATH_RE.match(parts.path)
        if path:
            return path.group(1)
    return None
