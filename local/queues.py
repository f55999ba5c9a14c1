"""SQS event sources: deliver queued messages to functions like Lambda's pollers.

Each SQS event of a function (SAM `SQS` events and
`AWS::Lambda::EventSourceMapping` resources) gets a poller that receives up to
`BatchSize` messages, waiting up to `MaximumBatchingWindowInSeconds` to fill
a batch, and invokes the function with Lambda's SQS event. Then, as Lambda:
- the function fails (error, timeout, crash): no message is deleted;
- it succeeds: every message is deleted, except, with
  `FunctionResponseTypes: [ReportBatchItemFailures]`, the ones its
  `batchItemFailures` names (an invalid answer fails the whole batch).
Messages left behind come back after the queue's visibility timeout, and
SQS (moto) moves them to the dead-letter queue after `maxReceiveCount`
receives.

Batches of one source go one at a time while the queue is short. When a
receive comes back full (a backlog), the source scales up as Lambda's SQS
poller does: up to `ScalingConfig.MaximumConcurrency` batches at once, never
more than the function's local workers (one at a time without a
`MaximumConcurrency`, as before).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from local.chaos import DeliveryChaos
from local.functions import Functions, FunctionSpec, function_events
from local.logs import get_logger

log = get_logger("sqs")

POLL_INTERVAL_SECONDS = 0.25
_SYSTEM_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


@dataclass(frozen=True)
class SqsSource:
    name: str
    function: str
    queue_arn: str
    queue_url: str
    batch_size: int = 10
    batching_window: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True
    maximum_concurrency: int | None = None

    @property
    def queue_name(self) -> str:
        return self.queue_arn.rsplit(":", 1)[-1]


def sqs_sources_from_stack(stack: Any, functions: Mapping[str, FunctionSpec]) -> list[SqsSource]:
    """Every SQS event source of the stack whose function runs locally (`functions` by logical id)."""
    queues = {resource.attributes.get("Arn"): resource for resource in stack.of_type("AWS::SQS::Queue").values()}
    found: list[tuple[str, str, dict[str, Any], str]] = [
        (f"{event.function}.{event.name}", event.function, event.properties, str(event.properties.get("Queue", "")))
        for event in function_events(functions, "SQS")
    ]
    names = {}
    for function_id, spec in functions.items():
        names[spec.name] = names[spec.arn] = function_id
    for logical_id, resource in stack.of_type("AWS::Lambda::EventSourceMapping").items():
        props = resource.properties
        function_id = names.get(str(props.get("FunctionName", "")))
        if function_id and str(props.get("EventSourceArn", "")) in queues:
            found.append((logical_id, function_id, props, str(props["EventSourceArn"])))

    sources = []
    for name, function_id, props, queue_arn in found:
        queue = queues.get(queue_arn)
        if queue is None:
            log.warning("%s: queue %s is not in the stack; not delivered", name, queue_arn)
            continue
        window = props.get("MaximumBatchingWindowInSeconds", 0)
        scaling = props.get("ScalingConfig") or {}
        maximum = scaling.get("MaximumConcurrency") if isinstance(scaling, dict) else None
        sources.append(
            SqsSource(
                name=name,
                function=function_id,
                queue_arn=queue_arn,
                queue_url=str(queue.ref),
                batch_size=int(props.get("BatchSize", 10)),
                batching_window=float(window),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                enabled=str(props.get("Enabled", "true")).lower() != "false",
                maximum_concurrency=int(maximum) if maximum is not None else None,
            )
        )
    return sources


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of Lambda's SQS event."""
    attributes = message.get("Attributes") or {}
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        item: dict[str, Any] = {}
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        item["stringListValues"] = value.get("StringListValues") or []
        item["binaryListValues"] = [base64.b64encode(v).decode() for v in value.get("BinaryListValues") or []]
        item["dataType"] = value.get("DataType", "String")
        message_attributes[name] = item
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {key: attributes[key] for key in _SYSTEM_ATTRIBUTES if key in attributes},
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def failed_message_ids(payload: Any, batch_ids: set[str]) -> set[str] | None:
    """The ids a partial batch response reports as failed; None when the answer fails the whole batch."""
    if payload is None:
        return set()
    if not isinstance(payload, dict):
        return None
    failures = payload.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            return None
        failed.add(identifier)
    return failed


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"


