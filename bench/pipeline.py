"""What the polling and attribution pipeline costs in requests, counted (not estimated).

Everything runs in-process: AWS is moto (tables from template.yaml, SQS
queues, a KMS key, the Spotify client secret in Secrets Manager) and Spotify
is the emulator on loopback (moto lets loopback HTTP through). Every AWS API
call is counted by wrapping botocore's BaseClient._make_api_call; Spotify
requests are the emulator's own request count (/_emulator/requests, control
calls left out). The figures are printed next to their targets for reading;
nothing is asserted.

1. an idle poll (active listener, open link, nothing new since the cursor,
   warm container): Spotify and DynamoDB requests per poll;
2. KMS calls per poll over 1,000 polls with one Poller/TokenCipher, 50
   listeners round-robin, tokens sealed as the OAuth callback seals them;
3. SQS send requests to fan out 1,000 due listeners over the 16 shards
   (the scheduled invocation, then its continuations from the fan-out queue);
4. DynamoDB write units per attributed play (1 campaign; 3 campaigns of one
   owner) and per redelivered play; among the "other writes", the listener's
   PutItem into each campaign's people sketch of the day (once per listener,
   campaign and UTC day: soundlink/platform/people.py).

The sections print in that order but run 4, 1, 2, 3: moto backs up a whole
table for every transaction, so the attribution runs while tables are small
(see also copy_each_table_once). What is measured is the working tree's code.

    PYTHONPATH=functions:. .venv/bin/python -m bench.pipeline
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.results import record
from bench.tracker import ENV as TRACKER_ENV

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **TRACKER_ENV,
    "POLL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-polls",
    "PLAY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-plays",
    "POLL_FANOUT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-poll-fanout",
}
# moto must not answer the emulator's loopback HTTP (it lets unknown http URLs through
# anyway; this makes it explicit). The other keys keep moto's defaults: a "core" given
# here replaces the default one as a whole.
MOTO_CONFIG: Any = {
    "core": {
        "mock_credentials": True,
        "passthrough": {"urls": [r"http://127\.0\.0\.1.*", r"http://localhost.*"], "services": []},
        "reset_boto3_session": True,
        "service_whitelist": None,
    }
}
SCOPE = "user-read-recently-played"
IDLE_POLLS = 100
KMS_POLLS = 1000
PACED_POLLS = 250  # 5 rounds of the 50 listeners
KMS_LISTENERS = 50
FANOUT_DUE = 1000  # moto's SQS slows down with every message queued: many more would take minutes
PLAYS_PER_LISTENER = 20
DISTINCT_TRACKS = 10
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
SENDS = {"SendMessage", "SendMessageBatch"}
CLICK = {
    "referrer": "instagram.com",
    "utm_source": "instagram",
    "utm_medium": "story",
    "utm_campaign": "spring-release",
    "device": "mobile",
    "browser": "Safari",
    "os": "iOS",
    "country": "DE",
}


# ------------------------------------------------------------------ counting


@dataclass
class Calls:
    """Every AWS API call made while installed, by (service, operation)."""

    ops: Counter[tuple[str, str]] = field(default_factory=Counter)
    transactions: list[dict[str, Any]] = field(default_factory=list)  # TransactWriteItems: items, largest Put
    puts: list[int] = field(default_factory=list)  # PutItem (outside transactions): each item's size
    messages_sent: int = 0
    read_units: float = 0.0  # GetItem and BatchGetItem: 1 per item (<= 4 KB) strongly consistent, else 0.5
    clients_created: int = 0  # botocore clients created (each loads its service model)
    client_seconds: float = 0.0

    paused: bool = False  # the bench's own bookkeeping calls are not counted

    @contextlib.contextmanager
    def uncounted(self) -> Any:
        self.paused = True
        try:
            yield
        finally:
            self.paused = False

    def reset(self) -> None:
        self.ops.clear()
        self.transactions.clear()
        self.puts.clear()
        self.messages_sent = 0
        self.read_units = 0.0
        self.clients_created = 0
        self.client_seconds = 0.0

    def count(self, service: str, names: set[str] | None = None) -> int:
        return sum(n for (svc, op), n in self.ops.items() if svc == service and (names is None or op in names))

    def dynamodb_writes(self) -> int:
        return self.count("dynamodb", WRITES)

    def dynamodb_reads(self) -> int:
        return self.count("dynamodb") - self.dynamodb_writes()


def install_counter(calls: Calls) -> Callable[[], None]:
    import botocore.client
    import botocore.session

    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):  # type: ignore[no-untyped-def]
        if calls.paused:
            return original(self, operation, params)
        service = self.meta.service_model.service_name
        calls.ops[(service, operation)] += 1
        if operation == "TransactWriteItems":
            items = params.get("TransactItems", [])
            puts = [item_bytes(entry["Put"]["Item"]) for entry in items if "Put" in entry]
            calls.transactions.append({"items": len(items), "largest_put": max(puts, default=0)})
        elif operation == "GetItem":
            calls.read_units += 1.0 if params.get("ConsistentRead") else 0.5
        elif operation == "BatchGetItem":
            calls.read_units += sum(
                len(table["Keys"]) * (1.0 if table.get("ConsistentRead") else 0.5)
                for table in params.get("RequestItems", {}).values()
            )
        elif operation == "PutItem":
            calls.puts.append(item_bytes(params.get("Item", {})))
        elif operation == "SendMessageBatch":
            calls.messages_sent += len(params.get("Entries", []))
        elif operation == "SendMessage":
            calls.messages_sent += 1
        return original(self, operation, params)

    original_create = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original_create(self, *args, **kwargs)
        finally:
            calls.clients_created += 1
            calls.client_seconds += time.perf_counter() - started

    botocore.client.BaseClient._make_api_call = counting
    botocore.session.Session.create_client = create_client

    def uninstall() -> None:
        botocore.client.BaseClient._make_api_call = original
        botocore.session.Session.create_client = original_create

    return uninstall


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB sizes it, roughly: names + values (numbers as their digits, an over-estimate)."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: dict[str, Any]) -> int:
    (kind, content), *_ = value.items()
    if kind in ("S", "N"):
        return len(str(content).encode())
    if kind == "B":
        return len(content)
    if kind in ("SS", "NS"):
        return sum(len(str(x).encode()) for x in content)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_bytes(v) for k, v in content.items())
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in content)
    return 1  # BOOL, NULL


def copy_each_table_once() -> None:
    """moto backs up a whole table once per item of a TransactWriteItems (for its rollback), which
    makes a 51-item transaction take seconds; back each table up once per transaction instead.
    The same rollback, the same answers: only the bench's run time changes."""
    import copy

    from moto.dynamodb import models

    class _OncePerTable:
        def __init__(self) -> None:
            self._copies: dict[int, tuple[Any, Any]] = {}

        def deepcopy(self, value: Any, memo: Any = None) -> Any:
            if not isinstance(value, models.Table):
                return copy.deepcopy(value, memo)
            if id(value) not in self._copies:
                self._copies[id(value)] = (value, copy.deepcopy(value))
            return self._copies[id(value)][1]

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):  # type: ignore[no-untyped-def]
        models.copy = _OncePerTable()  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def spotify_requests(control: Any) -> int:
    """Web API and accounts requests the emulator has answered (its control API left out)."""
    summary = control.call("GET", "/_emulator/requests")
    return summary["total"] - summary["by_endpoint"].get("control", 0)


