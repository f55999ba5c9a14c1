"""poll_user's Poller against moto (DynamoDB + KMS) and the Spotify emulator.

A listener is stored exactly as the OAuth callback stores it (listeners.connect
in one transaction, tokens sealed by another container's TokenCipher) with one
open campaign link; the emulator holds their Spotify account and plays.
send_plays is captured (or made to fail) instead of going to SQS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.client
import pytest

from soundlink.listeners import links as listeners
from soundlink.listeners.deletion import delete_listener_data
from soundlink.listeners.links import ListenerStatus, poll_index_keys, poll_shard
from soundlink.platform.counters import campaign_key
from soundlink.platform.tables import BackoffItem, CounterItem, ListenerItem, ListenerLinkItem
from soundlink.platform.transactions import transaction
from soundlink.polling import backoff
from soundlink.polling import poller as poller_module
from soundlink.polling.cadence import MAX_INTERVAL
from soundlink.polling.fanout import due
from soundlink.polling.poller import LOOKBACK, LOOKBACK_MS, Poller, PollOutcome
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.models import TokenSet
from soundlink.tokens.cipher import TokenCipher, listener_context
from soundlink.tokens.sealed import seal, unseal

BASE = timedelta(minutes=5)
SCOPE = "user-read-recently-played"
REDIRECT = "http://127.0.0.1:3000/oauth/callback"
CAMPAIGN = "camp-1"
OWNER = "owner-1"
MS = timedelta(milliseconds=1)
US = timedelta(microseconds=1)


def ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // MS


def at_ms(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + value * MS


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@dataclass
class Listener:
    account_id: str
    user_id: str
    tokens: TokenSet  # as stored at consent

    def item(self) -> ListenerItem:
        return ListenerItem.get(*ListenerItem.key(self.account_id), consistent_read=True)

    def link(self, campaign_id: str = CAMPAIGN) -> ListenerLinkItem:
        return ListenerLinkItem.get(*ListenerLinkItem.key(self.account_id, campaign_id), consistent_read=True)


@dataclass
class World:
    aws: dict
    emu: Any
    ctl: Any
    app: dict
    key_arn: str
    clock: Clock
    config: SpotifyConfig
    writer: TokenCipher  # the callback's container
    track_ids: list[str]
    sent: list[list[dict]] = field(default_factory=list)

    def connect(
        self,
        *,
        first_click_at: datetime,
        window_ends_at: datetime | None = None,
        expires_at: datetime | None = None,
        campaign_id: str = CAMPAIGN,
        user_id: str | None = None,
    ) -> Listener:
        user = self.ctl.create_user(id=user_id, display_name="Listener")
        answer = self.ctl.connect(self.app, user["id"], scope=SCOPE)
        tokens = TokenSet(
            access_token=answer["access_token"],
            refresh_token=answer["refresh_token"],
            scope=answer["scope"],
            expires_at=expires_at or datetime.now(UTC) + timedelta(seconds=answer["expires_in"]),
        )
        account_id = user["account_id"]
        with transaction() as writes:
            listeners.connect(
                writes,
                account_id=account_id,
                spotify_user_id=user["id"],
                display_name="Listener",
                sealed_tokens=seal(self.writer, tokens, listener_context(account_id)),
                scopes=tokens.scope,
                now=first_click_at,
                campaign_id=campaign_id,
                owner_id=OWNER,
                clicked_at=first_click_at,
                window_ends_at=window_ends_at or first_click_at + timedelta(days=28),
                click={"referrer": "t.co", "country": "US"},
            )
        self.ctl.call("DELETE", "/_emulator/requests")  # count only what the poller asks Spotify
        return Listener(account_id, user["id"], tokens)

    def add_link(self, listener: Listener, campaign_id: str, *, first_click_at: datetime, window_ends_at: datetime):
        item = listener.item()
        with transaction() as writes:
            listeners.connect(
                writes,
                account_id=listener.account_id,
                spotify_user_id=listener.user_id,
                display_name=None,
                sealed_tokens=item.tokens,
                scopes=item.scopes,
                now=first_click_at,
                campaign_id=campaign_id,
                owner_id=OWNER,
                clicked_at=first_click_at,
                window_ends_at=window_ends_at,
                click={},
            )

    def play(self, listener: Listener, when: datetime, track: int = 0, context_uri: str | None = None) -> int:
        body: dict[str, Any] = {"track_id": self.track_ids[track], "played_at": ms(when)}
        if context_uri:
            body["context_uri"] = context_uri
        return self.ctl.add_plays(listener.user_id, [body])["added"][0]["played_at_ms"]

    def poller(self, *, send_plays: Callable[[list[dict]], None] | None = None, cipher=None, config=None) -> Poller:
        cipher = cipher or TokenCipher(boto3.client("kms", region_name="us-east-1"), self.key_arn)
        return Poller(
            cipher=lambda: cipher,
            spotify_config=config or (lambda: self.config),
            send_plays=send_plays or self.sent.append,
            base_interval=BASE,
            now=self.clock,
        )

    def sent_ms(self) -> list[int]:
        return [ms(datetime.fromisoformat(body["played_at"])) for batch in self.sent for body in batch]

    def spotify_calls(self, endpoint: str | None = None) -> int:
        summary = self.ctl.requests()
        return summary["total"] if endpoint is None else summary["by_endpoint"].get(endpoint, 0)

    def stored_tokens(self, listener: Listener) -> TokenSet:
        reader = TokenCipher(boto3.client("kms", region_name="us-east-1"), self.key_arn)
        return unseal(reader, listener.item().tokens, listener_context(listener.account_id))


@pytest.fixture
def world(tables, emu, ctl) -> World:
    kms = boto3.client("kms", region_name="us-east-1")
    key_arn = kms.create_key(Description="soundlink tokens")["KeyMetadata"]["Arn"]
    app = ctl.register_app([REDIRECT])
    config = SpotifyConfig(
        app["client_id"],
        app["client_secret"],
        accounts_url=emu.url,
        api_url=emu.url,
        backoff_base_seconds=0.01,
        backoff_max_seconds=0.02,
    )
    # Plays and clicks sit in the recent past of the wall clock, whole milliseconds (as Spotify keeps them).
    now = datetime.now(UTC).replace(microsecond=0)
    tracks = [track["id"] for track in ctl.tracks()[:20]]
    return World(tables, emu, ctl, app, key_arn, Clock(now), config, TokenCipher(kms, key_arn), tracks)


def index_keys(listener: Listener) -> tuple[str | None, str | None]:
    item = listener.item()
    return item.gsi1pk, item.gsi1sk


def assert_scheduled(listener: Listener, when: datetime) -> None:
    item = listener.item()
    assert item.next_poll_at == when
    assert (item.gsi1pk, item.gsi1sk) == poll_index_keys(listener.account_id, when)


def assert_out_of_the_poll_index(world: World, listener: Listener) -> None:
    item = listener.item()
    assert item.gsi1pk is None and item.gsi1sk is None and item.next_poll_at is None
    far = world.clock.now + timedelta(days=3650)
    accounts, _ = due(poll_shard(listener.account_id), far, None, 100)
    assert listener.account_id not in accounts


# ----------------------------------------------------------------- first poll


def test_the_first_poll_reads_everything_records_the_baseline_and_sends_plays_after_the_click(world, monkeypatch):
    click = world.clock.now - timedelta(hours=1)
    listener = world.connect(first_click_at=click)
    before_1 = world.play(listener, click - timedelta(hours=2), track=1)
    before_2 = world.play(listener, click - timedelta(minutes=30), track=2)
    at_click = world.play(listener, click, track=3)  # at the click: baseline, not countable
    after_1 = world.play(listener, click + MS, track=4, context_uri="spotify:playlist:37i9dQZF1DXcBWIGoYBM5M")
    after_2 = world.play(listener, click + timedelta(minutes=50), track=5)
    asked: list[int | None] = []
    original = poller_module.SpotifyClient.recently_played

    def spy(self, after_ms=None, cursor_ms=None):
        asked.append(after_ms)
        return original(self, after_ms=after_ms, cursor_ms=cursor_ms)

    monkeypatch.setattr(poller_module.SpotifyClient, "recently_played", spy)

    outcome = world.poller().poll(listener.account_id)

    assert asked == [None]
    assert outcome == PollOutcome("polled", plays_fetched=5, plays_queued=2, new_plays=5)
    link = listener.link()
    assert link.baseline_at == world.clock.now
    assert link.baseline_track_ids == {world.track_ids[1], world.track_ids[2], world.track_ids[3]}
    assert len(world.sent) == 1
    first, second = world.sent[0]
    assert [first["track_id"], second["track_id"]] == [world.track_ids[4], world.track_ids[5]]
    assert world.sent_ms() == [after_1, after_2]
    assert first["account_id"] == listener.account_id
    assert first["context_uri"] == "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M" and second["context_uri"] is None
    assert first["track_name"] and first["artists"] and all(isinstance(a, str) for a in first["artists"])
    assert datetime.fromisoformat(first["played_at"]) == at_ms(after_1)
    item = listener.item()
    assert item.cursor_ms == after_2
    assert item.seen_ms == {before_1, before_2, at_click, after_1, after_2}
    assert item.last_polled_at == world.clock.now and item.last_new_play_at == world.clock.now
    assert item.quiet_polls == 0
    assert_scheduled(listener, world.clock.now + BASE)


def test_a_first_poll_with_no_play_after_the_click_sends_nothing(world):
    click = world.clock.now - timedelta(minutes=10)
    listener = world.connect(first_click_at=click)
    world.play(listener, click - timedelta(minutes=5), track=1)
    outcome = world.poller().poll(listener.account_id)
    assert outcome.result == "polled" and outcome.plays_queued == 0
    assert world.sent == []  # send_plays is not even called with an empty list
    assert listener.link().baseline_track_ids == {world.track_ids[1]}


def test_a_first_poll_of_a_listener_with_no_plays_at_all(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(minutes=1))
    outcome = world.poller().poll(listener.account_id)
    assert outcome == PollOutcome("polled")
    link = listener.link()
    assert link.baseline_at == world.clock.now and link.baseline_track_ids is None
    item = listener.item()
    assert item.cursor_ms is None and item.seen_ms is None and item.quiet_polls == 1
    assert_scheduled(listener, world.clock.now + 2 * BASE)


# ------------------------------------------------------------ nothing is lost


@pytest.mark.parametrize("failing_poll", [1, 2], ids=["first-poll", "later-poll"])
def test_a_failure_after_the_read_leaves_the_cursor_and_the_next_poll_sends_the_same_plays(world, failing_poll):
    click = world.clock.now - timedelta(hours=1)
    listener = world.connect(first_click_at=click)
    early = world.play(listener, click + timedelta(minutes=5), track=1)
    if failing_poll == 2:
        world.poller().poll(listener.account_id)
        assert world.sent_ms() == [early]
        world.sent.clear()
        world.clock.advance(BASE)
    late_1 = world.play(listener, click + timedelta(minutes=30), track=2)
    late_2 = world.play(listener, click + timedelta(minutes=40), track=3)
    before = listener.item()
    attempted: list[list[dict]] = []

    def broken(bodies):
        attempted.append(bodies)
        raise RuntimeError("SQS is unavailable")

    with pytest.raises(RuntimeError, match="SQS is unavailable"):
        world.poller(send_plays=broken).poll(listener.account_id)

    after = listener.item()
    assert after.cursor_ms == before.cursor_ms
    assert after.seen_ms == before.seen_ms
    assert after.quiet_polls == before.quiet_polls
    assert after.next_poll_at == before.next_poll_at and after.gsi1sk == before.gsi1sk
    assert after.last_polled_at == before.last_polled_at

    world.clock.advance(timedelta(minutes=1))
    outcome = world.poller().poll(listener.account_id)
    expected = [early, late_1, late_2] if failing_poll == 1 else [late_1, late_2]
    assert [ms(datetime.fromisoformat(body["played_at"])) for body in attempted[0]] == expected
    assert world.sent_ms() == expected
    assert outcome.plays_queued == len(expected)
    assert listener.item().cursor_ms == late_2


# -------------------------------------------------- repeats, late plays, lookback


def test_a_second_poll_sends_only_what_is_new_including_late_reported_plays_within_the_lookback(world):
    click = world.clock.now - timedelta(hours=6)
    listener = world.connect(first_click_at=click)
    poller = world.poller()
    first = world.play(listener, world.clock.now - timedelta(minutes=30), track=1)
    cursor = world.play(listener, world.clock.now - timedelta(minutes=10), track=2)
    poller.poll(listener.account_id)
    assert world.sent_ms() == [first, cursor]
    world.sent.clear()

    world.clock.advance(BASE)
    nothing = poller.poll(listener.account_id)
    assert nothing.result == "polled" and nothing.plays_fetched == 2 and nothing.plays_queued == 0
    assert world.sent == []

    world.clock.advance(BASE)
    late = world.play(listener, at_ms(cursor) - timedelta(minutes=15), track=3)  # reported late, older than cursor
    edge_in = world.play(listener, at_ms(cursor) - LOOKBACK + MS, track=4)  # just inside the lookback
    edge_out = world.play(listener, at_ms(cursor) - LOOKBACK, track=5)  # exactly at cursor - lookback: not re-read
    too_old = world.play(listener, at_ms(cursor) - LOOKBACK - timedelta(minutes=1), track=6)
    newest = world.play(listener, world.clock.now - timedelta(seconds=30), track=7)
    outcome = poller.poll(listener.account_id)

    assert sorted(world.sent_ms()) == sorted([edge_in, late, newest])
    assert edge_out not in world.sent_ms() and too_old not in world.sent_ms()
    assert outcome.new_plays == 1  # only `newest` is newer than the cursor
    item = listener.item()
    assert item.cursor_ms == newest
    # seen keeps what a re-read (from the new cursor - lookback) can return again, and nothing older.
    assert item.seen_ms == {ms_ for ms_ in (first, cursor, late, edge_in, newest) if ms_ > newest - LOOKBACK_MS}

    world.sent.clear()
    world.clock.advance(BASE)
    poller.poll(listener.account_id)
    assert world.sent == []


# ----------------------------------------------------------------- 429 back-off


def test_a_429_records_the_fleet_wide_back_off_and_other_listeners_wait_without_calling_spotify(world):
    click = world.clock.now - timedelta(hours=1)
    first = world.connect(first_click_at=click)
    second = world.connect(first_click_at=click)
    world.play(first, click + timedelta(minutes=1))
    world.play(second, click + timedelta(minutes=1))
    world.ctl.fault("recently-played", 429, retry_after=120)
    poller = world.poller()
    start = world.clock.now

    outcome = poller.poll(first.account_id)

    assert outcome.result == "rate_limited"
    until = start + timedelta(seconds=120)
    marker = BackoffItem.get(*BackoffItem.key())
    assert marker.until == until
    assert marker.expires_at >= int(until.timestamp())
    assert_scheduled(first, until)
    item = first.item()
    assert item.cursor_ms is None and item.seen_ms is None and item.last_polled_at is None
    assert world.sent == []
    calls = world.spotify_calls("recently-played")
    assert calls == 1

    world.clock.advance(timedelta(seconds=60))
    assert poller.poll(second.account_id) == PollOutcome("backoff")
    assert world.spotify_calls() == calls  # no Spotify call at all (no refresh either)
    assert_scheduled(second, until)
    assert second.link().baseline_at is None

    # A shorter back-off never shortens the longer one; a longer one extends it.
    backoff.wait_until(until - timedelta(seconds=30))
    assert BackoffItem.get(*BackoffItem.key()).until == until
    backoff.wait_until(until)
    assert BackoffItem.get(*BackoffItem.key()).until == until
    assert backoff.current(until - US) == until
    assert backoff.current(until) is None  # at `until` polling resumes

    world.clock.now = until
    assert poller.poll(second.account_id).result == "polled"
    assert world.spotify_calls("recently-played") == calls + 1


def test_a_longer_back_off_extends_the_marker(world):
    start = world.clock.now
    backoff.wait_until(start + timedelta(seconds=10))
    backoff.wait_until(start + timedelta(hours=20))
    assert BackoffItem.get(*BackoffItem.key()).until == start + timedelta(hours=20)
    assert backoff.current(start) == start + timedelta(hours=20)


def test_a_429_without_retry_after_waits_the_default_30_seconds(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    world.ctl.fault("recently-played", 429)
    assert world.poller().poll(listener.account_id).result == "rate_limited"
    assert BackoffItem.get(*BackoffItem.key()).until == world.clock.now + timedelta(seconds=30)


# -------------------------------------------------------- refused credentials


def test_a_revoked_refresh_token_marks_the_listener_reauth_required(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    world.ctl.revoke(listener.user_id)
    world.ctl.advance_clock(3700)  # the access token has expired at Spotify too

    outcome = world.poller().poll(listener.account_id)

    assert outcome == PollOutcome("reauth_required")
    item = listener.item()
    assert item.status == ListenerStatus.REAUTH_REQUIRED.value
    assert item.status_reason
    assert_out_of_the_poll_index(world, listener)
    assert world.spotify_calls("token") == 1  # one refresh, no retry loop
    assert world.sent == []
    # From now on it is not polled.
    assert world.poller().poll(listener.account_id) == PollOutcome("skipped")
    assert world.spotify_calls("token") == 1


@pytest.mark.parametrize("how", ["fault", "allowlist"])
def test_development_mode_403_marks_the_listener_not_allowlisted(world, how):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    if how == "fault":
        world.ctl.fault("recently-played", 403)
    else:
        world.ctl.call("PATCH", f"/_emulator/apps/{world.app['client_id']}", {"allowlist": ["somebody-else"]})

    outcome = world.poller().poll(listener.account_id)

    assert outcome == PollOutcome("not_allowlisted")
    item = listener.item()
    assert item.status == ListenerStatus.NOT_ALLOWLISTED.value and item.status_reason
    assert_out_of_the_poll_index(world, listener)
    assert item.cursor_ms is None


# ------------------------------------------------------------- token refresh


@pytest.mark.parametrize("expired", ["locally", "at-spotify"])
def test_an_expired_access_token_is_refreshed_once_and_the_rotated_refresh_token_is_kept(world, expired):
    world.ctl.config(rotate_refresh_tokens=True)
    click = world.clock.now - timedelta(hours=1)
    if expired == "locally":
        listener = world.connect(first_click_at=click, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    else:
        listener = world.connect(first_click_at=click)
        world.ctl.advance_clock(3700)  # Spotify answers 401; the client refreshes and retries
    world.play(listener, click + timedelta(minutes=1))
    poller = world.poller()

    outcome = poller.poll(listener.account_id)

    assert outcome.result == "polled" and outcome.tokens_refreshed and outcome.plays_queued == 1
    assert world.spotify_calls("token") == 1
    stored = world.stored_tokens(listener)
    assert stored.refresh_token and stored.refresh_token != listener.tokens.refresh_token
    assert stored.access_token != listener.tokens.access_token
    assert stored.expires_at > datetime.now(UTC) + timedelta(minutes=30)
    assert stored.scope == listener.tokens.scope
    # The old refresh token is dead: only the persisted one can refresh.
    with pytest.raises(RuntimeError, match="invalid_grant"):
        world.ctl.token(
            {"grant_type": "refresh_token", "refresh_token": listener.tokens.refresh_token},
            world.app["client_id"],
            world.app["client_secret"],
        )

    # The next poll uses the stored tokens as they are.
    world.clock.advance(BASE)
    again = poller.poll(listener.account_id)
    assert again.result == "polled" and not again.tokens_refreshed
    assert world.spotify_calls("token") == 2  # the check above, nothing from the poller
    assert world.stored_tokens(listener) == stored


# ------------------------------------------------------------ not polled at all


def test_every_window_closed_makes_the_listener_idle_without_calling_spotify(world):
    click = world.clock.now - timedelta(days=2)
    listener = world.connect(first_click_at=click, window_ends_at=world.clock.now)  # ends now: closed
    world.add_link(listener, "camp-2", first_click_at=click, window_ends_at=world.clock.now - timedelta(days=1))

    outcome = world.poller().poll(listener.account_id)

    assert outcome == PollOutcome("idle")
    item = listener.item()
    assert item.status == ListenerStatus.IDLE.value and item.status_reason
    assert_out_of_the_poll_index(world, listener)
    assert world.spotify_calls() == 0
    assert listener.link().baseline_at is None


def test_a_window_ending_one_microsecond_later_is_still_open(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(days=2), window_ends_at=world.clock.now + US)
    assert world.poller().poll(listener.account_id).result == "polled"
    assert world.spotify_calls("recently-played") == 1


def test_one_open_link_among_closed_ones_keeps_the_listener_polled(world):
    click = world.clock.now - timedelta(days=2)
    listener = world.connect(first_click_at=click, window_ends_at=world.clock.now - timedelta(hours=1))
    world.add_link(listener, "camp-2", first_click_at=click, window_ends_at=world.clock.now + timedelta(days=1))
    assert world.poller().poll(listener.account_id).result == "polled"
    assert listener.link("camp-2").baseline_at == world.clock.now
    assert listener.link(CAMPAIGN).baseline_at is None  # a closed link is not touched


def test_a_deleted_listener_is_gone(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    assert delete_listener_data(dynamodb, world.aws["DataTable"], listener.account_id) == 2
    assert world.poller().poll(listener.account_id) == PollOutcome("gone")
    assert world.poller().poll("never-existed") == PollOutcome("gone")
    assert world.spotify_calls() == 0


@pytest.mark.parametrize(
    "status", [ListenerStatus.IDLE, ListenerStatus.REAUTH_REQUIRED, ListenerStatus.NOT_ALLOWLISTED]
)
def test_a_listener_that_is_not_active_is_skipped(world, status):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    item = listener.item()
    item.update(actions=[ListenerItem.status.set(status.value)])
    before = listener.item().attribute_values
    assert world.poller().poll(listener.account_id) == PollOutcome("skipped")
    assert world.spotify_calls() == 0
    assert listener.item().attribute_values == before


@pytest.mark.parametrize("path", ["baseline", "token-refresh", "rate-limited", "not-allowlisted"])
def test_a_listener_deleted_during_the_poll_is_not_recreated_by_it(world, path):
    """The disconnect deletes everything while the poll talks to Spotify: nothing may come back."""
    click = world.clock.now - timedelta(hours=1)
    expires_at = datetime.now(UTC) - timedelta(minutes=1) if path == "token-refresh" else None
    listener = world.connect(first_click_at=click, expires_at=expires_at)
    world.play(listener, click - timedelta(minutes=1), track=1)
    world.play(listener, click + timedelta(minutes=1), track=2)
    if path == "rate-limited":
        world.ctl.fault("recently-played", 429, retry_after=60)
    if path == "not-allowlisted":
        world.ctl.fault("recently-played", 403)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")

    def config_after_a_disconnect():
        # Runs after the listener and its links were read, just before Spotify is called.
        delete_listener_data(dynamodb, world.aws["DataTable"], listener.account_id)
        return world.config

    raised = None
    try:
        world.poller(config=config_after_a_disconnect).poll(listener.account_id)
    except Exception as error:  # noqa: BLE001 - reported below, together with what was left behind
        raised = error

    left = dynamodb.query(
        TableName=world.aws["DataTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"LISTENER#{listener.account_id}"}},
    )["Items"]
    assert ([(item["sk"]["S"], sorted(item)) for item in left], repr(raised)) == ([], "None")


# ------------------------------------------------------------------- cadence


def test_quiet_polls_count_up_without_new_plays_and_reset_on_new_ones_and_the_cursor_never_moves_back(world):
    click = world.clock.now - timedelta(hours=1)
    listener = world.connect(first_click_at=click)
    first = world.play(listener, click + timedelta(minutes=1))
    poller = world.poller()

    poller.poll(listener.account_id)
    assert listener.item().quiet_polls == 0
    assert_scheduled(listener, world.clock.now + BASE)

    for quiet in (1, 2, 3):
        world.clock.advance(BASE)
        outcome = poller.poll(listener.account_id)
        assert outcome.new_plays == 0 and outcome.plays_queued == 0
        item = listener.item()
        assert item.quiet_polls == quiet
        assert item.cursor_ms == first
        assert item.last_new_play_at == world.clock.now - quiet * BASE
        assert_scheduled(listener, world.clock.now + min(BASE * 2**quiet, MAX_INTERVAL))

    world.clock.advance(BASE)
    newer = world.play(listener, world.clock.now - timedelta(seconds=5), track=2)
    outcome = poller.poll(listener.account_id)
    assert outcome.new_plays == 1
    item = listener.item()
    assert item.quiet_polls == 0 and item.cursor_ms == newer and item.last_new_play_at == world.clock.now
    assert_scheduled(listener, world.clock.now + BASE)

    # A cursor beyond every play Spotify still returns (e.g. set by plays since dropped) stays where it is.
    ahead = newer + 10 * 60 * 1000
    item.update(actions=[ListenerItem.cursor_ms.set(ahead)])
    world.clock.advance(BASE)
    outcome = poller.poll(listener.account_id)
    assert outcome.new_plays == 0
    assert listener.item().cursor_ms == ahead


def test_a_listener_quiet_for_a_long_time_is_still_polled_every_25_minutes(world):
    """A 28-day window with no plays means ~1,600 quiet polls; each one must reschedule the listener."""
    click = world.clock.now - timedelta(hours=1)
    listener = world.connect(first_click_at=click)
    world.play(listener, click + timedelta(minutes=1))
    poller = world.poller()
    poller.poll(listener.account_id)
    listener.item().update(actions=[ListenerItem.quiet_polls.set(40)])  # ~16 hours without a new play

    world.clock.advance(MAX_INTERVAL)
    outcome = poller.poll(listener.account_id)

    assert outcome.result == "polled"
    assert listener.item().quiet_polls == 41
    assert_scheduled(listener, world.clock.now + MAX_INTERVAL)


# ----------------------------------------------------------------------- KMS


def test_fifty_warm_polls_decrypt_the_data_key_at_most_once(world, monkeypatch):
    click = world.clock.now - timedelta(hours=1)
    listener = world.connect(first_click_at=click)  # sealed by the callback's cipher, not the poller's
    world.play(listener, click + timedelta(minutes=1))
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        if self.meta.service_model.service_name == "kms":
            calls[operation_name] += 1
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    cipher = TokenCipher(boto3.client("kms", region_name="us-east-1"), world.key_arn)
    poller = world.poller(cipher=cipher)

    results = Counter()
    for i in range(50):
        world.play(listener, world.clock.now - timedelta(seconds=1), track=i % 10)  # warm: a new play each time
        results[poller.poll(listener.account_id).result] += 1
        world.clock.advance(BASE)

    assert results == {"polled": 50}
    assert calls["Decrypt"] <= 1
    assert calls["GenerateDataKey"] == 0  # nothing was re-sealed
    assert world.spotify_calls("recently-played") == 50


# --------------------------------------------- possible gaps: newer than the cursor, once


def campaign_gaps(campaign_id: str = CAMPAIGN, prefix: str = "TOTAL#") -> int:
    items = CounterItem.query(campaign_key(campaign_id), CounterItem.sk.startswith(prefix), consistent_read=True)
    return sum(int(item.possible_gaps or 0) for item in items)


def plays_from(world: World, listener: Listener, start: datetime, count: int, first_track: int = 0) -> list[int]:
    return [world.play(listener, start + i * timedelta(minutes=1), track=(first_track + i) % 20) for i in range(count)]


def test_continuous_listening_within_the_lookback_is_not_a_gap(world):
    """55 plays within three hours, polled in two halves: nothing was missed, nothing is flagged."""
    start = world.clock.now
    listener = world.connect(first_click_at=start - timedelta(hours=6))
    world.play(listener, start - timedelta(hours=5))
    poller = world.poller()
    poller.poll(listener.account_id)

    world.clock.advance(BASE)
    first_half = plays_from(world, listener, start - timedelta(hours=4), 30)
    assert not poller.poll(listener.account_id).possible_gap
    assert listener.item().cursor_ms == first_half[-1]

    world.clock.advance(BASE)
    second_half = plays_from(world, listener, start - timedelta(hours=3), 25, first_track=5)
    # The read from cursor - 3 h returns 50 plays (all Spotify keeps), but only 25 are newer than the cursor.
    outcome = poller.poll(listener.account_id)

    assert outcome.plays_fetched == 50 and outcome.new_plays == 25
    assert not outcome.possible_gap
    assert listener.item().cursor_ms == second_half[-1]
    assert not listener.item().possible_gaps and campaign_gaps() == 0


def test_fifty_plays_newer_than_the_cursor_are_one_gap_and_a_re_run_adds_nothing(world):
    start = world.clock.now
    listener = world.connect(first_click_at=start - timedelta(hours=6))
    world.play(listener, start - timedelta(hours=5))
    poller = world.poller()
    poller.poll(listener.account_id)

    world.clock.advance(BASE)
    burst = plays_from(world, listener, start - timedelta(hours=2), 60)
    outcome = poller.poll(listener.account_id)

    assert outcome.possible_gap and outcome.new_plays == 50
    assert world.sent_ms()[-50:] == burst[-50:]
    assert listener.item().possible_gaps == 1 and campaign_gaps() == 1
    # Also in the poll's hour and day, which a date range sums.
    polled = world.clock.now.astimezone(UTC)
    assert campaign_gaps(prefix=f"HOUR#{polled:%Y-%m-%dT%H}#") == 1
    assert campaign_gaps(prefix=f"DAY#{polled:%Y-%m-%d}#") == 1
    # The same plays, read again (within the lookback) with no new one since: no second gap.
    for _ in range(3):
        world.clock.advance(BASE)
        again = poller.poll(listener.account_id)
        assert again.result == "polled" and not again.possible_gap and again.new_plays == 0
    assert listener.item().possible_gaps == 1 and campaign_gaps() == 1


def test_a_gap_found_by_a_poll_that_then_fails_is_counted_once_by_the_retry(world):
    start = world.clock.now
    listener = world.connect(first_click_at=start - timedelta(hours=6))
    world.play(listener, start - timedelta(hours=5))
    world.poller().poll(listener.account_id)
    world.clock.advance(BASE)
    plays_from(world, listener, start - timedelta(hours=2), 55)

    def broken(bodies):
        raise RuntimeError("SQS is unavailable")

    with pytest.raises(RuntimeError):
        world.poller(send_plays=broken).poll(listener.account_id)
    assert not listener.item().possible_gaps and campaign_gaps() == 0

    assert world.poller().poll(listener.account_id).possible_gap
    assert world.poller().poll(listener.account_id).new_plays == 0
    assert listener.item().possible_gaps == 1 and campaign_gaps() == 1


def test_a_gap_is_counted_for_every_open_campaign_of_the_listener(world):
    start = world.clock.now
    listener = world.connect(first_click_at=start - timedelta(hours=6))
    world.add_link(
        listener, "camp-2", first_click_at=start - timedelta(hours=6), window_ends_at=start + timedelta(days=1)
    )
    world.play(listener, start - timedelta(hours=5))
    world.poller().poll(listener.account_id)
    world.clock.advance(BASE)
    plays_from(world, listener, start - timedelta(hours=2), 51)
    assert world.poller().poll(listener.account_id).possible_gap
    assert (campaign_gaps(CAMPAIGN), campaign_gaps("camp-2")) == (1, 1)


# ------------------------------------------------- a second campaign, rotated tokens


def test_a_second_campaign_of_an_already_polled_listener_gets_a_full_baseline(world):
    start = world.clock.now
    listener = world.connect(first_click_at=start - timedelta(hours=10))
    old = world.play(listener, start - timedelta(hours=8), track=1)  # far older than cursor - lookback
    recent = world.play(listener, start - timedelta(hours=1), track=2)
    poller = world.poller()
    poller.poll(listener.account_id)
    assert listener.item().cursor_ms == recent and old < recent - LOOKBACK_MS

    world.clock.advance(BASE)
    world.add_link(listener, "camp-2", first_click_at=world.clock.now, window_ends_at=start + timedelta(days=14))
    poller.poll(listener.account_id)

    link = listener.link("camp-2")
    assert link.baseline_at == world.clock.now
    assert link.baseline_track_ids == {world.track_ids[1], world.track_ids[2]}
    assert listener.link(CAMPAIGN).baseline_track_ids is None  # its own baseline is untouched


def test_a_revoked_refresh_token_after_another_poll_rotated_the_tokens_leaves_the_listener_active(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    world.ctl.revoke(listener.user_id)
    world.ctl.advance_clock(3700)  # the held access token has expired: the poll refreshes, and is refused

    def config_after_a_rotation():
        # Another container refreshed meanwhile and stored the tokens Spotify rotated to.
        rotated = TokenSet("rotated-access", "rotated-refresh", SCOPE, datetime.now(UTC) + timedelta(hours=1))
        sealed = seal(world.writer, rotated, listener_context(listener.account_id))
        listener.item().update(actions=[ListenerItem.tokens.set(sealed)])
        return world.config

    outcome = world.poller(config=config_after_a_rotation).poll(listener.account_id)

    assert outcome == PollOutcome("skipped")
    item = listener.item()
    assert item.status == ListenerStatus.ACTIVE.value and item.status_reason is None
    assert item.gsi1pk is not None and item.next_poll_at is not None
    assert listener.link().state == ListenerStatus.ACTIVE.value  # not moved to reauth_required


# -------------------------------------------------------------- Spotify down


def test_spotify_unavailable_reschedules_like_a_429_and_the_next_poll_catches_up(world):
    click = world.clock.now - timedelta(hours=1)
    listener = world.connect(first_click_at=click)
    other = world.connect(first_click_at=click)
    plays = [world.play(listener, click + timedelta(minutes=m), track=m) for m in (1, 2, 3)]
    world.ctl.fault("recently-played", 503, count=world.config.max_attempts)
    poller = world.poller()
    start = world.clock.now

    outcome = poller.poll(listener.account_id)  # no exception: SQS never retries the job toward the DLQ

    assert outcome.result == "spotify_unavailable"
    until = start + poller_module.UNAVAILABLE_WAIT
    assert BackoffItem.get(*BackoffItem.key()).until == until
    assert_scheduled(listener, until)
    item = listener.item()
    assert item.cursor_ms is None and item.last_polled_at is None and item.status == ListenerStatus.ACTIVE.value
    assert world.sent == []
    assert world.spotify_calls("recently-played") == world.config.max_attempts
    # Every poller waits: no call to Spotify until the back-off has passed.
    assert poller.poll(other.account_id) == PollOutcome("backoff")

    world.clock.now = until
    caught_up = poller.poll(listener.account_id)
    assert caught_up.result == "polled" and caught_up.plays_queued == 3
    assert world.sent_ms() == plays


def test_a_503_with_a_long_retry_after_waits_that_long(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    world.ctl.fault("recently-played", 503, retry_after=900)
    assert world.poller().poll(listener.account_id).result == "spotify_unavailable"
    assert_scheduled(listener, world.clock.now + timedelta(seconds=900))
    assert BackoffItem.get(*BackoffItem.key()).until == world.clock.now + timedelta(seconds=900)


def test_an_unavailable_token_endpoint_reschedules_too(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    world.ctl.advance_clock(3700)
    world.ctl.fault("token", 500, count=world.config.max_attempts)
    before = listener.item().tokens
    assert world.poller().poll(listener.account_id).result == "spotify_unavailable"
    item = listener.item()
    assert item.status == ListenerStatus.ACTIVE.value and item.tokens == before
    assert_scheduled(listener, world.clock.now + poller_module.UNAVAILABLE_WAIT)


def test_a_503_with_retry_after_zero_is_polled_again_at_once(world):
    listener = world.connect(first_click_at=world.clock.now - timedelta(hours=1))
    world.ctl.fault("recently-played", 503, count=world.config.max_attempts, retry_after=0)
    assert world.poller().poll(listener.account_id).result == "spotify_unavailable"
    assert_scheduled(listener, world.clock.now)
