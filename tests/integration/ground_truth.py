"""A ground-truth run through the local cloud: simulated people with known clicks and plays,
AWS and Spotify misbehaving, SQS misdelivering; then every campaign's figures are compared
with a truth computed here, from what was sent, by the rules as the README states them
(tests/integration/truth.py), never by Soundlink's code.

`run(cloud, Plan(...))` returns a `Report`: events sent, faults injected, redeliveries,
figures compared and the mismatches (which must be none). The short run is a test
(tests/integration/test_ground_truth.py); the full one is `make soak` (bench/soak.py).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from local.chaos import DeliveryChaos, dead_letters, inject_aws_faults
from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from tests.integration.figures import compare
from tests.integration.journey import BROWSER, COOKIE, approve, connect_owner_spotify, consent_cookie, follow_connect
from tests.integration.loopback import browser
from tests.integration.truth import Campaign, Listener, Play, Truth

WINDOW_DAYS = 14
BOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
# Transient AWS faults botocore absorbs (any phase) and those a handler meets (polling phase).
CLICK_PHASE_FAULTS = ("throttle", "server_error")
POLL_PHASE_ONLY = ("transaction_conflict", "lost_response")


@dataclass(frozen=True)
class Plan:
    seed: int = 14
    listeners: int = 6
    rounds: int = 3  # rounds of plays and polls (the burst is in round 1, a disconnect after it)
    plays_per_round: int = 5  # at most, per listener
    aws_fault_rate: float = 0.02  # per request and fault kind
    spotify_fault_rate: float = 0.3  # per listener and round
    duplicate_rate: float = 0.1  # SQS: a processed message comes again
    crash_rate: float = 0.1  # SQS: the function crashes mid-batch
    outage_rounds: int = 0  # rounds (10 min of Spotify's time each) where Spotify answers 503 to everything
    outage_plays: int = 0  # plays of one listener during the outage


@dataclass
class Report:
    events: dict[str, int] = field(default_factory=dict)
    aws_faults: dict[str, Any] = field(default_factory=dict)
    spotify_faults: int = 0
    redeliveries: dict[str, int] = field(default_factory=dict)
    compared: int = 0
    mismatches: list[str] = field(default_factory=list)
    dead_letters: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, set[str]] = field(default_factory=dict)  # for the log scan


class GroundTruthRun:
    def __init__(self, cloud: LocalCloud, plan: Plan) -> None:
        self.cloud, self.plan = cloud, plan
        self.random = random.Random(plan.seed)  # noqa: S311 - a reproducible scenario
        self.spotify = EmulatorControl(cloud.spotify_url)
        self.tag = uuid.uuid4().hex[:6]
        self.truth = Truth(window=timedelta(days=WINDOW_DAYS))
        self.report = Report(secrets={"cookies": set(), "codes": set(), "addresses": set()})
        self.campaigns: dict[str, dict] = {}
        self.owners: dict[str, Any] = {}
        self.people: dict[str, dict] = {}  # spotify user id -> {session, address, user, campaigns}
        self.events = {"clicks": 0, "bot_clicks": 0, "consents": 0, "declines": 0, "plays": 0, "polls": 0}
        self._address = 20
        self.spotify_clock_advanced = 0
        self.burst = ""
        self.leavers: set[str] = set()

    # ------------------------------------------------------------------ setup

    def _next_address(self) -> str:
        self._address += 1
        address = f"127.0.0.{self._address}"
        self.report.secrets["addresses"].add(address)
        return address

    def setup(self) -> None:
        tracks = [track["id"] for track in self.spotify.tracks()[150:175]]
        self.tracks = tracks
        artist = self.spotify.create_user(f"gt-artist-{self.tag}", "Artist")
        label = self.spotify.create_user(f"gt-label-{self.tag}", "Label")
        # Tracks 14-19 are in no playlist; 20-24 are only ever played before a click.
        members = {"A": tracks[0:5], "B": tracks[3:8], "C": tracks[6:10] + tracks[0:1], "D": tracks[10:14]}
        playlists = {
            name: self.spotify.create_playlist(label["id"] if name == "D" else artist["id"], name, ids)
            for name, ids in members.items()
        }
        self.owners = {
            "o1": self.cloud.create_owner(f"gt1-{self.tag}@example.com", "Ground-truth-2026"),
            "o2": self.cloud.create_owner(f"gt2-{self.tag}@example.com", "Ground-truth-2026"),
        }
        # Owner 1 connects Spotify (its playlists are read); owner 2 never does (plays from them only).
        connect_owner_spotify(self.cloud, self.owners["o1"], artist["id"])
        specs = [
            ("A", "o1", "last_touch"),
            ("B", "o1", "first_touch"),
            ("C", "o1", "time_decay"),
            ("D", "o2", "linear"),
        ]
        for name, owner, model in specs:
            body = {
                "name": f"Ground truth {name}",
                "playlist": playlists[name]["uri"],
                "attribution_model": model,
                "attribution_window_days": WINDOW_DAYS,
            }
            made = requests.post(
                f"{self.cloud.api_url}/campaigns", json=body, headers=self.owners[owner].headers, timeout=30
            )
            assert made.status_code == 201, made.text
            self.campaigns[name] = made.json()
            self.truth.campaigns[name] = Campaign(
                name=name,
                owner=owner,
                playlist_uri=playlists[name]["uri"],
                tracks=frozenset(members[name]),
                readable=owner == "o1",
            )

    # ----------------------------------------------------------- clicks, consents

    def _click(self, session: requests.Session, slug: str, agent: str) -> requests.Response:
        answer = session.get(
            f"{self.cloud.api_url}/c/{slug}",
            headers={"User-Agent": agent, "Referer": "https://news.example.org/post"},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code in (200, 302), answer.status_code
        return answer

    def people_click_and_consent(self) -> None:
        names = list(self.campaigns)
        for i in range(self.plan.listeners):
            address, agent = self._next_address(), f"{BROWSER} GroundTruth/{i}"
            user = self.spotify.create_user(f"gt-l{i}-{self.tag}", f"Listener {i}")
            joined = sorted(self.random.sample(names, self.random.randint(1, 3)))
            session = browser(address)
            listener = Listener(user["id"])
            # Plays before the click: the listener's baseline (tracks outside every playlist,
            # except for listener 0, a fan of campaign A who had played one of its tracks).
            before = datetime.now(UTC) - timedelta(hours=2)
            baseline = [self.tracks[20 + i % 5], self.tracks[1] if i == 0 else self.tracks[24 - i % 4]]
            for n, track in enumerate(baseline):
                self._add_play(listener, before + timedelta(minutes=n), track, None)
            for name in joined:
                low = datetime.now(UTC)
                page = self._click(session, self.campaigns[name]["slug"], agent)
                self.events["clicks"] += 1
                self.truth.click(name, address, agent, low)
                started = follow_connect(page, user_agent=agent, session=session)  # the landing page's #connect
                cookie = consent_cookie(started)
                self.report.secrets["cookies"].add(cookie)
                callback = approve(started, user["id"])
                self.report.secrets["codes"].add(callback.split("code=", 1)[1].split("&", 1)[0])
                done = session.get(
                    callback,
                    headers={"User-Agent": agent, "Cookie": f"{COOKIE}={cookie}"},
                    allow_redirects=False,
                    timeout=30,
                )
                assert done.status_code == 303, done.text[:300]
                self.events["consents"] += 1
                listener.link(name, low, datetime.now(UTC))
                self.truth.consent(name)
            self.truth.listeners[user["id"]] = listener
            self.people[user["id"]] = {"session": session, "address": address, "agent": agent}
        # Visitors who only click (twice: one unique), bots, and a person who declines.
        for name, campaign in self.campaigns.items():
            address, agent = self._next_address(), f"{BROWSER} Visitor/{name}"
            session = browser(address)
            for _ in range(2):
                self._click(session, campaign["slug"], agent)
                self.events["clicks"] += 1
                self.truth.click(name, address, agent, datetime.now(UTC))
            bot = browser(self._next_address())
            for _ in range(self.random.randint(1, 3)):
                assert self._click(bot, campaign["slug"], BOT).status_code == 302
                self.events["bot_clicks"] += 1
                self.truth.bot_click(name)
        decliner = self.spotify.create_user(f"gt-no-{self.tag}", "Decliner")
        address, agent = self._next_address(), f"{BROWSER} Decliner"
        session = browser(address)
        page = self._click(session, self.campaigns["A"]["slug"], agent)
        self.events["clicks"] += 1
        self.truth.click("A", address, agent, datetime.now(UTC))
        started = follow_connect(page, user_agent=agent, session=session)
        callback = approve(started, decliner["id"], decision="deny")
        cookie = consent_cookie(started)
        self.report.secrets["cookies"].add(cookie)
        declined = session.get(
            callback, headers={"User-Agent": agent, "Cookie": f"{COOKIE}={cookie}"}, allow_redirects=False, timeout=30
        )
        assert declined.status_code == 303, declined.status_code
        self.events["declines"] += 1
        self.truth.decline("A")

    # --------------------------------------------------------------------- plays

    def _add_play(self, listener: Listener, when: datetime, track: str, context: str | None) -> None:
        body = {"track_id": track, "played_at": when.isoformat(timespec="milliseconds")}
        if context:
            body["context_uri"] = context
        self.spotify.add_plays(listener.user_id, [body])
        listener.plays.append(Play(when.replace(microsecond=when.microsecond // 1000 * 1000), track, context))
        self.events["plays"] += 1

    def _random_play(self, listener: Listener) -> tuple[str, str | None]:
        name = self.random.choice(sorted(listener.links))
        campaign = self.truth.campaigns[name]
        roll = self.random.random()
        if roll < 0.15:
            return self.random.choice(self.tracks[14:20]), None  # in no playlist: never counted
        track = self.random.choice(sorted(campaign.tracks))
        if roll < 0.55:
            return track, campaign.playlist_uri
        return track, None if roll < 0.8 else "spotify:album:0sNOF9WDwhWunNAHPD3Baj"

    def add_round_of_plays(self, round_: int, start: datetime) -> None:
        for user_id, listener in sorted(self.truth.listeners.items()):
            if user_id in self.leavers:
                continue  # disconnected or revoked: they may play on, nothing of it may count
            count = self.random.randint(1, self.plan.plays_per_round)
            if user_id == self.burst:  # more than 50 plays between two polls in round 1, then silence
                count = {0: count, 1: 60}.get(round_, 0)
            step = timedelta(seconds=20)
            for n in range(count):
                track, context = self._random_play(listener)
                if n and self.random.random() < 0.2:
                    track, context = listener.plays[-1].track, listener.plays[-1].context  # a repeat
                self._add_play(listener, start + n * step, track, context)

    # -------------------------------------------------------------------- faults

    def aws_faults(self, kinds: tuple[str, ...]) -> dict[str, Any]:
        rate = self.plan.aws_fault_rate
        rules = [
            {"service": "dynamodb", "kind": kind, "rate": rate}
            | ({"operations": ["TransactWriteItems"]} if kind in POLL_PHASE_ONLY else {})
            for kind in kinds
        ]
        rules += [{"service": service, "kind": "server_error", "rate": rate / 2} for service in ("sqs", "kms")]
        return inject_aws_faults(self.cloud.moto_url, {"seed": self.plan.seed, "rules": rules})

    def _merge_aws_summary(self, summary: dict[str, Any]) -> None:
        merged = self.report.aws_faults
        merged["requests"] = merged.get("requests", 0) + summary.get("requests", 0)
        merged["injected"] = merged.get("injected", 0) + summary.get("injected", 0)
        for key, count in summary.get("by_fault", {}).items():
            merged.setdefault("by_fault", {})[key] = merged.get("by_fault", {}).get(key, 0) + count

    def spotify_faults(self) -> None:
        for user_id, listener in sorted(self.truth.listeners.items()):
            if listener.gone or self.random.random() >= self.plan.spotify_fault_rate:
                continue
            kind = self.random.choice(["429", "503-absorbed", "503-down", "slow"])
            if kind == "429":
                self.spotify.fault("recently-played", 429, retry_after=1, user=user_id)
            elif kind == "503-absorbed":
                self.spotify.fault("recently-played", 503, user=user_id)
            elif kind == "503-down":
                self.spotify.fault("recently-played", 503, count=3, retry_after=0, user=user_id)
            else:
                self.spotify.fault("recently-played", None, delay_ms=300, user=user_id)
            self.report.spotify_faults += 1

    def _advance_spotify_clock(self, seconds: int) -> None:
        self.spotify.advance_clock(seconds)
        self.spotify_clock_advanced += seconds

    def clear_spotify_faults(self) -> None:
        self.spotify.call("DELETE", "/_emulator/faults")

    # --------------------------------------------------------------------- polls

    def poll_round(self) -> dict[str, Any]:
        requests.post(
            f"{self.cloud.api_url}/_local/schedules/run", headers={"X-Soundlink-Local": "1"}, timeout=120
        ).raise_for_status()
        drained = self.cloud.drain_queues(timeout=300)
        assert not drained["timed_out"] and drained["remaining"] == 0, drained
        self.events["polls"] += 1
        return drained

    def clean_round(self) -> None:
        """Spotify well again: after its back-offs, every listener followed is read."""
        self.clear_spotify_faults()
        time.sleep(1.2)  # the 1-second back-offs Spotify asked for have passed
        self.poll_round()
        self.truth.read_everyone()

    def disconnect(self, user_id: str) -> None:
        person = self.people[user_id]
        start = person["session"].get(
            f"{self.cloud.api_url}/privacy/disconnect?confirm=yes",
            headers={"User-Agent": person["agent"]},  # a person's browser (a bot starts nothing)
            allow_redirects=False,
            timeout=30,
        )
        cookie = consent_cookie(start)
        self.report.secrets["cookies"].add(cookie)
        done = person["session"].get(
            approve(start, user_id),
            headers={"User-Agent": person["agent"], "Cookie": f"{COOKIE}={cookie}"},
            allow_redirects=False,
            timeout=30,
        )
        assert done.status_code == 200 and "disconnected" in done.text
        self.truth.listeners[user_id].disconnect()

    # ----------------------------------------------------------------- the run

    def run(self) -> Report:
        chaos = DeliveryChaos(
            seed=self.plan.seed, duplicate_rate=self.plan.duplicate_rate, crash_rate=self.plan.crash_rate
        )
        sources = self.cloud.event_sources
        assert sources is not None
        self.setup()
        sources.set_chaos(chaos)
        self.aws_faults(CLICK_PHASE_FAULTS)
        try:
            self.people_click_and_consent()
            self.poll_round()  # the callbacks' first polls: baselines
            self.truth.read_everyone()
            self._merge_aws_summary(self.aws_faults(CLICK_PHASE_FAULTS + POLL_PHASE_ONLY))
            users = sorted(self.truth.listeners)
            self.burst, leaver, revoked = users[0], users[1], users[2]
            start = max(link.high for listener in self.truth.listeners.values() for link in listener.links.values())
            start += timedelta(minutes=1)
            for round_ in range(self.plan.rounds):
                self.add_round_of_plays(round_, start + timedelta(minutes=25 * round_))
                if round_ > 0:
                    self.spotify_faults()
                self.poll_round()
                if round_ == 0:
                    self.truth.read_everyone()
                if round_ == 1:
                    self.clean_round()  # every play so far read: the leaver's and the revoked's are final
                    self._merge_aws_summary(inject_aws_faults(self.cloud.moto_url, None))
                    self.disconnect(leaver)
                    self.spotify.revoke(revoked)
                    self.truth.listeners[revoked].revoke()
                    self.leavers |= {leaver, revoked}
                    self._advance_spotify_clock(3700)  # every access token has expired: refreshes, one refused
                    self.aws_faults(CLICK_PHASE_FAULTS + POLL_PHASE_ONLY)
            self._outage(start + timedelta(minutes=25 * self.plan.rounds))
        finally:
            self._merge_aws_summary(inject_aws_faults(self.cloud.moto_url, None))
            sources.set_chaos(None)
            self.clear_spotify_faults()
        self.clean_round()
        self.clean_round()
        self.report.redeliveries = dict(chaos.counts)
        self.report.events = dict(self.events)
        self.report.dead_letters = dead_letters(self.cloud.client("sqs"))
        self.compare()
        return self.report

    def _outage(self, start: datetime) -> None:
        """Spotify answers 503 to everything for `outage_rounds` rounds of 10 minutes of its time;
        one listener plays `outage_plays` tracks meanwhile. Nothing may reach a DLQ."""
        if not self.plan.outage_rounds:
            return
        self.clean_round()
        active = [uid for uid, listener in self.truth.listeners.items() if not listener.gone]
        player = self.truth.listeners[active[-1]]
        step = timedelta(minutes=10 * self.plan.outage_rounds) / max(1, self.plan.outage_plays)
        for n in range(self.plan.outage_plays):
            track, context = self._random_play(player)
            self._add_play(player, start + n * step, track, context)
        self.spotify.fault("*", 503, count=100_000, retry_after=1)
        for _ in range(self.plan.outage_rounds):
            self._advance_spotify_clock(600)
            time.sleep(1.1)
            self.poll_round()
        self.clear_spotify_faults()

    # ------------------------------------------------------------------ compare

    def compare(self) -> None:
        compare(self.cloud, self.campaigns, self.owners, self.truth, self.report)


def run(cloud: LocalCloud, plan: Plan) -> Report:
    runner = GroundTruthRun(cloud, plan)
    try:
        return runner.run()
    finally:
        # Spotify's clock goes back where it was, for whoever uses this cloud next.
        runner.spotify.advance_clock(-runner.spotify_clock_advanced)
        # The fleet-wide back-off marker is shared with every other user of this cloud.
        cloud.client("dynamodb").delete_item(
            TableName=cloud.physical_id("DataTable"), Key={"pk": {"S": "SPOTIFY"}, "sk": {"S": "BACKOFF"}}
        )