# ------------------------------------------------------------------ the world


@dataclass
class World:
    control: Any
    app: dict[str, Any]
    tracks: list[str]
    calls: Calls
    campaigns: dict[str, Any]  # name -> Campaign
    kms: Any
    sqs: Any
    key_arn: str


def build_world(emulator: Any, calls: Calls) -> World:
    import boto3

    from local.cfn import cached_template, create_tables
    from local.spotify_emulator.testing import EmulatorControl

    names = create_tables(boto3.client("dynamodb"), lambda logical_id: f"bench-{logical_id}", cached_template())
    os.environ.update(DATA_TABLE=names["DataTable"], EVENTS_TABLE=names["EventsTable"], STATS_TABLE=names["StatsTable"])
    sqs = boto3.client("sqs")
    for variable, queue in (
        ("POLL_QUEUE_URL", "bench-polls"),
        ("PLAY_QUEUE_URL", "bench-plays"),
        ("POLL_FANOUT_QUEUE_URL", "bench-poll-fanout"),
        ("CLICK_QUEUE_URL", "bench-clicks"),
    ):
        os.environ[variable] = sqs.create_queue(QueueName=queue)["QueueUrl"]
    kms = boto3.client("kms")
    key_arn = kms.create_key(Description="bench token key")["KeyMetadata"]["Arn"]

    control = EmulatorControl(emulator.url)
    app = control.register_app(["http://127.0.0.1:9/oauth/callback"])
    secret_arn = boto3.client("secretsmanager").create_secret(Name="bench-spotify", SecretString=app["client_secret"])[
        "ARN"
    ]
    os.environ.update(
        TOKEN_KEY_ARN=key_arn,
        SPOTIFY_CLIENT_ID=app["client_id"],
        SPOTIFY_CLIENT_SECRET_ARN=secret_arn,
        SPOTIFY_ACCOUNTS_URL=emulator.url,
        SPOTIFY_API_URL=emulator.url,
    )

    from soundlink.platform.settings import get_settings
    from soundlink.platform.tables import bind_tables

    get_settings.cache_clear()
    bind_tables(get_settings())

    campaigns = {
        "A1": create_campaign("owner-a", "A1"),
        "B1": create_campaign("owner-b", "B1"),
        "B2": create_campaign("owner-b", "B2"),
        "B3": create_campaign("owner-b", "B3"),
    }
    tracks = [track["id"] for track in control.tracks()]
    return World(control, app, tracks, calls, campaigns, kms, sqs, key_arn)