class SqsPoller:
    """Delivers one source's messages; counts what it processed and what failed."""

    def __init__(self, source: SqsSource, functions: Functions, client: Any, region: str, concurrency: int = 1) -> None:
        self.source = source
        self.functions = functions
        self.client = client
        self.region = region
        self.processed = 0
        self.failed = 0
        self.concurrency = max(1, concurrency)
        # At most `concurrency` batches at a time, whether from the poller or a drain.
        self.slots = threading.BoundedSemaphore(self.concurrency)
        self._counts = threading.Lock()
        self.chaos: DeliveryChaos | None = None  # tests and `make soak` only (local/chaos.py)

    def _receive(self, count: int) -> list[dict[str, Any]]:
        return self.client.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def deliver_once(self, *, wait_for_window: bool = True, stop: threading.Event | None = None) -> int:
        """Receive and deliver one batch; returns how many messages it held (0: none visible)."""
        with self.slots:
            messages = self._receive(self.source.batch_size)
            if not messages:
                return 0
            if wait_for_window and self.source.batching_window > 0:
                deadline = time.monotonic() + self.source.batching_window
                while len(messages) < self.source.batch_size and time.monotonic() < deadline:
                    more = self._receive(self.source.batch_size - len(messages))
                    messages.extend(more)
                    if more:
                        continue
                    if stop is None:
                        time.sleep(0.1)
                    elif stop.wait(0.1):
                        break
            else:
                while len(messages) < self.source.batch_size:
                    more = self._receive(self.source.batch_size - len(messages))
                    if not more:
                        break
                    messages.extend(more)
            if stop is not None and stop.is_set():
                # Shutting down: undelivered, the messages come back after their visibility timeout.
                return len(messages)
            self._deliver(messages)
            return len(messages)

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        chaos = self.chaos
        crash_after = None
        if chaos is not None:
            messages = chaos.order(messages)
            crash_after = chaos.crash_after(messages)
        records = [sqs_record(message, self.source.queue_arn, self.region) for message in messages]
        invocation = self.functions.invoke(
            self.source.function, {"Records": records[:crash_after]}, source=f"sqs {self.source.queue_name}"
        )
        ids = {record["messageId"] for record in records}
        if crash_after is not None:
            failed, reason = ids, f"the function crashed after {crash_after} of them (injected)"
        elif not invocation.ok:
            failed: set[str] = ids
            reason = "the function failed"
        elif self.source.report_batch_item_failures:
            reported = failed_message_ids(invocation.payload, ids)
            if reported is None:
                failed, reason = ids, "its batchItemFailures answer is invalid, so the whole batch failed"
            else:
                failed, reason = reported, "reported in batchItemFailures"
        else:
            failed, reason = set(), ""
        done = [message for message in messages if message["MessageId"] not in failed]
        kept = chaos.keep(done) if chaos is not None else []
        if kept:  # a lost delete: SQS delivers these again
            done = [message for message in done if message not in kept]
        back = [message for message in messages if message not in done]
        if chaos is not None and chaos.retry_now and back:
            for start in range(0, len(back), 10):
                entries = [
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                    for index, message in enumerate(back[start : start + 10])
                ]
                self.client.change_message_visibility_batch(QueueUrl=self.source.queue_url, Entries=entries)
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(done[start : start + 10])
            ]
            self.client.delete_message_batch(QueueUrl=self.source.queue_url, Entries=entries)
        with self._counts:
            self.processed += len(done)
            self.failed += len(failed)
        if failed:
            log.warning(
                "%s -> %s: %s, %d failed (%s); they return after the visibility timeout",
                self.source.queue_name,
                self.source.function,
                _records(len(records)),
                len(failed),
                reason,
            )
        else:
            log.info(
                "%s -> %s: %s, all processed", self.source.queue_name, self.source.function, _records(len(records))
            )

    def deliver_some(self, *, wait_for_window: bool = True, stop: threading.Event | None = None) -> int:
        """One batch; after a full one (a backlog), `concurrency` batches at once. Returns the messages."""
        delivered = self.deliver_once(wait_for_window=wait_for_window, stop=stop)
        if delivered < self.source.batch_size or self.concurrency == 1 or (stop is not None and stop.is_set()):
            return delivered
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"sqs-{self.source.name}") as pool:
            batches = pool.map(
                lambda _: self.deliver_once(wait_for_window=wait_for_window, stop=stop), range(self.concurrency)
            )
            return delivered + sum(batches)

    def pending(self) -> int:
        """Messages still in the queue: visible, in flight or delayed."""
        # moto counts visible and in-flight messages one after the other: a
        # message whose visibility timeout ends between the two counts is in
        # neither. A second look cannot miss it (it is visible by then).
        return self._count_messages() or self._count_messages()

    def _count_messages(self) -> int:
        attributes = self.client.get_queue_attributes(
            QueueUrl=self.source.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())


