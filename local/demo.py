"""The demo `make dev` starts: an owner with a campaign whose numbers move.

Everything goes through the real pipeline, over HTTP, as people would:

- setup: a demo owner in the local user pool; an emulator user who owns a
  playlist of catalogue tracks; the owner connects that Spotify account
  (`POST /owner/spotify/connect`, the emulator's consent as that user, the
  callback); a campaign for the playlist (`POST /campaigns`).
- each round: a few people open the tracker link (iPhone, Android and desktop
  browsers; from Instagram, TikTok or a newsletter, with UTM parameters) and a
  link preview bot does too; on the emulator's consent page some agree, some
  cancel, some leave. The queues are drained (clicks recorded, first polls),
  connected listeners play tracks in the emulator (from the playlist, with no
  context, or unrelated), then every schedule runs and the queues are drained
  again (`POST /_local/schedules/run`, `POST /_local/queues/drain`).

    from local.demo import start_demo, seed_demo
    demo = start_demo(cloud)          # setup + a first batch now, then a round every 20-30 s
    demo.stop()                       # LocalCloud.stop() does it
    demo = seed_demo(cloud, rounds=2) # tests: setup + rounds, synchronously, no thread

`python -m local` starts it unless SOUNDLINK_DEMO=0; it needs the Spotify
emulator (not started when real Spotify credentials are set).
"""

from __future__ import annotations

import html
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from botocore.exceptions import BotoCoreError, ClientError
from requests.adapters import HTTPAdapter

from local.logs import get_logger

if TYPE_CHECKING:
    from local.cloud import LocalCloud, OwnerTokens

log = get_logger("demo")

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "Demo-owner-2026"  # noqa: S105 - printed in the banner on purpose: a local demo account
CAMPAIGN_NAME = "Spring single launch (demo)"
PLAYLIST_NAME = "Night Drive"
CONSENT_COOKIE = "__Host-soundlink_consent"

INTERVAL_SECONDS = (20.0, 30.0)
MAX_ROUNDS = 300  # a round about every 30 s: about 2.5 hours, then the demo stops
MAX_LISTENERS = 24  # every schedule run polls each of them once: stays far below the emulator's rate limit
MAX_FAILED_ROUNDS = 5  # in a row: the local cloud is gone or broken, stop trying
# What a round or the setup may fail with: HTTP, an unexpected answer, Cognito.
FAILURES = (requests.RequestException, RuntimeError, KeyError, ValueError, BotoCoreError, ClientError)