def create_campaign(owner_id: str, name: str) -> Any:
    from bench.samples import sample_campaign
    from soundlink.campaigns.campaign import SLUG_ALPHABET
    from soundlink.campaigns.repository import DynamoCampaignRepository

    now = datetime.now(UTC)
    number = uuid.uuid4().int
    slug = "".join(SLUG_ALPHABET[(number >> (5 * i)) % len(SLUG_ALPHABET)] for i in range(10))
    playlist_id = "".join(
        "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"[(number >> (6 * i)) % 49] for i in range(22)
    )
    campaign = sample_campaign(str(uuid.uuid4()), owner_id, slug, now, f"Bench {name}", playlist_id=playlist_id)
    DynamoCampaignRepository().create(campaign)
    return campaign


@functools.cache
def setup_connection() -> Any:
    """One pynamodb Connection for the bench's own setup transactions (soundlink.transactions
    opens a new one, with a new botocore client, per transaction: slow, and not what is measured)."""
    from pynamodb.connection import Connection

    from soundlink.platform.tables import CampaignItem

    return Connection(region=CampaignItem.Meta.region, host=CampaignItem.Meta.host)


def store_listener(
    account_id: str,
    sealed: str,
    links: list[tuple[Any, datetime]],
    now: datetime,
    *,
    scopes: str = SCOPE,
    click: dict[str, str] | None = None,
) -> None:
    """What the OAuth callback stores: the listener and its link to each (campaign, click time)."""
    from pynamodb.transactions import TransactWrite

    from soundlink.listeners import links as listeners

    for campaign, clicked_at in links:
        with TransactWrite(connection=setup_connection()) as writes:
            listeners.connect(
                writes,
                account_id=account_id,
                spotify_user_id=account_id,
                display_name=None,
                sealed_tokens=sealed,
                scopes=scopes,
                now=now,
                campaign_id=campaign.id,
                owner_id=campaign.owner_id,
                clicked_at=clicked_at,
                window_ends_at=clicked_at + timedelta(days=campaign.attribution_window_days),
                click=CLICK if click is None else click,
            )


def spotify_listener(world: World, account_id: str, cipher: Any, campaign: Any, clicked_at: datetime) -> None:
    """An emulator user who consented through `campaign`, tokens sealed by `cipher` (the callback's)."""
    from soundlink.spotify.models import TokenSet
    from soundlink.tokens.cipher import listener_context
    from soundlink.tokens.sealed import seal

    world.control.create_user(account_id)
    answer = world.control.connect(world.app, account_id, scope=SCOPE)
    now = datetime.now(UTC)
    tokens = TokenSet(
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        scope=answer["scope"],
        expires_at=now + timedelta(seconds=answer["expires_in"]),
    )
    sealed = seal(cipher, tokens, listener_context(account_id))
    store_listener(account_id, sealed, [(campaign, clicked_at)], now)


def callback_cipher(world: World) -> Any:
    """An OAuth callback container's TokenCipher (one per container: its own data key)."""
    from soundlink.tokens.cipher import TokenCipher

    return TokenCipher(world.kms, world.key_arn)


# ------------------------------------------------------------------ 1. idle poll


def poll_outcome(poller: Any, account: str) -> Any:
    """The poll's outcome; an exception is counted as an outcome, not hidden."""
    try:
        return poller.poll(account)
    except Exception as error:  # noqa: BLE001 (reported in the outcomes)
        return _Raised(f"raised {type(error).__name__}: {error}"[:160])


@dataclass(frozen=True)
class _Raised:
    result: str
    plays_queued: int = 0


