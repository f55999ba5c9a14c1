"""schedule_polls' fan-out (soundlink/polling/fanout.py) against moto: due listeners, continuations, SQS batches."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import botocore.client
import pytest

from soundlink.listeners.links import POLL_SHARDS, ListenerStatus, poll_index_keys, poll_shard
from soundlink.platform.tables import ListenerItem
from soundlink.polling import fanout
from soundlink.polling.fanout import BATCH, NotQueued, due, every_shard, fan_out, send_batches

NOW = datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)
US = timedelta(microseconds=1)


@pytest.fixture
def sqs_calls(monkeypatch):
    """Every SQS request made through botocore: operation names, in order."""
    calls: list[tuple[str, dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        if self.meta.service_model.service_name == "sqs":
            calls.append((operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return calls


def listener_item(account_id: str, next_poll_at: datetime | None) -> ListenerItem:
    item = ListenerItem(
        *ListenerItem.key(account_id),
        account_id=account_id,
        spotify_user_id=f"user-{account_id}",
        status=ListenerStatus.ACTIVE.value if next_poll_at else ListenerStatus.IDLE.value,
        tokens="v1.sealed",
        scopes="user-read-recently-played",
        connected_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
    )
    if next_poll_at is not None:
        item.next_poll_at = next_poll_at
        item.gsi1pk, item.gsi1sk = poll_index_keys(account_id, next_poll_at)
    return item


def store(*pairs: tuple[str, datetime | None]) -> None:
    with ListenerItem.batch_write() as batch:
        for account_id, when in pairs:
            batch.save(listener_item(account_id, when))


def accounts_in(shard: int, count: int, prefix: str = "acct") -> list[str]:
    """`count` account ids that land in `shard`."""
    found = []
    i = 0
    while len(found) < count:
        candidate = f"{prefix}-{i:05d}"
        if poll_shard(candidate) == shard:
            found.append(candidate)
        i += 1
    return found


def all_due(now: datetime) -> dict[int, list[str]]:
    return {shard: due(shard, now, None, 1000)[0] for shard in range(POLL_SHARDS)}


# ------------------------------------------------------------------------ due


def test_the_schedule_reads_every_shard_once():
    assert every_shard() == [{"shard": shard} for shard in range(POLL_SHARDS)]


@pytest.mark.parametrize("now", [NOW, NOW.replace(microsecond=0)], ids=["with-microseconds", "whole-second"])
def test_due_is_next_poll_at_or_before_now_across_shards(tables, now):
    shards = [0, 5, 15]
    expected: dict[int, list[str]] = {}
    for shard in shards:
        early, exact, late, later, idle = accounts_in(shard, 5, prefix=f"s{shard}")
        store(
            (early, now - timedelta(hours=1)),
            (exact, now),  # equal to now: due
            (late, now + US),  # one microsecond later: not due
            (later, now + timedelta(minutes=5)),
            (idle, None),  # out of the index
        )
        expected[shard] = [early, exact]
    # A listener due one microsecond before now, in another shard.
    (just_before,) = accounts_in(9, 1, prefix="s9")
    store((just_before, now - US))
    expected[9] = [just_before]

    found = all_due(now)

    assert {shard: accounts for shard, accounts in found.items() if accounts} == expected
    # One microsecond later, the `late` listeners are due too, oldest first.
    later = all_due(now + US)
    for shard in shards:
        assert later[shard] == [*expected[shard], accounts_in(shard, 5, prefix=f"s{shard}")[2]]


def test_due_returns_the_oldest_first(tables):
    ids = accounts_in(3, 4)
    times = [NOW - timedelta(minutes=m) for m in (1, 30, 10, 20)]
    store(*zip(ids, times, strict=True))
    accounts, rest = due(3, NOW, None, 10)
    assert accounts == [ids[1], ids[3], ids[2], ids[0]]
    assert rest is None


def test_due_honours_the_limit_and_continues_where_it_stopped(tables):
    ids = accounts_in(7, 5)
    store(*((account, NOW - timedelta(minutes=10 - i)) for i, account in enumerate(ids)))

    first, key = due(7, NOW, None, 2)
    assert first == ids[:2] and key is not None
    key = json.loads(json.dumps(key))  # it travels in an SQS message
    second, key = due(7, NOW, key, 2)
    assert second == ids[2:4] and key is not None
    third, key = due(7, NOW, key, 2)
    assert third == ids[4:]
    assert key is None


def test_due_with_exactly_limit_items_left_ends_with_an_empty_page(tables):
    ids = accounts_in(2, 4)
    store(*((account, NOW - timedelta(minutes=10 - i)) for i, account in enumerate(ids)))
    seen = []
    key = None
    pages = 0
    while True:
        accounts, key = due(2, NOW, key, 2)
        seen += accounts
        pages += 1
        if key is None:
            break
    assert seen == ids
    assert pages <= 3


def test_an_empty_shard_has_nothing_due(tables):
    assert due(11, NOW, None, 10) == ([], None)


# --------------------------------------------------------------------- fan_out


def test_fan_out_queues_one_job_per_due_listener_and_continues_past_the_invocation_limit(tables, monkeypatch):
    monkeypatch.setattr(fanout, "MAX_PER_INVOCATION", 3)
    ids = accounts_in(4, 7)
    not_due = accounts_in(4, 8)[7]
    store(*((account, NOW - timedelta(minutes=10 - i)) for i, account in enumerate(ids)), (not_due, NOW + US))

    jobs: list[list[dict]] = []
    continuations: list[dict] = []
    work = [{"shard": 4}]
    counts = []
    for _ in range(10):
        before = len(continuations)
        counts.append(fan_out(work, now=NOW, enqueue_polls=jobs.append, continue_later=continuations.extend))
        if len(continuations) == before:
            break
        message = json.loads(json.dumps(continuations[-1]))  # through SQS
        assert message["shard"] == 4
        work = [message]

    assert counts == [3, 3, 1]
    assert [len(batch) for batch in jobs] == [3, 3, 1]
    assert [job for batch in jobs for job in batch] == [{"account_id": account} for account in ids]
    assert len(continuations) == 2


def test_fan_out_with_nothing_due_queues_nothing(tables):
    store((accounts_in(6, 1)[0], NOW + timedelta(seconds=1)))
    jobs, continuations = [], []
    assert fan_out([{"shard": 6}], now=NOW, enqueue_polls=jobs.append, continue_later=continuations.extend) == 0
    assert jobs == [] and continuations == []


def test_fan_out_only_reads_its_own_shard(tables):
    (mine,) = accounts_in(1, 1)
    (other,) = accounts_in(2, 1)
    store((mine, NOW), (other, NOW))
    jobs: list[list[dict]] = []
    fan_out([{"shard": 1}], now=NOW, enqueue_polls=jobs.append, continue_later=lambda rest: None)
    assert jobs == [[{"account_id": mine}]]


# ---------------------------------------------------------------- send_batches


def test_twenty_five_bodies_take_three_batches_and_arrive_intact(aws, sqs_calls):
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="soundlink-test-polls")["QueueUrl"]
    sqs_calls.clear()
    bodies = [{"account_id": f"acct-{i}", "n": i} for i in range(25)]

    assert send_batches(sqs, queue_url, bodies) == 3

    assert [name for name, _ in sqs_calls] == ["SendMessageBatch"] * 3
    assert [len(params["Entries"]) for _, params in sqs_calls] == [BATCH, BATCH, 5]
    received = []
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        if not answer.get("Messages"):
            break
        received += [message["Body"] for message in answer["Messages"]]
    assert sorted(received, key=lambda body: json.loads(body)["n"]) == [
        json.dumps(body, separators=(",", ":")) for body in bodies
    ]


def test_no_bodies_make_no_request(aws, sqs_calls):
    assert send_batches(boto3.client("sqs", region_name="us-east-1"), "https://queue.invalid/none", []) == 0
    assert sqs_calls == []


class FakeSqs:
    """send_message_batch answering with scripted failures, one script entry per call."""

    def __init__(self, *scripts: dict[str, bool]) -> None:
        self.scripts = list(scripts)  # {entry id: sender fault?}
        self.calls: list[list[dict]] = []

    def send_message_batch(self, *, QueueUrl, Entries):
        self.calls.append([dict(entry) for entry in Entries])
        script = self.scripts.pop(0) if self.scripts else {}
        failed = [
            {"Id": entry["Id"], "SenderFault": script[entry["Id"]], "Code": "X", "Message": "scripted"}
            for entry in Entries
            if entry["Id"] in script
        ]
        answer = {"Successful": [{"Id": e["Id"]} for e in Entries if e["Id"] not in script]}
        if failed:
            answer["Failed"] = failed
        return answer


def test_entries_sqs_failed_on_its_side_are_sent_again_alone():
    sqs = FakeSqs({"1": False, "3": False})
    bodies = [{"n": i} for i in range(5)]

    assert send_batches(sqs, "queue", bodies) == 2

    first, second = sqs.calls
    assert [entry["Id"] for entry in first] == ["0", "1", "2", "3", "4"]
    assert second == [first[1], first[3]]
    assert [json.loads(entry["MessageBody"]) for entry in second] == [{"n": 1}, {"n": 3}]


def test_entries_that_keep_failing_raise_not_queued_after_four_attempts():
    sqs = FakeSqs(*({"0": False} for _ in range(10)))
    with pytest.raises(NotQueued):
        send_batches(sqs, "queue", [{"n": 0}, {"n": 1}])
    assert len(sqs.calls) == 4
    assert [len(call) for call in sqs.calls] == [2, 1, 1, 1]


def test_a_sender_fault_raises_not_queued_at_once():
    sqs = FakeSqs({"0": False, "1": True})
    with pytest.raises(NotQueued):
        send_batches(sqs, "queue", [{"n": i} for i in range(15)])
    assert len(sqs.calls) == 1  # neither retried nor the next chunk sent


def test_a_failure_in_a_later_chunk_retries_only_that_chunk():
    sqs = FakeSqs({}, {"4": False})
    assert send_batches(sqs, "queue", [{"n": i} for i in range(15)]) == 3
    assert [len(call) for call in sqs.calls] == [10, 5, 1]
    assert json.loads(sqs.calls[2][0]["MessageBody"]) == {"n": 14}


# ------------------------------------------------------------------ SQS cost


def test_a_thousand_due_listeners_cost_at_most_110_sqs_requests(tables, sqs_calls):
    sqs = boto3.client("sqs", region_name="us-east-1")
    poll_queue = sqs.create_queue(QueueName="soundlink-test-polls")["QueueUrl"]
    fanout_queue = sqs.create_queue(QueueName="soundlink-test-fanout")["QueueUrl"]
    accounts = [f"listener-{i:04d}" for i in range(1000)]
    store(*((account, NOW - timedelta(seconds=i)) for i, account in enumerate(accounts)))
    sqs_calls.clear()

    # The schedule reads every shard; what one invocation leaves goes on as continuations.
    pending = [every_shard()]
    queued = 0
    while pending:
        work = pending.pop()
        queued += fan_out(
            work,
            now=NOW,
            enqueue_polls=lambda jobs: send_batches(sqs, poll_queue, jobs),
            continue_later=lambda rest: (
                pending.extend([item] for item in rest),
                send_batches(sqs, fanout_queue, rest),
            ),
        )

    assert queued == 1000
    operations = Counter(name for name, _ in sqs_calls)
    assert set(operations) == {"SendMessageBatch"}
    jobs = [
        json.loads(entry["MessageBody"])["account_id"]
        for _, params in sqs_calls
        if params["QueueUrl"] == poll_queue
        for entry in params["Entries"]
    ]
    assert sorted(jobs) == accounts  # one job each, none twice
    assert len(sqs_calls) <= 110, f"{len(sqs_calls)} SQS requests for 1,000 due listeners"


def test_one_invocation_pools_shards_and_hands_the_rest_on(tables, monkeypatch):
    monkeypatch.setattr(fanout, "MAX_PER_INVOCATION", 4)
    store(*((account, NOW) for account in accounts_in(0, 3)), *((account, NOW) for account in accounts_in(1, 3)))
    jobs: list[list[dict]] = []
    rest: list[dict] = []
    assert fan_out(every_shard(), now=NOW, enqueue_polls=jobs.append, continue_later=rest.extend) == 4
    assert len(jobs) == 1 and len(jobs[0]) == 4  # one pooled list: full batches across shards
    assert rest[0]["shard"] == 1 and "start" in rest[0]  # shard 1's remainder, from where it stopped
    assert [item["shard"] for item in rest[1:]] == list(range(2, POLL_SHARDS))  # shards not reached
