"""record_clicks against moto: stored clicks, first visits and counters, exactly once."""

from __future__ import annotations

import importlib
import json
import random
import sys
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from soundlink.platform.counters import COUNTER_NAMES, COUNTER_SHARDS, shard_of
from soundlink.platform.settings import get_settings
from soundlink.tracking.classify import ClickKind
from soundlink.tracking.clicks import Click
from soundlink.tracking.recording import Recorded, record_click
from tests.support.click_stream import count_stream
from tests.support.counter_names import counter_name
from tests.support.events import FakeContext

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

# Events on fixed past days, counted as if as they happened (no late writes: test_rollups.py).
pytestmark = pytest.mark.usefixtures("writes_on_time")
AT = datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC)
CAMPAIGN = "6f1c1e1a-3b7a-4c55-9a61-2f0f8a9d1c01"
VISITOR = "0123456789abcdef0123456789abcdef"
NETWORK = "8.8.8.0"  # a public /24 whose country the offline database knows (US)
RETENTION = 90


def human(**fields) -> Click:
    values = {
        "id": uuid.uuid4().hex,
        "campaign_id": CAMPAIGN,
        "owner_id": "owner-1",
        "at": AT,
        "kind": ClickKind.HUMAN,
        "visitor": VISITOR,
        "referrer": "t.co",
        "utm": {"utm_source": "newsletter", "utm_campaign": "Spring"},
        "user_agent": IPHONE,
        "network": NETWORK,
    }
    values.update(fields)
    return Click(**values)


def machine(kind: ClickKind, **fields) -> Click:
    values = {"id": uuid.uuid4().hex, "campaign_id": CAMPAIGN, "owner_id": "owner-1", "at": AT, "kind": kind}
    values.update(fields)
    return Click(**values)


def via_queue(click: Click) -> Click:
    """The click as record_clicks receives it: through the JSON message."""
    return Click.from_message(json.loads(json.dumps(click.to_message())))


def scan(aws, logical_id: str) -> list[dict]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws[logical_id])
    return sorted(table.scan()["Items"], key=lambda item: (item["pk"], item["sk"]))


def counters(aws, campaign_id: str = CAMPAIGN) -> dict[str, dict[str, int]]:
    """Counters summed over their shards: {"TOTAL": {...}, "HOUR#...": {...}, "DIM#name#value": {...}},
    once count_clicks has counted the click stream (as the local cloud's drain does)."""
    count_stream(aws["EventsTable"])
    summed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in scan(aws, "StatsTable"):
        if item["pk"] != f"CAMPAIGN#{campaign_id}":
            continue
        name, shard = counter_name(item["sk"]), item["sk"].rsplit("#", 1)[1]
        assert 0 <= int(shard) < COUNTER_SHARDS
        for counter, value in item.items():
            if counter in COUNTER_NAMES:
                summed[name][counter] += int(value)
    return {name: dict(values) for name, values in summed.items()}


def snapshot(aws) -> tuple:
    return tuple(json.dumps(scan(aws, name), default=str, sort_keys=True) for name in ("EventsTable", "StatsTable"))


# ------------------------------------------------------------------ a human


def test_a_human_click_stores_the_click_its_visit_and_every_counter(tables):
    click = human()  # a page view (since issue 13 a consent starts from the landing page's connect step)
    assert record_click(via_queue(click), retention_days=RETENTION) is Recorded.UNIQUE

    events = {(item["pk"], item["sk"]): item for item in scan(tables, "EventsTable")}
    stored = events[(f"CAMPAIGN#{CAMPAIGN}", f"CLICK#{AT.isoformat()}#{click.id}")]
    assert stored["click_id"] == click.id and stored["campaign_id"] == CAMPAIGN
    assert stored["kind"] == "human" and stored["unique"] is True and stored["consent_started"] is False
    assert stored["step"] == "view"
    assert stored["visitor"] == VISITOR
    assert stored["dimensions"] == {
        "referrer": "t.co",
        "utm_source": "newsletter",
        "utm_campaign": "Spring",
        "device": "mobile",
        "browser": "Mobile Safari",
        "os": "iOS",
        "country": "US",
    }
    visit = events[(f"VISIT#{CAMPAIGN}#2026-03-01#{VISITOR}", "VISIT")]
    assert int(visit["expires_at"]) == int((AT + timedelta(days=2)).timestamp())
    assert len(events) == 2

    one = {"clicks": 1, "unique_clicks": 1}
    assert counters(tables) == {
        "TOTAL": one,
        "HOUR#2026-03-01T12": one,
        "DAY#2026-03-01": one,
        "DIM#referrer#t.co": one,
        "DIM#utm_source#newsletter": one,
        "DIM#utm_medium#(none)": one,
        "DIM#utm_campaign#Spring": one,
        "DIM#device#mobile": one,
        "DIM#browser#Mobile Safari": one,
        "DIM#os#iOS": one,
        "DIM#country#US": one,
    }
    # One event lands on one shard for every counter it moves.
    assert {item["sk"].rsplit("#", 1)[1] for item in scan(tables, "StatsTable")} == {str(shard_of(click.id))}