def idle_poll(world: World) -> None:
    import poll_user.app as poll_app

    now = datetime.now(UTC)
    account = "bench-idle"
    spotify_listener(world, account, callback_cipher(world), world.campaigns["A1"], now - timedelta(hours=2))
    # Two plays after the click, within the lookback: every poll re-reads them, none is new.
    world.control.add_plays(
        account,
        [
            {"track_id": world.tracks[0], "played_at": (now - timedelta(minutes=90)).isoformat()},
            {"track_id": world.tracks[1], "played_at": (now - timedelta(minutes=60)).isoformat()},
        ],
    )
    poller = poll_app.poller
    first = poll_outcome(poller, account)  # the link's baseline; the two plays queued
    second = poll_outcome(poller, account)  # the first poll from the cursor: the container is warm
    world.calls.reset()
    before = spotify_requests(world.control)
    outcomes: Counter[str] = Counter()
    queued = 0
    started = time.perf_counter()
    for _ in range(IDLE_POLLS):
        outcome = poll_outcome(poller, account)
        outcomes[outcome.result] += 1
        queued += outcome.plays_queued
    seconds = (time.perf_counter() - started) / IDLE_POLLS
    spotify = spotify_requests(world.control) - before
    calls = world.calls
    record("spotify_calls_per_idle_poll", spotify / IDLE_POLLS)
    record("dynamodb_writes_per_idle_poll", calls.dynamodb_writes() / IDLE_POLLS)
    record("dynamodb_reads_per_idle_poll", calls.dynamodb_reads() / IDLE_POLLS)
    # Wall time of a poll here: the code, moto in-process and the emulator on loopback (an upper
    # bound of its own work; Spotify's real latency is added from bench/prices.py).
    record("poll_cpu_ms", round(seconds * 1000, 1))
    print(
        f"1. Idle poll (an active listener, one open link, nothing new since the cursor, warm container): "
        f"{IDLE_POLLS} polls in a row"
    )
    print(
        f"   warm-up: baseline poll {first.result}, queued {first.plays_queued} plays; "
        f"then {second.result}, queued {second.plays_queued}"
    )
    print(f"   measured polls: outcomes {dict(outcomes)}, plays queued {queued}")
    print(f"   Spotify requests per poll   {spotify / IDLE_POLLS:.2f}   (target 1)")
    print(f"   DynamoDB writes per poll    {calls.dynamodb_writes() / IDLE_POLLS:.2f}   (target <= 1)")
    print(f"   DynamoDB reads per poll     {calls.dynamodb_reads() / IDLE_POLLS:.2f}")
    print(
        f"   SQS {calls.count('sqs') / IDLE_POLLS:.2f}  KMS {calls.count('kms') / IDLE_POLLS:.2f}  "
        f"Secrets Manager {calls.count('secretsmanager') / IDLE_POLLS:.2f} per poll; "
        f"botocore clients created {calls.clients_created / IDLE_POLLS:.2f} per poll"
    )
    print(f"   AWS calls: {dict(sorted(calls.ops.items()))}")
    idle_poll_on_schedule(world, account)


def idle_poll_on_schedule(world: World, account: str) -> None:
    """The same listener polled IDLE_POLLS more times, each poll at the next_poll_at the previous
    one stored (the Poller's clock moved there), as the schedule would: quiet polls 10, 20, 25 min apart."""
    import poll_user.app as poll_app
    from soundlink.platform.tables import ListenerItem
    from soundlink.polling.poller import Poller

    moment = [datetime.now(UTC)]
    poller = Poller(
        cipher=poll_app._cipher,
        spotify_config=poll_app.poller._config,
        send_plays=poll_app.poller._send_plays,
        base_interval=poll_app.poller._base,
        now=lambda: moment[0],
    )
    start = moment[0]
    world.calls.reset()
    before = spotify_requests(world.control)
    outcomes: Counter[str] = Counter()
    for _ in range(IDLE_POLLS):
        with world.calls.uncounted():
            moment[0] = ListenerItem.get(*ListenerItem.key(account), consistent_read=True).next_poll_at
        outcomes[poll_outcome(poller, account).result] += 1
    spotify = spotify_requests(world.control) - before
    calls = world.calls
    hours = (moment[0] - start).total_seconds() / 3600
    print(
        f"   the same listener, {IDLE_POLLS} more polls each at its stored next_poll_at "
        f"({hours:.0f} h simulated on the Poller's clock; the only listener polled in its campaign): {dict(outcomes)}"
    )
    print(
        f"     Spotify requests per poll {spotify / IDLE_POLLS:.2f} (target 1)   DynamoDB writes per poll "
        f"{calls.dynamodb_writes() / IDLE_POLLS:.2f} (target <= 1)   reads {calls.dynamodb_reads() / IDLE_POLLS:.2f}"
    )
    print(f"     AWS calls: {dict(sorted(calls.ops.items()))}")


# ------------------------------------------------------------------ 2. KMS per poll


