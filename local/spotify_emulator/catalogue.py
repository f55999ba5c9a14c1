"""A deterministic, offline catalogue of tracks, albums and artists.

Every object is derived from a seed with hashing only (no randomness, no
network), so two emulators started with the same seed serve identical tracks.
Any other valid Spotify id (22 base62 characters) becomes a track on first use,
derived from the id itself, so it is stable too.
"""

from __future__ import annotations

import hashlib
import re

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SPOTIFY_ID_RE = re.compile(r"^[0-9A-Za-z]{22}$")

_ADJECTIVES = [
    "Midnight",
    "Golden",
    "Electric",
    "Silver",
    "Quiet",
    "Neon",
    "Broken",
    "Velvet",
    "Crystal",
    "Wild",
    "Hollow",
    "Paper",
    "Endless",
    "Violet",
    "Burning",
    "Frozen",
    "Lucky",
    "Secret",
    "Northern",
    "Crimson",
    "Faded",
    "Distant",
    "Restless",
    "Sunday",
    "Summer",
    "Winter",
]
_NOUNS = [
    "Highway",
    "Garden",
    "River",
    "Signal",
    "Heart",
    "Mirror",
    "Harbor",
    "Parade",
    "Echo",
    "Lantern",
    "Ocean",
    "City",
    "Machine",
    "Dream",
    "Horizon",
    "Fever",
    "Satellite",
    "Window",
    "Thunder",
    "Mountain",
    "Letter",
    "Shadow",
    "Orchard",
    "Station",
    "Carousel",
    "Comet",
]
_ARTIST_FIRST = [
    "The",
    "Lo",
    "Saint",
    "Little",
    "Big",
    "DJ",
    "Miss",
    "Young",
    "Kid",
    "Sister",
    "Captain",
    "Dr.",
]
_ARTIST_SECOND = [
    "Wolves",
    "Harbors",
    "Lumen",
    "Sparrows",
    "Nadia",
    "Okafor",
    "Vega",
    "Marlowe",
    "Juniper",
    "Kestrel",
    "Atlas",
    "Moreau",
    "Tanaka",
    "Ivers",
    "Solene",
    "Bishop",
    "Cortez",
    "Halden",
]


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def base62_id(*parts: object, length: int = 22) -> str:
    """A stable base62 id of `length` characters derived from `parts`."""
    number = int.from_bytes(_digest(*parts), "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(chars)


def _pick(seq: list[str], *parts: object) -> str:
    return seq[int.from_bytes(_digest(*parts)[:4], "big") % len(seq)]


def _num(lo: int, hi: int, *parts: object) -> int:
    return lo + int.from_bytes(_digest(*parts)[:4], "big") % (hi - lo + 1)


def is_spotify_id(value: object) -> bool:
    return isinstance(value, str) and bool(SPOTIFY_ID_RE.match(value))


class Catalogue:
    """Tracks by id. Artists and albums are plain dicts without hrefs; hrefs are
    added per request (they depend on the base URL the caller used)."""

    def __init__(self, seed: str = "soundlink", size: int = 300) -> None:
        self.seed = seed
        self.artists: list[dict] = []
        self.albums: list[dict] = []
        self.tracks: dict[str, dict] = {}
        self.order: list[str] = []
        n_artists = max(1, size // 5)
        n_albums = max(1, size // 3)
        for i in range(n_artists):
            self.artists.append(
                {
                    "id": base62_id(seed, "artist", i),
                    "name": f"{_pick(_ARTIST_FIRST, seed, 'a1', i)} {_pick(_ARTIST_SECOND, seed, 'a2', i)}",
                }
            )
        for i in range(n_albums):
            year = _num(1995, 2026, seed, "year", i)
            month = _num(1, 12, seed, "month", i)
            day = _num(1, 28, seed, "day", i)
            self.albums.append(
                {
                    "id": base62_id(seed, "album", i),
                    "name": f"{_pick(_ADJECTIVES, seed, 'b1', i)} {_pick(_NOUNS, seed, 'b2', i)}",
                    "album_type": ["album", "single", "compilation"][_num(0, 2, seed, "type", i)],
                    "release_date": f"{year:04d}-{month:02d}-{day:02d}",
                    "artist_ids": [self.artists[i % n_artists]["id"]],
                    "track_ids": [],
                }
            )
        for i in range(size):
            album = self.albums[i % n_albums]
            artist_ids = list(album["artist_ids"])
            if _num(0, 4, seed, "feat", i) == 0:
                extra = self.artists[_num(0, n_artists - 1, seed, "featartist", i)]["id"]
                if extra not in artist_ids:
                    artist_ids.append(extra)
            track_id = base62_id(seed, "track", i)
            album["track_ids"].append(track_id)
            self.tracks[track_id] = {
                "id": track_id,
                "name": f"{_pick(_ADJECTIVES, seed, 't1', i)} {_pick(_NOUNS, seed, 't2', i)}",
                "album_id": album["id"],
                "artist_ids": artist_ids,
                "duration_ms": _num(95_000, 420_000, seed, "dur", i),
                "explicit": _num(0, 5, seed, "explicit", i) == 0,
                "track_number": len(album["track_ids"]),
                "isrc": f"QZ{_pick(['ES', 'FG', 'HN', 'KA'], seed, 'isrc', i)}{_num(20, 26, seed, 'iy', i)}"
                f"{_num(0, 99999, seed, 'in', i):05d}",
            }
            self.order.append(track_id)
        self._artists_by_id = {a["id"]: a for a in self.artists}
        self._albums_by_id = {a["id"]: a for a in self.albums}

    def ensure_track(self, track_id: str) -> dict:
        """The catalogue track, or a stable synthetic one for any other valid id."""
        track = self.tracks.get(track_id)
        if track is not None:
            return track
        if not is_spotify_id(track_id):
            raise ValueError(f"invalid track id: {track_id!r}")
        album_id = base62_id("synthetic-album", track_id)
        artist = self.artists[_num(0, len(self.artists) - 1, "synthetic-artist", track_id)]
        album = {
            "id": album_id,
            "name": f"{_pick(_ADJECTIVES, 'sa1', track_id)} {_pick(_NOUNS, 'sa2', track_id)} (Single)",
            "album_type": "single",
            "release_date": f"{_num(2000, 2026, 'sy', track_id):04d}-{_num(1, 12, 'sm', track_id):02d}-01",
            "artist_ids": [artist["id"]],
            "track_ids": [track_id],
        }
        track = {
            "id": track_id,
            "name": f"{_pick(_ADJECTIVES, 'st1', track_id)} {_pick(_NOUNS, 'st2', track_id)}",
            "album_id": album_id,
            "artist_ids": [artist["id"]],
            "duration_ms": _num(95_000, 420_000, "sdur", track_id),
            "explicit": False,
            "track_number": 1,
            "isrc": f"QZSY{_num(0, 9999999, 'sisrc', track_id):07d}"[:12],
        }
        self._albums_by_id[album_id] = album
        self.tracks[track_id] = track
        return track

    # -- rendering (Spotify object shapes) -----------------------------------------

    @staticmethod
    def _images(kind: str, obj_id: str) -> list[dict]:
        return [
            {"url": f"https://i.scdn.co/image/{kind}{size}{obj_id}", "height": size, "width": size}
            for size in (640, 300, 64)
        ]

    def artist_object(self, artist_id: str, api: str) -> dict:
        artist = self._artists_by_id[artist_id]
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
            "href": f"{api}/artists/{artist_id}",
            "id": artist_id,
            "name": artist["name"],
            "type": "artist",
            "uri": f"spotify:artist:{artist_id}",
        }

    def album_object(self, album_id: str, api: str) -> dict:
        album = self._albums_by_id[album_id]
        return {
            "album_type": album["album_type"],
            "total_tracks": len(album["track_ids"]),
            "available_markets": [],
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"},
            "href": f"{api}/albums/{album_id}",
            "id": album_id,
            "images": self._images("ab67616d0000", album_id),
            "name": album["name"],
            "release_date": album["release_date"],
            "release_date_precision": "day",
            "type": "album",
            "uri": f"spotify:album:{album_id}",
            "artists": [self.artist_object(a, api) for a in album["artist_ids"]],
        }

    def track_object(self, track_id: str, api: str) -> dict:
        """A full TrackObject as Spotify returns it to a Development Mode app."""
        track = self.ensure_track(track_id)
        return {
            "album": self.album_object(track["album_id"], api),
            "artists": [self.artist_object(a, api) for a in track["artist_ids"]],
            "disc_number": 1,
            "duration_ms": track["duration_ms"],
            "explicit": track["explicit"],
            "external_ids": {"isrc": track["isrc"]},
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
            "href": f"{api}/tracks/{track_id}",
            "id": track_id,
            "is_local": False,
            "name": track["name"],
            "preview_url": None,
            "track_number": track["track_number"],
            "type": "track",
            "uri": f"spotify:track:{track_id}",
        }
