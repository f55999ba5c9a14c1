"""Give a listener of the local Spotify emulator plays, from the command line.

    python -m local.plays --listener USER --tracks TRACK_ID [TRACK_ID ...] --minutes-ago 5 [--now]
    python -m local.plays --listener USER --tracks playlist:PLAYLIST_ID --now

USER is the emulator user's id or the name shown on the emulator's consent page
(the one you picked or created when you connected from your browser). --tracks
takes track ids, open.spotify.com track links, `playlist:ID` (or a playlist
link) for every track of an emulator playlist, or `campaign:SLUG` for every track
of a local campaign's playlist (SLUG: the part after /c/ of its tracker link). The plays are at --minutes-ago
(0 by default) on the emulator's clock, 3 seconds apart in the order given. --now then fires every
schedule and delivers the queues, so the dashboard shows them at once.

The emulator is at SOUNDLINK_SPOTIFY_PORT (4000 by default, or --spotify-url); the
API comes from the dashboard's config.json (SOUNDLINK_WEB_PORT, 8080, or --web-url),
as for `python -m local.owner`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests

LOCAL_HEADER = {"X-Soundlink-Local": "1"}
_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_SLUG = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_LINK = re.compile(r"^https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(track|playlist)/([0-9A-Za-z]{22})(?:[/?#].*)?$")
MAX_PLAYS = 50  # Spotify's recently-played shows only the newest 50: more would never be seen


class PlaysError(RuntimeError):
    """Something a person can act on; printed as is."""


def _answer(response: requests.Response, what: str) -> dict:
    if response.status_code >= 400:
        try:
            message = response.json().get("error", response.text)
        except ValueError:
            message = response.text
        raise PlaysError(f"{what}: the emulator answered {response.status_code}: {str(message)[:300]}")
    return response.json()


def find_listener(spotify_url: str, listener: str) -> dict:
    """The emulator user whose id is `listener`, else whose display name it is (case-insensitive)."""
    users = _answer(requests.get(f"{spotify_url}/_emulator/users", timeout=10), "listing users")["items"]
    exact = [user for user in users if user["id"] == listener]
    if exact:
        return exact[0]
    named = [user for user in users if (user.get("display_name") or "").casefold() == listener.casefold()]
    if len(named) == 1:
        return named[0]
    known = ", ".join(f"{u['id']} ({u.get('display_name') or 'no name'})" for u in users[:20]) or "none yet"
    if named:
        raise PlaysError(f"{len(named)} emulator users are named {listener!r}: give the id. Users: {known}")
    raise PlaysError(f"No emulator user is {listener!r}. Users: {known}")


def campaign_playlist(config: dict, slug: str) -> str:
    """The playlist id of the local campaign whose tracker link ends in /c/`slug`, read from the
    local DataTable (the API would need an owner's token; the tracker would count a click)."""
    import boto3  # only for campaign:<slug>

    from local.stack import FAKE_CREDENTIALS

    cognito = config["cognito"]
    session = boto3.session.Session(region_name=cognito["region"], **FAKE_CREDENTIALS)
    dynamodb = session.client("dynamodb", endpoint_url=cognito["endpoint"])
    tables = [name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-DataTable")]
    if len(tables) != 1:
        raise PlaysError(f"campaign:{slug}: no single DataTable in the local cloud ({tables})")

    def item(pk: str, sk: str) -> dict:
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        return dynamodb.get_item(TableName=tables[0], Key=key, ConsistentRead=True).get("Item", {})

    campaign_id = item(f"SLUG#{slug}", "SLUG").get("campaign_id", {}).get("S")
    playlist_id = item(f"CAMPAIGN#{campaign_id}", "CAMPAIGN").get("playlist_id", {}).get("S") if campaign_id else None
    if not playlist_id:
        raise PlaysError(f"No local campaign has the link /c/{slug} (the part after /c/ of its tracker link)")
    return playlist_id


def track_ids(
    spotify_url: str, specs: list[str], config: Callable[[], dict] | None = None
) -> list[tuple[str, str | None]]:
    """(track id, context URI) of each track the specs name, in order: a playlist's tracks
    are played from the playlist (its context), as a listener who opened it would.
    `config` gives the local cloud's config.json, for campaign:<slug>."""
    ids: list[tuple[str, str | None]] = []
    for spec in specs:
        if spec.startswith("campaign:") and config is not None:
            slug = spec.removeprefix("campaign:")
            if not _SLUG.match(slug):
                raise PlaysError(f"{spec!r}: a campaign's slug is the part after /c/ of its tracker link")
            spec = f"playlist:{campaign_playlist(config(), slug)}"
        link = _LINK.match(spec)
        kind, value = (link.group(1), link.group(2)) if link else ("track", spec)
        if spec.startswith("playlist:"):
            kind, value = "playlist", spec.removeprefix("playlist:")
        if not _ID.match(value):
            raise PlaysError(f"{spec!r} is not a 22-character Spotify id, a playlist:ID or an open.spotify.com link")
        if kind == "track":
            ids.append((value, None))
            continue
        playlist = _answer(requests.get(f"{spotify_url}/_emulator/playlists/{value}", timeout=10), f"playlist {value}")
        if not playlist["track_ids"]:
            raise PlaysError(f"playlist {value} ({playlist.get('name')}) has no tracks")
        ids.extend((track_id, f"spotify:playlist:{value}") for track_id in playlist["track_ids"])
    if not ids:
        raise PlaysError("no tracks given")
    if len(ids) > MAX_PLAYS:
        raise PlaysError(f"{len(ids)} tracks: Spotify shows only a listener's newest {MAX_PLAYS} plays; give fewer")
    return ids


def plays_at(ids: list[tuple[str, str | None]], minutes_ago: float, now: datetime) -> list[dict]:
    """One play per track in order, the first `minutes_ago` before `now`, 3 seconds apart; if
    that would pass `now`, the whole run moves back to end at `now` (each play its own moment)."""
    spacing = timedelta(seconds=3)
    if len(ids) > 1 and minutes_ago * 60 < 3 * (len(ids) - 1):
        spacing = timedelta(milliseconds=max(1, int(minutes_ago * 60_000 / (len(ids) - 1))))
    times = [now - timedelta(minutes=minutes_ago) + spacing * i for i in range(len(ids))]
    if times and times[-1] > now:
        times = [moment - (times[-1] - now) for moment in times]
    plays = []
    for moment, (track_id, context_uri) in zip(times, ids, strict=True):
        play = {"track_id": track_id, "played_at": moment.isoformat(timespec="milliseconds")}
        plays.append({**play, "context_uri": context_uri} if context_uri else play)
    return plays


def local_config(web_url: str) -> dict:
    """The running local cloud's config.json (its API URL, the moto endpoint)."""
    try:
        config = requests.get(f"{web_url.rstrip('/')}/config.json", timeout=5).json()
        if not isinstance(config, dict) or "apiUrl" not in config or "cognito" not in config:
            raise ValueError("not the local dashboard's config.json")
    except (requests.RequestException, ValueError) as error:
        raise PlaysError(f"No local cloud answers at {web_url} ({error}). Start it with `make dev`.") from error
    return config


def run_pipeline(api_url: str) -> None:
    for path in ("/_local/schedules/run", "/_local/queues/drain"):
        response = requests.post(f"{api_url}{path}", headers=LOCAL_HEADER, timeout=120)
        if response.status_code >= 400:
            raise PlaysError(f"POST {path} answered {response.status_code}: {response.text[:300]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.plays", description="Give a local listener plays")
    parser.add_argument("--listener", required=True, help="the emulator user's id or display name")
    parser.add_argument("--tracks", required=True, nargs="+", help="track ids or links, playlist:ID, or campaign:SLUG")
    parser.add_argument("--minutes-ago", type=float, default=0.0, help="when the first play was (default 0)")
    parser.add_argument("--now", action="store_true", help="then poll and deliver at once (the dashboard shows them)")
    default_spotify = f"http://127.0.0.1:{os.environ.get('SOUNDLINK_SPOTIFY_PORT', '4000')}"
    default_web = f"http://127.0.0.1:{os.environ.get('SOUNDLINK_WEB_PORT', '8080')}"
    parser.add_argument("--spotify-url", default=default_spotify, help=f"the emulator (default {default_spotify})")
    parser.add_argument("--web-url", default=default_web, help=f"the local dashboard (default {default_web})")
    args = parser.parse_args(argv)
    if not 0 <= args.minutes_ago <= 60 * 24 * 365:
        parser.error("--minutes-ago must be between 0 and 525600 (a year)")

    spotify_url = args.spotify_url.rstrip("/")
    try:
        requests.get(f"{spotify_url}/_emulator/health", timeout=5).raise_for_status()
    except requests.RequestException as error:
        print(f"No Spotify emulator answers at {spotify_url} ({error}). Start it with `make dev`.", file=sys.stderr)
        return 1
    try:
        user = find_listener(spotify_url, args.listener)
        ids = track_ids(spotify_url, args.tracks, lambda: local_config(args.web_url))
        clock = _answer(requests.get(f"{spotify_url}/_emulator/clock", timeout=10), "reading the clock")
        body = plays_at(ids, args.minutes_ago, datetime.fromtimestamp(clock["now_ms"] / 1000, UTC))
        added = _answer(
            requests.post(f"{spotify_url}/_emulator/users/{user['id']}/plays", json=body, timeout=10), "adding plays"
        )
        print(
            f"{user['id']} ({user.get('display_name') or 'no name'}) played {len(added['added'])} track(s) "
            f"from {added['added'][0]['played_at']} ({args.minutes_ago:g} min ago)."
        )
        if args.now:
            run_pipeline(local_config(args.web_url)["apiUrl"].rstrip("/"))
            print("Polled and delivered: the dashboard shows what Soundlink credited.")
    except PlaysError as error:
        print(error, file=sys.stderr)
        return 1
    except requests.RequestException as error:
        print(f"The emulator did not answer ({error}).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