def kms_per_poll(world: World) -> None:
    import boto3

    import poll_user.app as poll_app
    from soundlink.platform.tables import ListenerItem
    from soundlink.polling.poller import Poller
    from soundlink.spotify.credentials import spotify_config
    from soundlink.tokens.cipher import _DECRYPT_CACHE_SIZE, UNWRAPPED_KEY_SECONDS, TokenCipher, listener_context
    from soundlink.tokens.sealed import seal, unseal

    settings = poll_app.settings
    interval = settings.poll_interval_seconds
    clicked_at = datetime.now(UTC) - timedelta(hours=1)
    accounts = [f"bench-kms-{i:02d}" for i in range(KMS_LISTENERS)]
    shared = callback_cipher(world)
    for account in accounts:
        spotify_listener(world, account, shared, world.campaigns["A1"], clicked_at)
    print(f"2. KMS calls per poll, {KMS_LISTENERS} listeners polled round-robin by one Poller/TokenCipher")
    print("   (target <= 0.05; each run's TokenCipher starts empty, so each data key's first Decrypt is counted)")
    # Sealing: one callback container sealed all 50 (consents within its data key's hour),
    # or each listener's tokens are under a data key of their own (consents spread over time or
    # containers). Pacing: back to back as fast as the bench runs, with the Poller of
    # poll_user/app.py; or each listener polled every POLL_INTERVAL_SECONDS, simulated by moving
    # the poller's TokenCipher clock interval/50 seconds per poll.
    for sealing in ("one data key for all 50", "a data key per listener"):
        if sealing.startswith("a data key per"):
            for account in accounts:  # re-sealed as 50 callback containers would have
                item = ListenerItem.get(*ListenerItem.key(account), consistent_read=True)
                tokens = unseal(shared, item.tokens, listener_context(account))
                item.update(
                    actions=[ListenerItem.tokens.set(seal(callback_cipher(world), tokens, listener_context(account)))]
                )

        poll_app._cipher.cache_clear()
        kms_calls, outcomes = run_polls(world, poll_app.poller, accounts, KMS_POLLS)
        report = f"KMS per poll {kms_calls / KMS_POLLS:.3f}  ({kms_calls} calls; {dict(outcomes)})"
        print(f"   {sealing:24s} {f'{KMS_POLLS} polls back to back':52s} {report}")

        clock = [0.0]
        cipher = TokenCipher(boto3.client("kms"), settings.token_key_arn, clock=lambda clock=clock: clock[0])
        paced = Poller(
            cipher=lambda cipher=cipher: cipher,
            spotify_config=lambda: spotify_config(settings),
            send_plays=poll_app.poller._send_plays,
            base_interval=timedelta(seconds=interval),
            now=lambda: datetime.now(UTC),
        )

        def tick(clock: list[float] = clock) -> None:
            clock[0] += interval / KMS_LISTENERS

        # A new container's first poll of each listener unwraps that listener's data key: count
        # it apart, then the warm polls (the target is about warm polls).
        cold_calls, _ = run_polls(world, paced, accounts, len(accounts), tick)
        kms_calls, outcomes = run_polls(world, paced, accounts, PACED_POLLS, tick)
        if sealing.startswith("a data key per"):  # the realistic case: consents spread over time
            record("kms_calls_per_warm_poll", kms_calls / PACED_POLLS)
        report = f"KMS per poll {kms_calls / PACED_POLLS:.3f}  ({kms_calls} calls; {dict(outcomes)})"
        pacing = f"{PACED_POLLS} warm polls, each listener every {interval} s (simulated)"
        print(f"   {sealing:24s} {pacing:52s} {report}")
        print(f"   {'':24s} {'(before them, the first poll of each listener: ' + str(cold_calls) + ' KMS calls)':52s}")
    print(f"   (an unwrapped data key stays in a TokenCipher for UNWRAPPED_KEY_SECONDS = {UNWRAPPED_KEY_SECONDS:.0f} s")
    print(f"   from when it was unwrapped, {_DECRYPT_CACHE_SIZE} keys at most; the base poll interval is {interval} s)")


def run_polls(
    world: World, poller: Any, accounts: list[str], polls: int, tick: Callable[[], None] | None = None
) -> tuple[int, Counter[str]]:
    world.calls.reset()
    outcomes: Counter[str] = Counter()
    for i in range(polls):
        outcomes[poll_outcome(poller, accounts[i % len(accounts)]).result] += 1
        if tick:
            tick()
    return world.calls.count("kms"), outcomes


# ------------------------------------------------------------------ 3. fan-out