PHONES = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.{v} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel {v}) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/13{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S92{v}B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/13{v}.0.0.0 Mobile Safari/537.36",
]
DESKTOPS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/13{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_{v}) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.{v} Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:14{v}.0) Gecko/20100101 Firefox/14{v}.0",
]
BOTS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.24.10.78 A",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "TelegramBot (like TwitterBot)",
]
# (referrer, utm_source, utm_medium, weight): where people come from.
SOURCES = [
    ("https://l.instagram.com/", "instagram", "social", 4),
    ("https://www.tiktok.com/", "tiktok", "social", 3),
    ("https://mail.google.com/", "newsletter", "email", 2),
    ("", "", "", 1),  # typed or pasted: no referrer, no UTM
]
LANGUAGES = ["en-US,en;q=0.9", "es-ES,es;q=0.9", "pt-BR,pt;q=0.9", "fr-FR,fr;q=0.9", "de-DE,de;q=0.9", "en-GB"]
NAMES = ["Ana", "Ben", "Chloé", "Dev", "Emi", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Maya", "Noor"]


@dataclass
class Listener:
    user_id: str
    user_agent: str
    last_play_ms: int  # plays are appended after this (the consent, then the previous play)


@dataclass
class RoundSummary:
    number: int
    clicks: int = 0
    bot_clicks: int = 0
    approved: int = 0
    declined: int = 0
    left: int = 0
    plays: int = 0
    delivered: int = 0
    failed: int = 0

    def line(self) -> str:
        return (
            f"round {self.number}: {self.clicks} clicks + {self.bot_clicks} bot, {self.approved} connected, "
            f"{self.declined} declined, {self.left} left; {self.plays} plays; "
            f"{self.delivered} messages delivered" + (f", {self.failed} FAILED" if self.failed else "")
        )


@dataclass
class Demo:
    """The demo's world and its simulated listeners (see the module docstring)."""

    cloud: LocalCloud
    rng: random.Random = field(default_factory=random.Random)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:4])
    email: str = DEMO_EMAIL
    password: str = DEMO_PASSWORD
    owner: OwnerTokens | None = None
    campaign: dict[str, Any] = field(default_factory=dict)
    playlist: dict[str, Any] = field(default_factory=dict)
    listeners: dict[str, Listener] = field(default_factory=dict)
    rounds: list[RoundSummary] = field(default_factory=list)
    playlist_tracks: list[str] = field(default_factory=list)
    other_tracks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._http = requests.Session()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._created_users = 0
        # Saves and follows draw from their own generator: the clicks, consents and plays of a
        # seeded demo stay what they were before the demo measured fans.
        self._fans_rng = random.Random(hash(self.rng.getstate()))  # noqa: S311 - a simulation, not a secret
        self._artists: dict[str, list[str]] = {}

    # -------------------------------------------------------------- URLs
    @property
    def api(self) -> str:
        return self.cloud.api_url

    @property
    def spotify(self) -> str:
        if not self.cloud.spotify_url:
            raise RuntimeError("the demo needs the Spotify emulator")
        return self.cloud.spotify_url

    @property
    def campaign_url(self) -> str:
        return f"{self.cloud.web_url}/#/campaigns/{self.campaign['id']}"

    # ------------------------------------------------------------- setup
    def setup(self) -> Demo:
        """Owner, the owner's Spotify account and playlist, the connection, the campaign."""
        self.owner = self.cloud.create_owner(self.email, self.password)
        items = self._emulator("GET", "/_emulator/tracks")["items"]
        catalogue = [track["id"] for track in items]
        self._artists = {track["id"]: [a["id"] for a in track.get("artists") or () if a.get("id")] for track in items}
        picked = self.rng.sample(catalogue, 40)
        self.playlist_tracks, self.other_tracks = picked[:12], picked[12:]
        artist = self._emulator(
            "POST", "/_emulator/users", {"id": f"demo-artist-{self.tag}", "display_name": "Demo Artist"}
        )
        self.playlist = self._emulator(
            "POST",
            "/_emulator/playlists",
            {"owner": artist["id"], "name": PLAYLIST_NAME, "track_ids": self.playlist_tracks},
        )
        self._connect_owner_spotify(artist["id"])
        created = self._http.post(
            f"{self.api}/campaigns",
            json={
                "name": CAMPAIGN_NAME,
                "playlist": self.playlist["uri"],
                "attribution_window_days": 14,
                "measure_fans": True,
            },
            headers=self.owner.headers,
            timeout=30,
        )
        created.raise_for_status()
        self.campaign = created.json()
        log.info("demo: campaign %r for playlist %s (%s)", CAMPAIGN_NAME, self.playlist["uri"], self.campaign["slug"])
        return self

    def _connect_owner_spotify(self, user_id: str) -> None:
        assert self.owner is not None
        started = self._http.post(f"{self.api}/owner/spotify/connect", headers=self.owner.headers, timeout=30)
        started.raise_for_status()
        # The one-time ticket, opened as the owner's browser would: it sets the state's cookie.
        browser = {"User-Agent": DESKTOPS[0].format(v=0)}
        ticket = self._http.get(started.json()["connect_url"], headers=browser, allow_redirects=False, timeout=30)
        if ticket.status_code != 302:
            raise RuntimeError(f"the owner's connect link failed: {ticket.status_code} {ticket.text[:200]}")
        consent = self._http.get(
            ticket.headers["location"] + f"&login_as={user_id}&decision=approve", allow_redirects=False, timeout=30
        )
        cookie = _set_cookies(ticket).get(CONSENT_COOKIE)
        back = self._finish(consent.headers["location"], cookie, browser["User-Agent"])
        if back.status_code != 303:
            raise RuntimeError(f"the owner's Spotify connection failed: {back.status_code} {back.text[:200]}")

    # ------------------------------------------------------------ rounds
    def step(self, *, lively: bool = False) -> RoundSummary:
        """One round: clicks and consents, drain, plays, every schedule, drain.

        `lively` (the first batch): two people surely connect and every listener plays,
        so a fresh dashboard has streams to show.
        """
        summary = RoundSummary(number=len(self.rounds) + 1)
        people = 4 if lively else self.rng.randint(2, 4)
        for index in range(people):
            self._human_click(summary, decision="approve" if lively and index < 2 else None)
        self._bot_click(summary)
        self._drain(summary)  # clicks recorded; new listeners' first polls (what they played before)
        self._plays(summary, everyone=lively)
        self._post("/_local/schedules/run", None)
        self._drain(summary)
        self.rounds.append(summary)
        return summary

    def _human_click(self, summary: RoundSummary, decision: str | None = None) -> None:
        returning = [listener for listener in self.listeners.values() if self.rng.random() < 0.15]
        if returning and decision is None and (len(self.listeners) >= MAX_LISTENERS or self.rng.random() < 0.3):
            listener: Listener | None = returning[0]
            user_agent = listener.user_agent
        else:
            listener = None
            user_agent = self._user_agent()
        referrer, utm_source, utm_medium, _ = self.rng.choices(SOURCES, weights=[s[3] for s in SOURCES])[0]
        query = {"utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": "spring-single"}
        headers = {"User-Agent": user_agent, "Accept-Language": self.rng.choice(LANGUAGES)}
        if referrer:
            headers["Referer"] = referrer
        # Each person from an address of their own (loopback 127.x.y.z): the WAF rule and the
        # visitor keys see one person per address, as on the internet.
        http = _from_address(f"127.{self.rng.randint(1, 254)}.{self.rng.randint(1, 254)}.{self.rng.randint(1, 254)}")
        page = http.get(
            f"{self.api}/c/{self.campaign['slug']}",
            params=query if utm_source else None,
            headers=headers,
            allow_redirects=False,
            timeout=30,
        )
        summary.clicks += 1
        if page.status_code != 200:
            return  # sent to the destination: no consent to answer
        if decision is None and self.rng.random() < 0.1:
            http.get(_link(page.text, "just-play"), headers=headers, allow_redirects=False, timeout=30)
            summary.left += 1  # straight to the music, no consent
            return
        # The landing page's "Connect Spotify", with the cookies the page set (as a browser).
        jar = "; ".join(f"{name}={value}" for name, value in _set_cookies(page).items())
        answer = http.get(
            _link(page.text, "connect"), headers={**headers, "Cookie": jar}, allow_redirects=False, timeout=30
        )
        location = answer.headers.get("location", "")
        if answer.status_code != 302 or not location.startswith(self.spotify):
            return  # sent to the destination: no consent to answer
        cookie = _set_cookies(answer).get(CONSENT_COOKIE)
        if decision is None:
            roll = self.rng.random()
            decision = "leave" if roll < 0.15 else "deny" if roll < 0.40 else "approve"
        if decision == "leave":
            summary.left += 1  # looked at Spotify's page and went away
            return
        if decision == "deny":
            callback = self._consent(location, "deny", None)
            self._finish(callback, cookie, user_agent)
            summary.declined += 1
            return
        if listener is None:
            listener = self._new_listener(user_agent)
        callback = self._consent(location, "approve", listener.user_id)
        if self._finish(callback, cookie, user_agent).status_code == 303:
            listener.last_play_ms = max(listener.last_play_ms, _now_ms())
            self.listeners[listener.user_id] = listener
            summary.approved += 1

    def _bot_click(self, summary: RoundSummary) -> None:
        self._http.get(
            f"{self.api}/c/{self.campaign['slug']}",
            headers={"User-Agent": self.rng.choice(BOTS)},
            allow_redirects=False,
            timeout=30,
        )
        summary.bot_clicks += 1

    def _consent(self, location: str, decision: str, user_id: str | None) -> str:
        url = location + f"&decision={decision}" + (f"&login_as={user_id}" if user_id else "")
        answer = self._http.get(url, allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise RuntimeError(f"the emulator's consent answered {answer.status_code}: {answer.text[:200]}")
        return answer.headers["location"]

    def _finish(self, callback: str, cookie: str | None, user_agent: str) -> requests.Response:
        headers = {"User-Agent": user_agent}
        if cookie:
            headers["Cookie"] = f"{CONSENT_COOKIE}={cookie}"
        # requests keeps no __Host- cookie over http: the header carries it, as a browser would.
        return requests.get(callback, headers=headers, allow_redirects=False, timeout=30)

    def _new_listener(self, user_agent: str) -> Listener:
        self._created_users += 1
        name = f"{self.rng.choice(NAMES)} {chr(65 + self.rng.randrange(26))}."
        user = self._emulator(
            "POST",
            "/_emulator/users",
            {"id": f"demo-{self.tag}-listener-{self._created_users:02d}", "display_name": name},
        )
        # What they played before the click: the baseline their first poll reads.
        hour = 3_600_000
        history = [
            {"track_id": track, "played_at": _now_ms() - (index + 1) * hour}
            for index, track in enumerate(self.rng.sample(self.playlist_tracks[:3] + self.other_tracks, 2))
        ]
        self._emulator("POST", f"/_emulator/users/{user['id']}/plays", history)
        if self._fans_rng.random() < 0.25:  # saved one of the tracks before the click: never a new save
            self._library(user["id"], [f"spotify:track:{self._fans_rng.choice(self.playlist_tracks)}"])
        return Listener(user_id=user["id"], user_agent=user_agent, last_play_ms=_now_ms())

    def _plays(self, summary: RoundSummary, *, everyone: bool = False) -> None:
        """Some connected listeners (or `everyone`) play 1-3 tracks, each after their previous play."""
        time.sleep(0.01)  # a play is after the consent of this round, to the millisecond
        for listener in self.listeners.values():
            if not everyone and self.rng.random() > 0.6:
                continue
            count = self.rng.randint(1, 3)
            now = _now_ms()
            step = max(1, min(30_000, (now - listener.last_play_ms) // (count + 1)))
            plays = []
            for index in range(count):
                kind = self.rng.random()
                play: dict[str, Any] = {"played_at": listener.last_play_ms + step * (index + 1)}
                if kind < 0.5:
                    play.update(track_id=self.rng.choice(self.playlist_tracks), context_uri=self.playlist["uri"])
                elif kind < 0.75:
                    play.update(track_id=self.rng.choice(self.playlist_tracks))  # shuffle, radio: no context
                else:
                    play.update(track_id=self.rng.choice(self.other_tracks))  # something else entirely
                plays.append(play)
            self._emulator("POST", f"/_emulator/users/{listener.user_id}/plays", plays)
            listener.last_play_ms = plays[-1]["played_at"]
            summary.plays += count
            self._fan(listener, [play["track_id"] for play in plays if play["track_id"] in self.playlist_tracks])

    def _fan(self, listener: Listener, played: list[str]) -> None:
        """Some listeners save a campaign track they played, follow its artist or the playlist
        (the library checks after their plays and at the window's end count them)."""
        if not played:
            return
        track = self._fans_rng.choice(played)
        uris = []
        if self._fans_rng.random() < 0.35:
            uris.append(f"spotify:track:{track}")
        if self._fans_rng.random() < 0.2 and self._artists.get(track):
            uris.append(f"spotify:artist:{self._artists[track][0]}")
        if self._fans_rng.random() < 0.15:
            uris.append(self.playlist["uri"])
        if uris:
            self._library(listener.user_id, uris)

    def _library(self, user_id: str, uris: list[str]) -> None:
        self._emulator("POST", f"/_emulator/users/{user_id}/library", {"uris": uris})

    def _drain(self, summary: RoundSummary) -> None:
        result = self._post("/_local/queues/drain", {"timeout_seconds": 60})
        summary.delivered += int(result.get("processed", 0))
        summary.failed += int(result.get("failed", 0))

    # ------------------------------------------------------- background
    def start(self, *, max_rounds: int = MAX_ROUNDS, interval: tuple[float, float] = INTERVAL_SECONDS) -> Demo:
        """A round every `interval` seconds (random within it), at most `max_rounds`, in a daemon thread."""
        self._thread = threading.Thread(
            target=self._run, args=(max_rounds, interval), name="soundlink-demo", daemon=True
        )
        self._thread.start()
        return self

    def _run(self, max_rounds: int, interval: tuple[float, float]) -> None:
        failures = 0
        for _ in range(max_rounds):
            if self._stop.wait(self.rng.uniform(*interval)):
                return
            try:
                log.info("demo: %s", self.step().line())
                failures = 0
            except FAILURES as error:
                if self._stop.is_set():
                    return  # stopping: the servers went away under the round
                failures += 1
                log.warning("demo: a round failed (%s)", error)
                if failures >= MAX_FAILED_ROUNDS:
                    log.warning("demo: %d rounds failed in a row; the demo stops", failures)
                    return
        log.info("demo: %d rounds done; no more simulated listeners", max_rounds)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the rounds (the one under way ends at its next request); safe to call twice."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._http.close()

    # ------------------------------------------------------------ calls
    def _emulator(self, method: str, path: str, body: Any = None) -> Any:
        answer = self._http.request(method, f"{self.spotify}{path}", json=body, timeout=30)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path} -> {answer.status_code}: {answer.text[:200]}")
        return answer.json()

    def _post(self, path: str, body: Any) -> dict[str, Any]:
        answer = self._http.post(f"{self.api}{path}", json=body, headers={"X-Soundlink-Local": "1"}, timeout=120)
        answer.raise_for_status()
        return answer.json()

    def _user_agent(self) -> str:
        pool = PHONES if self.rng.random() < 0.7 else DESKTOPS
        return self.rng.choice(pool).format(v=self.rng.randint(0, 9))

    def banner(self) -> str:
        owner = self.owner.email if self.owner else self.email
        return (
            f"Demo (SOUNDLINK_DEMO=0 to start without it): sign in to the dashboard as\n"
            f"  {owner} / {self.password}\n"
            f"  campaign {CAMPAIGN_NAME!r}: {self.campaign_url}\n"
            f"  tracker link {self.campaign.get('tracker_url', '')}\n"
            f"  simulated listeners click, connect and play every {INTERVAL_SECONDS[0]:.0f}-"
            f"{INTERVAL_SECONDS[1]:.0f} s ({len(self.listeners)} connected so far)\n"
        )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _from_address(address: str) -> requests.Session:
    """A session whose connections leave from `address` (a loopback address of its own)."""
    session = requests.Session()
    session.mount("http://", _SourceAddress(address))
    return session


class _SourceAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def _link(page: str, element_id: str) -> str:
    """The href of the landing page's element with this id (#connect, #just-play)."""
    match = re.search(rf'<a id="{element_id}"[^>]*href="([^"]+)"', page)
    if not match:
        raise RuntimeError(f"the landing page has no #{element_id}")
    return html.unescape(match.group(1))


def _set_cookies(response: requests.Response) -> dict[str, str]:
    """The cookies a response sets (requests keeps no __Host- cookie over http)."""
    found = {}
    for header in response.raw.headers.getlist("set-cookie"):
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def seed_demo(cloud: LocalCloud, *, rounds: int = 1, seed: int | None = None, email: str = DEMO_EMAIL) -> Demo:
    """Setup and `rounds` rounds (the first a lively one), synchronously: what tests call."""
    rng = random.Random(seed)  # noqa: S311 - simulated listeners, not secrets
    demo = Demo(cloud, rng=rng, email=email).setup()
    for number in range(rounds):
        log.info("demo: %s", demo.step(lively=number == 0).line())
    return demo


def start_demo(cloud: LocalCloud, *, rounds: int = 1) -> Demo | None:
    """Seed a first batch now, then keep going in the background; None when the demo cannot run."""
    if not cloud.spotify_url:
        log.info("demo: not started (it needs the Spotify emulator; real Spotify credentials are set)")
        return None
    if urlsplit(cloud.api_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        log.info("demo: not started (the local cloud is not on loopback)")
        return None
    started = time.monotonic()
    try:
        demo = seed_demo(cloud, rounds=rounds)
    except FAILURES as error:
        log.warning("demo: could not be seeded (%s); the local cloud runs without it", error)
        return None
    log.info("demo: seeded in %.1f s", time.monotonic() - started)
    return demo.start()