def test_cloudfronts_country_wins_over_the_network_and_utm_term_content_are_stored_not_counted(tables):
    click = human(country="DE", utm={"utm_term": "indie", "utm_content": "banner"}, referrer="(direct)")
    record_click(click, retention_days=RETENTION)
    stored = next(item for item in scan(tables, "EventsTable") if item["sk"].startswith("CLICK#"))
    assert stored["dimensions"]["country"] == "DE"
    assert stored["dimensions"]["utm_term"] == "indie" and stored["dimensions"]["utm_content"] == "banner"
    totals = counters(tables)
    assert "DIM#country#DE" in totals and "DIM#country#US" not in totals
    assert not any(name.startswith(("DIM#utm_term", "DIM#utm_content")) for name in totals)
    assert totals["DIM#utm_source#(none)"] == {"clicks": 1, "unique_clicks": 1}


def test_no_country_and_no_network_counts_as_unknown(tables):
    record_click(human(network=None, user_agent=""), retention_days=RETENTION)
    totals = counters(tables)
    assert totals["DIM#country#(unknown)"]["clicks"] == 1
    assert totals["DIM#device#other"]["clicks"] == 1 and totals["DIM#browser#(unknown)"]["clicks"] == 1


def test_the_stored_click_holds_no_ip_network_or_user_agent(tables):
    record_click(human(network="8.8.8.0", user_agent=IPHONE), retention_days=RETENTION)
    record_click(machine(ClickKind.BOT, user_agent="curl/8.5.0", network="8.8.4.0"), retention_days=RETENTION)
    stored = json.dumps([scan(tables, name) for name in ("EventsTable", "StatsTable", "DataTable")], default=str)
    for forbidden in ("8.8.8", "8.8.4", IPHONE, "AppleWebKit", "iPhone OS", "curl/8.5.0", "user_agent", "network"):
        assert forbidden not in stored
    click = next(item for item in scan(tables, "EventsTable") if item.get("kind") == "human")
    assert set(click) == {
        "pk",
        "sk",
        "expires_at",
        "click_id",
        "campaign_id",
        "clicked_at",
        "kind",
        "step",
        "consent_started",
        "unique",
        "visitor",
        "dimensions",
        "counted_from_stream",  # count_clicks counts it from the stream (issue 16)
    }


@pytest.mark.parametrize("days", [1, 30, 90, 365])
def test_retention_sets_expires_at_to_the_click_time_plus_retention_days(tables, days):
    click = human()
    record_click(click, retention_days=days)
    stored = next(item for item in scan(tables, "EventsTable") if item["sk"].startswith("CLICK#"))
    assert int(stored["expires_at"]) == int((AT + timedelta(days=days)).timestamp())
    assert int(stored["expires_at"]) - int(AT.timestamp()) == days * 86_400


# ------------------------------------------------------------- exactly once


@pytest.mark.parametrize("repeat_visitor", [False, True])
def test_the_same_message_recorded_again_changes_nothing(tables, repeat_visitor):
    if repeat_visitor:  # the redelivered click was itself a repeat (not unique) click
        record_click(human(at=AT - timedelta(minutes=5)), retention_days=RETENTION)
    message = via_queue(human())
    first = record_click(message, retention_days=RETENTION)
    assert first is (Recorded.RECORDED if repeat_visitor else Recorded.UNIQUE)
    before = snapshot(tables)
    for _ in range(3):
        assert record_click(via_queue(message), retention_days=RETENTION) is Recorded.DUPLICATE
    assert snapshot(tables) == before