def fan_out_requests(world: World) -> None:
    from soundlink.listeners.links import POLL_SHARDS, ListenerStatus, poll_index_keys, poll_shard
    from soundlink.platform.settings import get_settings
    from soundlink.platform.tables import ListenerItem
    from soundlink.polling import fanout

    settings = get_settings()
    now = datetime.now(UTC)
    # Listeners of the other sections that are due too (the attribution section's, never polled)
    # count toward the FANOUT_DUE.
    others = [account for shard in range(POLL_SHARDS) for account in fanout.due(shard, now, None, FANOUT_DUE)[0]]
    added = [f"bench-due-{i:04d}" for i in range(FANOUT_DUE - len(others))]
    with ListenerItem.batch_write() as batch:
        for i, account in enumerate(added):
            due_at = now - timedelta(seconds=60 + i % 240)
            gsi1pk, gsi1sk = poll_index_keys(account, due_at)
            batch.save(
                ListenerItem(
                    *ListenerItem.key(account),
                    gsi1pk=gsi1pk,
                    gsi1sk=gsi1sk,
                    account_id=account,
                    spotify_user_id=account,
                    status=ListenerStatus.ACTIVE.value,
                    tokens="v1.unused",
                    scopes=SCOPE,
                    connected_at=now,
                    updated_at=now,
                    next_poll_at=due_at,
                )
            )
    per_shard = Counter(poll_shard(account) for account in added + others)

    world.calls.reset()
    invocations = 1
    # The scheduled invocation: every shard, within one invocation's budget (schedule_polls/app.py).
    queued = schedule_run(world, settings, fanout.every_shard())
    scheduled_sends = world.calls.count("sqs", SENDS)
    while True:  # the fan-out queue's event source: one continuation per invocation, until none is left
        received = world.sqs.receive_message(
            QueueUrl=settings.poll_fanout_queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0
        ).get("Messages", [])
        if not received:
            break
        invocations += 1
        queued += schedule_run(world, settings, [json.loads(received[0]["Body"])])
        world.sqs.delete_message(QueueUrl=settings.poll_fanout_queue_url, ReceiptHandle=received[0]["ReceiptHandle"])
    sends = world.calls.count("sqs", SENDS)
    record("sqs_requests_per_1000_due", sends * 1000 / FANOUT_DUE)
    print(f"3. Fan-out of {FANOUT_DUE} due listeners over {POLL_SHARDS} shards (schedule_polls/app.py's wiring)")
    print(
        f"   {len(added)} stored due + {len(others)} due from the other sections; due per shard "
        f"{min(per_shard.values())}..{max(per_shard.values())}"
    )
    print(
        f"   {invocations} invocation(s) (the scheduled one + continuations), {queued} poll jobs queued in "
        f"{world.calls.messages_sent} messages"
    )
    print(
        f"   SQS send requests per {FANOUT_DUE} due listeners  {sends}   (target <= 110): "
        f"{scheduled_sends} by the scheduled invocation, {sends - scheduled_sends} by continuations"
    )
    print(f"   AWS calls (ReceiveMessage/DeleteMessage are the bench's): {dict(sorted(world.calls.ops.items()))}")


def schedule_run(world: World, settings: Any, work: list[dict[str, Any]]) -> int:
    """What one schedule_polls invocation does with its work (soundlink.polling.fanout.fan_out)."""
    from soundlink.polling import fanout

    return fanout.fan_out(
        work,
        now=datetime.now(UTC),
        enqueue_polls=lambda jobs: fanout.send_batches(world.sqs, settings.poll_queue_url, jobs),
        continue_later=lambda rest: fanout.send_batches(world.sqs, settings.poll_fanout_queue_url, rest),
    )


# ------------------------------------------------------------------ 4. attribution


class FakePlaylists:
    """Every campaign playlist holds the played tracks (no Spotify, no DynamoDB)."""

    def __init__(self, track_ids: frozenset[str]) -> None:
        self._track_ids = track_ids

    def track_ids(self, playlist_id: str, owner_id: str) -> frozenset[str]:
        return self._track_ids


