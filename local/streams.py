"""DynamoDB stream event sources: deliver a table's stream records to functions like Lambda's pollers.

Each `DynamoDB` event of a function (SAM) reads its stream's shards (moto's
DynamoDB Streams: GetShardIterator, GetRecords) from `StartingPosition`, in
batches of up to `BatchSize` records, and invokes the function with Lambda's
DynamoDB event. Then, as Lambda:
- the function fails: the same batch is delivered again, from its first
  record, up to `MaximumRetryAttempts` times (-1: until it succeeds); past
  them the batch is skipped and logged (Lambda would send its description to
  the on-failure destination);
- it succeeds: the shard moves past the batch, or, with
  `FunctionResponseTypes: [ReportBatchItemFailures]`, up to the record its
  `batchItemFailures` names, from which the next delivery starts.
`FilterCriteria` are not evaluated here: functions must ignore records they
do not want (count_clicks does), which AWS then does not deliver at all.

The pollers have the SQS pollers' interface (local/queues.py), so the
background loop and `drain` deliver both.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local.functions import Functions, FunctionSpec, function_events
from local.logs import get_logger

log = get_logger("streams")


@dataclass(frozen=True)
class StreamSource:
    name: str
    function: str
    stream_arn: str
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    report_batch_item_failures: bool = False
    maximum_retry_attempts: int = -1
    enabled: bool = True

    @property
    def queue_name(self) -> str:  # what the shared loop logs a source by
        return "stream " + self.stream_arn.split("/")[1] if "/" in self.stream_arn else self.stream_arn


def stream_sources_from_stack(stack: Any, functions: Mapping[str, FunctionSpec]) -> list[StreamSource]:
    """Every DynamoDB stream event source of the stack whose function runs locally."""
    sources = []
    for event in function_events(functions, "DynamoDB"):
        props = event.properties
        arn = str(props.get("Stream", ""))
        if not arn.startswith("arn:"):
            log.warning("%s.%s: stream %s is not in the stack; not delivered", event.function, event.name, arn)
            continue
        sources.append(
            StreamSource(
                name=f"{event.function}.{event.name}",
                function=event.function,
                stream_arn=arn,
                batch_size=int(props.get("BatchSize", 100)),
                starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                enabled=str(props.get("Enabled", "true")).lower() != "false",
            )
        )
    return sources


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda's DynamoDB event holds it (times as Unix seconds)."""
    change = dict(record.get("dynamodb") or {})
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", ""),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def read_all(client: Any, stream_arn: str) -> list[dict[str, Any]]:
    """Every record of every shard of the stream, oldest first, as Lambda's event records (tests, bench)."""
    records = []
    for shard in client.describe_stream(StreamArn=stream_arn)["StreamDescription"].get("Shards", []):
        iterator = client.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while True:
            answer = client.get_records(ShardIterator=iterator, Limit=1000)
            records += [lambda_record(record, stream_arn) for record in answer.get("Records", [])]
            if not answer.get("Records"):
                break
            iterator = answer["NextShardIterator"]
    return records


class StreamPoller:
    """Delivers one source's records, shard by shard; counts what it processed and what failed."""

    def __init__(self, source: StreamSource, functions: Functions, client: Any) -> None:
        self.source = source
        self.functions = functions
        self.client = client
        self.processed = 0
        self.failed = 0
        self.concurrency = 1  # one batch of a shard at a time, as Lambda (ParallelizationFactor 1)
        self._after: dict[str, str | None] = {}  # shard -> last sequence number delivered
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.chaos = None  # the SQS pollers' fault injection does not apply to streams

    def _shards(self) -> list[str]:
        described = self.client.describe_stream(StreamArn=self.source.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in described.get("Shards", [])]

    def _read(self, shard: str, limit: int) -> list[dict[str, Any]]:
        # StartingPosition LATEST is read as TRIM_HORIZON: the local stream starts with the stack.
        after = self._after.get(shard)
        arguments: dict[str, Any] = {"StreamArn": self.source.stream_arn, "ShardId": shard}
        if after is None:
            arguments["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            arguments.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        iterator = self.client.get_shard_iterator(**arguments)["ShardIterator"]
        return self.client.get_records(ShardIterator=iterator, Limit=limit).get("Records", [])

    def deliver_once(self, *, wait_for_window: bool = True, stop: threading.Event | None = None) -> int:
        """One batch of each shard with records waiting; returns how many records were delivered."""
        delivered = 0
        with self._lock:
            for shard in self._shards():
                if stop is not None and stop.is_set():
                    break
                records = self._read(shard, self.source.batch_size)
                if records:
                    delivered += len(records)
                    self._deliver(shard, records)
        return delivered

    def _deliver(self, shard: str, records: list[dict[str, Any]]) -> None:
        event = {"Records": [lambda_record(record, self.source.stream_arn) for record in records]}
        invocation = self.functions.invoke(self.source.function, event, source=self.source.queue_name)
        sequences = [record["dynamodb"]["SequenceNumber"] for record in records]
        resume = None
        if invocation.ok and self.source.report_batch_item_failures:
            failures = (invocation.payload or {}).get("batchItemFailures") or []
            named = [str(failure.get("itemIdentifier")) for failure in failures if isinstance(failure, dict)]
            resume = min((s for s in named if s in sequences), key=int, default=None)
        if invocation.ok and resume is None:
            self._after[shard] = sequences[-1]
            self._attempts.pop(shard, None)
            self.processed += len(records)
            log.info("%s -> %s: %d records, all processed", self.source.queue_name, self.source.function, len(records))
            return
        if resume is not None:  # processed up to the failed record; the next batch starts there
            index = sequences.index(resume)
            self.processed += index
            if index:
                self._after[shard] = sequences[index - 1]
                self._attempts.pop(shard, None)
                return
        attempts = self._attempts.get(shard, 0) + 1
        self._attempts[shard] = attempts
        self.failed += len(records)
        limit = self.source.maximum_retry_attempts
        if 0 <= limit < attempts:
            log.error(
                "%s -> %s: the batch %s..%s failed %d times; skipped (Lambda's on-failure destination names it)",
                self.source.queue_name,
                self.source.function,
                sequences[0],
                sequences[-1],
                attempts,
            )
            self._after[shard] = sequences[-1]
            self._attempts.pop(shard, None)
            return
        log.warning(
            "%s -> %s: %d records failed; delivered again from %s",
            self.source.queue_name,
            self.source.function,
            len(records),
            sequences[0],
        )

    def deliver_some(self, *, wait_for_window: bool = True, stop: threading.Event | None = None) -> int:
        return self.deliver_once(wait_for_window=wait_for_window, stop=stop)

    def pending(self) -> int:
        """Records not delivered yet (at most one batch's worth is looked at per shard)."""
        with self._lock:
            return sum(len(self._read(shard, self.source.batch_size)) for shard in self._shards())
