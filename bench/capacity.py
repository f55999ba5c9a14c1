"""How far one deployment goes: listeners followed at the base cadence, the fan-out at scale,
Spotify calls per listener a day against fixed 2-minute polling.

- Capacity: poll_user's event source runs at most MaximumConcurrency invocations
  (template.yaml) of BatchSize polls each, side by side; a poll takes its
  measured time (bench/pipeline.py, against moto and the emulator) plus Spotify's
  latency (an assumption, bench/prices.py) plus DynamoDB's. Listeners followed at
  the 5-minute cadence = concurrency x 300 s / seconds per poll.
- Spotify's rate limit is not published (a rolling 30-second window, NOTES.md). Past it,
  Spotify answers 429 with Retry-After: the poller records one fleet-wide back-off
  marker and reschedules every listener it meets until then, so polls slow down for
  everyone (the cadence's 25-minute ceiling keeps at most 50 plays between polls
  only while the back-off is shorter than that).
- Fan-out: the real soundlink.polling.fanout.fan_out over 1,000 / 10,000 / 100,000 due
  listeners, with DynamoDB's Query and SQS's SendMessageBatch answered in memory and
  counted (moto's SQS slows with every message queued: 100,000 would take hours).
  The requests per listener must stay flat.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bench import prices
from bench.costs import polls_per_day
from bench.results import record

BASE_SECONDS = 300


def _poll_source() -> tuple[int, int]:
    """(MaximumConcurrency, BatchSize) of poll_user's SQS event source in template.yaml."""
    from local.cfn import cached_template

    resources = cached_template()["Resources"]
    for resource in resources.values():
        if resource.get("Properties", {}).get("Handler") != "poll_user.app.handler":
            continue
        for event in resource["Properties"]["Events"].values():
            if event["Type"] == "SQS":
                props = event["Properties"]
                return int(props["ScalingConfig"]["MaximumConcurrency"]), int(props["BatchSize"])
    raise LookupError("poll_user has no SQS event source in template.yaml")


def listeners_followed(figures: dict[str, float]) -> float:
    concurrency, batch = _poll_source()
    db_calls = figures["dynamodb_reads_per_idle_poll"] + figures["dynamodb_writes_per_idle_poll"]
    seconds = (figures["poll_cpu_ms"] + prices.SPOTIFY_MS + db_calls * prices.DYNAMODB_MS) / 1000
    # Each invocation polls its batch side by side (poll_user/app.py): concurrency x batch at a time.
    followed = concurrency * batch * BASE_SECONDS / seconds
    print(
        f"  poll_user: MaximumConcurrency {concurrency}, BatchSize {batch} polled side by side; "
        f"a poll takes {seconds * 1000:.0f} ms "
        f"({figures['poll_cpu_ms']:.0f} measured + {prices.SPOTIFY_MS:.0f} Spotify (assumed) + "
        f"{db_calls:.1f} DynamoDB calls x {prices.DYNAMODB_MS:.0f})"
    )
    print(f"  listeners followed at the {BASE_SECONDS // 60}-minute cadence: {followed:,.0f}")
    return followed


def fan_out_requests(due_listeners: int) -> dict[str, int]:
    """AWS requests of a schedule run and its continuations for `due_listeners` due listeners."""
    from soundlink.listeners.links import POLL_SHARDS, poll_shard
    from soundlink.polling import fanout

    shards: dict[int, list[str]] = {shard: [] for shard in range(POLL_SHARDS)}
    for i in range(due_listeners):
        account = f"due-{i:07d}"
        shards[poll_shard(account)].append(account)
    counted: Counter[str] = Counter()

    def due(shard: int, now: datetime, start: dict | None, limit: int) -> tuple[list[str], dict | None]:
        counted["dynamodb:Query"] += 1  # a page holds <= 1 MB: 1,000 account ids of ~60 bytes fit
        offset = int(start["offset"]) if start else 0
        found = shards[shard][offset : offset + limit]
        more = {"offset": offset + len(found)} if offset + len(found) < len(shards[shard]) else None
        return found, more

    class Sqs:
        def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            counted["sqs:SendMessageBatch"] += 1
            return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    sqs, pending, queued = Sqs(), [fanout.every_shard()], 0

    def continue_later(rest: list[dict[str, Any]]) -> None:
        fanout.send_batches(sqs, "fan-out", rest)  # one message each: the fan-out source's BatchSize is 1
        pending.extend([item] for item in rest)

    original = fanout.due
    fanout.due = due  # type: ignore[assignment]
    try:
        while pending:
            counted["lambda:invocation"] += 1
            queued += fanout.fan_out(
                pending.pop(0),
                now=datetime.now(UTC),
                enqueue_polls=lambda jobs: fanout.send_batches(sqs, "polls", jobs),
                continue_later=continue_later,
            )
    finally:
        fanout.due = original  # type: ignore[assignment]
    assert queued == due_listeners, (queued, due_listeners)
    return dict(counted)


def measure(figures: dict[str, float], *, smoke: bool = False) -> None:
    print("Capacity")
    record("listeners_followed_at_5min", round(listeners_followed(figures)))
    sizes = (1_000, 10_000) if smoke else (1_000, 10_000, 100_000)
    print("  fan-out requests per due listener (DynamoDB Query + SQS sends + Lambda invocations):")
    for size in sizes:
        counted = fan_out_requests(size)
        per = sum(counted.values()) / size
        print(f"    {size:>7,d} due   {per:.4f} per listener   {counted}")
        record(f"fanout_requests_per_listener_at_{size}", round(per, 4))
    quiet, active = polls_per_day(active=False), polls_per_day(active=True)
    mix = 0.2 * active + 0.8 * quiet
    record("spotify_calls_per_listener_day", round(mix, 1))
    record("spotify_calls_per_listener_day_fixed_2min", 24 * 60 // 2)
    print(
        f"  Spotify calls per listener a day: {mix:.1f} (20 % active at {active}, 80 % quiet at {quiet}) "
        f"vs {24 * 60 // 2} polling every 2 minutes"
    )