def attribution_writes(world: World) -> None:
    from soundlink.attribution.service import Attributor, PlayMessage

    now = datetime.now(UTC)
    distinct = world.tracks[:DISTINCT_TRACKS]
    attributor = Attributor(playlists=FakePlaylists(frozenset(distinct)))
    c = world.campaigns
    cases = {
        "1 campaign": ("bench-attr-one", [(c["A1"], now - timedelta(days=2))]),
        "3 campaigns, one owner": (
            "bench-attr-three",
            [
                (c["B1"], now - timedelta(days=3)),
                (c["B2"], now - timedelta(days=2)),
                (c["B3"], now - timedelta(days=1)),
            ],
        ),
    }
    print(
        f"4. DynamoDB writes per attributed play: {PLAYS_PER_LISTENER} plays per listener of {DISTINCT_TRACKS} tracks "
        "(each twice), no context,"
    )
    print("   every track in every campaign playlist. WCU assumes every item <= 1 KB: a transactional write costs")
    print("   2 WCU per item, so WCU = 2 x items (an item over 1 KB would cost 2 per started KB).")
    clients, client_seconds = 0, 0.0
    for name, (account, links) in cases.items():
        store_listener(account, "v1.unused", links, now)
        plays = [
            PlayMessage.parse(
                {
                    "account_id": account,
                    "played_at": (now - timedelta(hours=20) + timedelta(minutes=5 * i)).isoformat(),
                    "track_id": distinct[i % DISTINCT_TRACKS],
                    "track_name": f"Track {i % DISTINCT_TRACKS}",
                    "artists": ["Bench Artist"],
                    "context_uri": None,
                }
            )
            for i in range(PLAYS_PER_LISTENER)
        ]
        rows: list[str] = []
        wcu: list[float] = []
        reads_per_play: list[float] = []
        for label, batch, expected in (
            ("first play (the link's first attribution)", plays[:1], "attributed"),
            ("a track not credited before", plays[1:DISTINCT_TRACKS], "attributed"),
            ("a track credited before", plays[DISTINCT_TRACKS:], "attributed"),
            ("a redelivered play", plays, "duplicate"),
        ):
            world.calls.reset()
            outcomes = Counter(attributor.attribute(play).result for play in batch)
            clients += world.calls.clients_created
            client_seconds += world.calls.client_seconds
            n = len(batch)
            transactions = world.calls.transactions
            items = sum(t["items"] for t in transactions)
            largest = max((t["largest_put"] for t in transactions), default=0)
            other_writes = world.calls.dynamodb_writes() - len(transactions)
            wcu.append(2 * items / n + other_writes / n)
            reads_per_play.append(world.calls.dynamodb_reads() / n)
            sketches = world.calls.puts
            rows.append(
                f"     {label:42s} ({n:2d} plays) TransactWriteItems {len(transactions) / n:.2f}  "
                f"items {items / n:4.1f}  WCU {2 * items / n:5.1f}  other writes {other_writes / n:.2f}  "
                f"(people sketch puts {len(sketches) / n:.2f}, largest ~{max(sketches, default=0)} B)  "
                f"reads {world.calls.dynamodb_reads() / n:.2f}  largest Put ~{largest} B  "
                f"botocore clients created {world.calls.clients_created / n:.2f}  {dict(outcomes)}"
                + ("" if set(outcomes) == {expected} else f"  (expected {expected})")
            )
        print(f"   {name}:")
        print("\n".join(rows))
        if name == "1 campaign":
            record("wcu_per_attributed_play_single", wcu[1])
            record("wcu_per_redelivered_play", wcu[3])
            record("reads_per_attributed_play", reads_per_play[1])
            together = together_writes(world, attributor, c["A1"], now, distinct)
            record("wcu_per_attributed_play", together)
            print(f"     ten plays of ten tracks arriving together (one SQS batch): WCU {together:5.1f} per play")
    print("   Note: a redelivered play's transaction is cancelled by the play guard's condition after the whole")
    print("   transaction was sent; per AWS docs a cancelled transaction still consumes write capacity for its")
    print("   items, so its WCU is what each redelivery costs (nothing is written twice).")
    print("   'largest Put' is the attribution item's size estimated from the request (names + values).")
    print("   A people sketch put is 1 WCU here (a few listeners: each kept as a 4-byte hash); a campaign with")
    print("   more than ~380 listeners on one UTC day holds a ~2.1 KB sketch for that day: 3 WCU per put, still")
    print("   once per listener and day, and less often as the day fills (an add that changes no register is")
    print("   not written).")
    print(
        f"   botocore clients created in this section: {clients} in {client_seconds * 1000:.0f} ms "
        f"({client_seconds * 1000 / max(clients, 1):.1f} ms each, this machine; transactions share one connection"
    )
    print("   per container, so this stays at the few clients a container makes once).")


def together_writes(world: World, attributor: Any, campaign: Any, now: datetime, tracks: list[str]) -> float:
    """Write units per play when a listener's ten plays of one campaign arrive in one batch."""
    from soundlink.attribution.service import PlayMessage

    account = "bench-attr-together"
    store_listener(account, "v1.unused", [(campaign, now - timedelta(days=2))], now)
    plays = [
        PlayMessage.parse(
            {
                "account_id": account,
                "played_at": (now - timedelta(hours=20) + timedelta(minutes=5 * i)).isoformat(),
                "track_id": tracks[i % len(tracks)],
                "track_name": f"Track {i}",
                "artists": ["Bench Artist"],
                "context_uri": None,
            }
        )
        for i in range(10)
    ]
    world.calls.reset()
    outcomes = Counter(outcome.result for outcome in attributor.attribute_all(plays))
    assert outcomes == Counter({"attributed": 10}), outcomes
    items = sum(t["items"] for t in world.calls.transactions)
    return (2 * items + world.calls.dynamodb_writes() - len(world.calls.transactions)) / len(plays)


# ------------------------------------------------------------------ 5. click recording