def test_redeliveries_shuffled_with_other_clicks_count_each_click_once(tables):
    clicks = [
        human(),
        human(id=uuid.uuid4().hex, at=AT + timedelta(minutes=1)),  # same visitor: not unique
        human(visitor="f" * 32, user_agent=CHROME_WINDOWS),
        machine(ClickKind.BOT),
        machine(ClickKind.PREFETCH),
    ]
    deliveries = [via_queue(click) for click in clicks for _ in range(3)]
    random.Random(20260301).shuffle(deliveries)  # noqa: S311 - a reproducible order, not a secret
    outcomes = defaultdict(list)
    for message in deliveries:
        outcomes[message.id].append(record_click(message, retention_days=RETENTION))

    for click in clicks:
        first, *again = outcomes[click.id]
        assert first is not Recorded.DUPLICATE
        assert again == [Recorded.DUPLICATE, Recorded.DUPLICATE]
    totals = counters(tables)["TOTAL"]
    assert totals == {"clicks": 3, "unique_clicks": 2, "bot_clicks": 1, "prefetches": 1}
    events = scan(tables, "EventsTable")
    assert sum(item["sk"].startswith("CLICK#") for item in events) == 5
    assert sum(item["sk"] == "VISIT" for item in events) == 2
    assert sum(1 for item in events if item.get("unique") is True) == 2


# --------------------------------------------------------------- uniqueness


def test_a_second_click_of_the_same_visitor_on_the_same_day_is_not_unique(tables):
    assert record_click(human(), retention_days=RETENTION) is Recorded.UNIQUE
    assert record_click(human(at=AT + timedelta(hours=3)), retention_days=RETENTION) is Recorded.RECORDED
    assert record_click(human(visitor="e" * 32), retention_days=RETENTION) is Recorded.UNIQUE
    assert counters(tables)["TOTAL"] == {"clicks": 3, "unique_clicks": 2}
    repeat = next(item for item in scan(tables, "EventsTable") if item.get("unique") is False)
    assert repeat["kind"] == "human"


def test_the_same_visitor_on_another_campaign_is_unique(tables):
    assert record_click(human(), retention_days=RETENTION) is Recorded.UNIQUE
    assert record_click(human(campaign_id="other-campaign"), retention_days=RETENTION) is Recorded.UNIQUE


def test_the_next_utc_day_is_unique_again_at_midnight_exactly(tables):
    late = datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)
    midnight = datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC)
    assert record_click(human(at=late - timedelta(hours=23, minutes=59, seconds=59)), retention_days=1) is (
        Recorded.UNIQUE
    )
    assert record_click(human(at=late), retention_days=1) is Recorded.RECORDED  # still the same day
    assert record_click(human(at=midnight), retention_days=1) is Recorded.UNIQUE
    assert record_click(human(at=midnight + timedelta(seconds=1)), retention_days=1) is Recorded.RECORDED
    totals = counters(tables)
    assert totals["TOTAL"] == {"clicks": 4, "unique_clicks": 2}
    assert totals["HOUR#2026-03-01T23"] == {"clicks": 1}
    assert totals["HOUR#2026-03-02T00"] == {"clicks": 2, "unique_clicks": 1}
    visits = sorted(item["pk"] for item in scan(tables, "EventsTable") if item["sk"] == "VISIT")
    assert visits == [f"VISIT#{CAMPAIGN}#2026-03-01#{VISITOR}", f"VISIT#{CAMPAIGN}#2026-03-02#{VISITOR}"]


def test_the_day_is_the_utc_day_whatever_the_clicks_offset(tables):
    from datetime import timezone

    tokyo = timezone(timedelta(hours=9))
    # 08:30 in Tokyo on March 2nd is 23:30 UTC on March 1st: the same UTC day as AT.
    assert record_click(human(), retention_days=1) is Recorded.UNIQUE
    assert record_click(human(at=datetime(2026, 3, 2, 8, 30, tzinfo=tokyo)), retention_days=1) is Recorded.RECORDED