def _concurrency(source: SqsSource, functions: Functions) -> int:
    """Batches of `source` at once: its MaximumConcurrency, within the function's local workers."""
    if not source.maximum_concurrency:
        return 1
    runtime = functions.find(source.function)
    workers = runtime.max_workers if runtime is not None else 1
    return max(1, min(source.maximum_concurrency, workers))


class EventSources:
    """Every SQS poller of the stack (and its stream pollers), polling in the background or drained on demand."""

    def __init__(
        self,
        sources: list[SqsSource],
        functions: Functions,
        client_for: Callable[[], Any],
        region: str,
        stream_pollers: list[Any] | None = None,
    ):
        # Stream pollers (local/streams.py) share this loop and the drain: same interface.
        self.pollers: list[Any] = [
            SqsPoller(source, functions, client_for(), region, concurrency=_concurrency(source, functions))
            for source in sources
            if source.enabled and source.function in functions
        ] + list(stream_pollers or [])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _poll(self, poller: SqsPoller) -> None:
        while not self._stop.is_set():
            try:
                delivered = poller.deliver_some(stop=self._stop)
            except Exception:
                log.exception("polling %s failed", poller.source.queue_name)
                delivered = 0
            if not delivered:
                self._stop.wait(POLL_INTERVAL_SECONDS)

    def set_chaos(self, chaos: DeliveryChaos | None) -> None:
        """Misdeliver from now on as `chaos` says (None: deliver as SQS and Lambda normally do)."""
        for poller in self.pollers:
            poller.chaos = chaos

    def start(self) -> None:
        for poller in self.pollers:
            thread = threading.Thread(target=self._poll, args=(poller,), name=f"sqs-{poller.source.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        """Pollers and drains end after their current batch; `stop` waits for them."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Signal every poller, then wait for them all within one `timeout`."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("%s did not stop within %.0fs", thread.name, timeout)
        self._threads.clear()

    def drain(self, timeout: float = 60.0, wait_for_retries: bool = True) -> dict[str, Any]:
        """Deliver until every source queue is empty (or `timeout`); returns counts.

        With `wait_for_retries`, failed messages are waited for until they
        succeed or SQS moves them to their dead-letter queue; without, the
        drain ends when no message is visible. Batching windows are not
        waited for. Counts include what background polling delivered meanwhile.
        Stopping the event sources ends a drain early, with `"stopped": true`.
        """
        processed = sum(poller.processed for poller in self.pollers)
        failed = sum(poller.failed for poller in self.pollers)
        deadline = time.monotonic() + timeout
        remaining = 0
        timed_out = True
        while time.monotonic() < deadline and not self._stop.is_set():
            delivered = sum(poller.deliver_some(wait_for_window=False, stop=self._stop) for poller in self.pollers)
            if delivered:
                continue
            remaining = sum(poller.pending() for poller in self.pollers)
            if remaining == 0 or not wait_for_retries:
                timed_out = False
                break
            self._stop.wait(0.1)
        else:
            if self._stop.is_set():
                # Shutting down: moto may be gone already, so no count of what is left.
                timed_out = False
            else:
                remaining = sum(poller.pending() for poller in self.pollers)
        result = {
            "processed": sum(poller.processed for poller in self.pollers) - processed,
            "failed": sum(poller.failed for poller in self.pollers) - failed,
            "remaining": remaining,
            "timed_out": timed_out,
        }
        if self._stop.is_set():
            result["stopped"] = True
        return result