def click_writes(world: World) -> None:
    """Write units per recorded click: record_clicks' writes for the clicks, plus count_clicks'
    for the stream records they made (its transaction: the checkpoint and the coalesced counters).

    Three cases: one click alone (the only one in its stream batch), a batch of ten (one SQS batch,
    its ten stream records counted together) and ten SQS batches whose hundred stream records
    one count_clicks batch holds (its batching window collects them when clicks are frequent)."""
    import boto3

    import count_clicks.app as counter
    import record_clicks.app as recorder
    from local.streams import read_all
    from tests.support.events import FakeContext

    campaign = world.campaigns["A1"]
    sample = json.loads((ROOT / "events" / "sqs" / "record-clicks.json").read_text())["Records"][0]
    streams = boto3.client("dynamodbstreams")
    stream_arn = boto3.client("dynamodb").describe_table(TableName=os.environ["EVENTS_TABLE"])["Table"][
        "LatestStreamArn"
    ]
    seen: set[str] = set()

    def new_records() -> list[dict[str, Any]]:
        with world.calls.uncounted():  # Lambda reads the stream; DynamoDB does not bill those reads
            fresh = [r for r in read_all(streams, stream_arn) if r["eventID"] not in seen]
        seen.update(r["eventID"] for r in fresh)
        return fresh

    def event(first: int, n: int) -> dict[str, Any]:
        records = []
        for i in range(first, first + n):
            body = {
                **json.loads(sample["body"]),
                "id": f"{i:032x}",
                "campaign_id": campaign.id,
                "owner_id": campaign.owner_id,
                "at": datetime.now(UTC).isoformat(),
                "visitor": f"{i + 7:032x}",
            }
            records.append({**sample, "messageId": str(uuid.uuid4()), "body": json.dumps(body)})
        return {"Records": records}

    recorder.handler(event(0, 1), FakeContext())  # warm-up: tomorrow's visitor secret, the first write
    counter.handler({"Records": new_records()}, FakeContext())
    print("5. DynamoDB write units per recorded click (each click a new visitor, a page view):")
    first = 1
    last: dict[str, Any] = {}
    for label, figure, batches, size in (
        ("one click alone", "wru_per_click_single", 1, 1),
        ("a batch of ten", "wru_per_click", 1, 10),
        ("ten batches of ten, counted together", "wru_per_click_stream_batch_100", 10, 10),
    ):
        n = batches * size
        world.calls.reset()
        failures = []
        for _ in range(batches):
            last = event(first, size)
            failures += recorder.handler(last, FakeContext())["batchItemFailures"]
            first += size
        recorded = world.calls.dynamodb_writes()
        answer = counter.handler({"Records": new_records()}, FakeContext())
        transactions = world.calls.transactions
        items = sum(t["items"] for t in transactions)
        plain = world.calls.dynamodb_writes() - len(transactions)
        wru = (2 * items + plain) / n
        record(figure, round(wru, 2))
        if figure == "wru_per_click":  # the raw clicks looked up first, the checkpoint before the transaction
            record("rru_per_click", round(world.calls.read_units / n, 2))
        print(
            f"   {label:38s} record_clicks writes {recorded / n:.2f}  count_clicks transactions "
            f"{len(transactions)} of {items} items  WRU {wru:5.2f} per click  reads "
            f"{world.calls.dynamodb_reads() / n:.2f}  failures {failures or None} / "
            f"{answer['batchItemFailures'] or None}"
        )
    world.calls.reset()
    again = recorder.handler(last, FakeContext())  # the last batch, delivered again
    print(
        f"   a redelivered batch of ten: writes {world.calls.dynamodb_writes()}  reads "
        f"{world.calls.dynamodb_reads()} ({dict(world.calls.ops)})  failures {again['batchItemFailures'] or None}"
    )
    print("   (a transactional write costs 2 WRU per item of <= 1 KB; a plain write 1; reading the stream is free)")


# ------------------------------------------------------------------ main


def main(*, smoke: bool = False) -> None:
    global IDLE_POLLS, KMS_POLLS, PACED_POLLS, FANOUT_DUE
    if smoke:  # a check that the bench still runs: small sizes, figures not kept
        IDLE_POLLS, KMS_POLLS, PACED_POLLS, FANOUT_DUE = 5, 50, 50, 60
    os.environ.update(ENV)
    from moto import mock_aws

    from local.spotify_emulator import start_emulator

    started = time.perf_counter()
    calls = Calls()
    sections = (idle_poll, kms_per_poll, fan_out_requests, attribution_writes, click_writes)
    # Printed in that order, run in this one: moto copies every table for each transaction,
    # so the transaction-heavy attribution runs while the tables are still small.
    run_order = (attribution_writes, click_writes, idle_poll, kms_per_poll, fan_out_requests)
    printed: dict[Callable[[World], None], str] = {}
    seconds: dict[str, int] = {}
    with start_emulator(port=0, rate_limit=1_000_000) as emulator, mock_aws(config=MOTO_CONFIG):
        copy_each_table_once()
        world = build_world(emulator, calls)
        uninstall = install_counter(calls)
        try:
            for section in run_order:
                section_started = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    section(world)
                printed[section] = out.getvalue()
                seconds[section.__name__] = round(time.perf_counter() - section_started)
        finally:
            uninstall()
    print("\n\n".join(printed[section].rstrip("\n") for section in sections))
    print(f"\n(bench ran in {time.perf_counter() - started:.0f} s; seconds per section: {seconds})")


if __name__ == "__main__":
    main(smoke="--smoke" in sys.argv)