def test_a_human_click_without_a_visitor_key_is_never_unique(tables):
    assert record_click(human(visitor=None), retention_days=RETENTION) is Recorded.RECORDED
    assert counters(tables)["TOTAL"] == {"clicks": 1}
    assert not any(item["sk"] == "VISIT" for item in scan(tables, "EventsTable"))


# ------------------------------------------------------------ bots, prefetches


@pytest.mark.parametrize(
    ("kind", "counter"), [(ClickKind.BOT, "bot_clicks"), (ClickKind.PREFETCH, "prefetches")], ids=["bot", "prefetch"]
)
def test_a_machine_click_moves_only_its_own_counter(tables, kind, counter):
    click = machine(kind, user_agent="Slackbot-LinkExpanding 1.0", network=NETWORK)
    assert record_click(via_queue(click), retention_days=RETENTION) is Recorded.RECORDED
    assert counters(tables) == {
        "TOTAL": {counter: 1},
        "HOUR#2026-03-01T12": {counter: 1},
        "DAY#2026-03-01": {counter: 1},
    }
    # The stream's checkpoint (COUNTED#) aside: the click and no visit.
    events = [item for item in scan(tables, "EventsTable") if not item["pk"].startswith("COUNTED#")]
    assert len(events) == 1  # no visit
    stored = events[0]
    assert stored["kind"] == kind.value and stored["unique"] is False and stored["consent_started"] is False
    assert "dimensions" not in stored and "visitor" not in stored
    assert record_click(via_queue(click), retention_days=RETENTION) is Recorded.DUPLICATE
    assert counters(tables)["TOTAL"] == {counter: 1}


# ----------------------------------------------------------- the SQS handler


def sqs_record(body: str) -> dict:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle-" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1772368215000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1772368215001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:soundlink-clicks",
        "awsRegion": "us-east-1",
    }


@pytest.fixture
def recorder(aws, monkeypatch):
    monkeypatch.setenv("DATA_TABLE", aws["DataTable"])
    monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
    monkeypatch.setenv("STATS_TABLE", aws["StatsTable"])
    monkeypatch.setenv("CLICK_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    name = "record_clicks.app"
    module = importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)
    yield module
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "bad_body",
    [
        "this is not json",
        "",
        '{"type": "click"',
        "[]",
        "null",
        '{"type": "play"}',
        json.dumps({**human().to_message(), "kind": "alien"}),
        json.dumps({**human().to_message(), "at": "yesterday"}),
        json.dumps({**human().to_message(), "ip": "203.0.113.7"}),
        json.dumps({k: v for k, v in human().to_message().items() if k != "campaign_id"}),
    ],
    ids=[
        "not-json",
        "empty",
        "truncated",
        "list",
        "null",
        "other-type",
        "unknown-kind",
        "bad-time",
        "unknown-field",
        "missing-field",
    ],
)
def test_the_handler_fails_exactly_the_malformed_message(recorder, aws, bad_body):
    good = [human(), machine(ClickKind.BOT)]
    records = [
        sqs_record(json.dumps(good[0].to_message())),
        sqs_record(bad_body),
        sqs_record(json.dumps(good[1].to_message())),
    ]
    result = recorder.handler({"Records": records}, FakeContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    totals = counters(aws)["TOTAL"]
    assert totals == {"clicks": 1, "unique_clicks": 1, "bot_clicks": 1}
    stored = next(item for item in scan(aws, "EventsTable") if item["sk"].startswith("CLICK#"))
    assert int(stored["expires_at"]) - int(AT.timestamp()) == 30 * 86_400  # CLICK_RETENTION_DAYS


def test_the_handler_redelivered_batch_changes_nothing_and_prepares_tomorrows_secret(recorder, aws):
    records = [
        sqs_record(json.dumps(human().to_message())),
        sqs_record(json.dumps(machine(ClickKind.BOT).to_message())),
    ]
    assert recorder.handler({"Records": records}, FakeContext()) == {"batchItemFailures": []}
    before = snapshot(aws)
    assert recorder.handler({"Records": records}, FakeContext()) == {"batchItemFailures": []}
    assert snapshot(aws) == before
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    secrets = [item for item in scan(aws, "DataTable") if item["pk"] == "VISITOR_SECRET"]
    assert [item["sk"] for item in secrets] == [f"DAY#{tomorrow}"]
    assert len(secrets[0]["secret"]) == 64
