"""Misbehaviour on demand for the local cloud: SQS's at-least-once delivery played out in
full (shuffled batches, duplicates, a function crashing mid-batch) and AWS faults
(local.faults, in front of moto). Tests and `make soak` use it; `make dev` never does.

Dead-letter queues: `dead_letters(cloud)` counts what waits in each, and `redrive`
moves a dead-letter queue's messages back to the queue they came from
(`python -m scripts.redrive_dlq`, README "Reliability").
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class DeliveryChaos:
    """How an SQS event source misdelivers, seeded. Each message suffers at most one
    misdelivery of its own (a crash or a lost delete), so chaos alone never sends one to
    its dead-letter queue.

    - `shuffle`: every batch arrives in a random order (with `max_batch` small, plays of
      one listener arrive out of order across batches too);
    - `duplicate_rate`: a processed message's delete is lost, so SQS delivers it again;
    - `crash_rate`: the function runs on part of the batch, then crashes: Lambda fails the
      whole batch and SQS delivers all of it again;
    - `retry_now`: messages left behind come back at once rather than after the queue's
      visibility timeout (the run's clock is compressed; receive counts still rise).
    """

    seed: int = 0
    shuffle: bool = True
    duplicate_rate: float = 0.0
    crash_rate: float = 0.0
    retry_now: bool = True
    crash_first: bool = True  # the first batch of two or more crashes whatever the rate
    counts: Counter[str] = field(default_factory=Counter)
    _marked: set[str] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible chaos, not secrets

    def order(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._lock:
            if self.shuffle and len(messages) > 1:
                messages = list(messages)
                self._random.shuffle(messages)
                self.counts["shuffled_batches"] += 1
            return messages

    def crash_after(self, messages: list[dict[str, Any]]) -> int | None:
        """How many of the batch run before the crash (None: no crash)."""
        with self._lock:
            fresh = [m for m in messages if m["MessageId"] not in self._marked]
            if len(messages) < 2 or len(fresh) < len(messages):
                return None
            certain = self.crash_first and not self.counts["crashes"]
            if not certain and self._random.random() >= self.crash_rate:
                return None
            self._marked.update(m["MessageId"] for m in messages)
            self.counts["crashes"] += 1
            self.counts["redelivered"] += len(messages)
            return self._random.randint(1, len(messages) - 1)

    def keep(self, done: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Of the processed messages, those whose delete is 'lost' (delivered again)."""
        kept = []
        with self._lock:
            for message in done:
                if message["MessageId"] in self._marked or self._random.random() >= self.duplicate_rate:
                    continue
                self._marked.add(message["MessageId"])
                kept.append(message)
            self.counts["duplicates"] += len(kept)
            self.counts["redelivered"] += len(kept)
        return kept


def inject_aws_faults(moto_url: str, plan: dict[str, Any] | None) -> dict[str, Any]:
    """Set (or with None, stop) the moto server's fault plan; returns what the previous plan injected."""
    url = f"{moto_url}/_faults"
    answer = requests.post(url, json=plan, timeout=10) if plan is not None else requests.delete(url, timeout=10)
    answer.raise_for_status()
    return answer.json()


def aws_fault_summary(moto_url: str) -> dict[str, Any]:
    answer = requests.get(f"{moto_url}/_faults", timeout=10)
    answer.raise_for_status()
    return answer.json()


def dead_letter_queues(sqs: Any) -> dict[str, str]:
    """{dead-letter queue URL: its source queue URL}, from the source queues' redrive policies."""
    import json

    urls = sqs.list_queues().get("QueueUrls", [])
    arns = {
        sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]: u for u in urls
    }
    found = {}
    for url in urls:
        policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        if "RedrivePolicy" in policy:
            target = json.loads(policy["RedrivePolicy"])["deadLetterTargetArn"]
            if target in arns:
                found[arns[target]] = url
    return found


def dead_letters(sqs: Any) -> dict[str, int]:
    """{dead-letter queue name: messages waiting in it}: the queues' redrive targets, and the queues
    named ...DeadLetters that are no queue's redrive target (a stream source's on-failure
    destination, ClickCountDeadLetters: its batches are counted again by scripts.recount_clicks)."""
    counts = {}
    named = [url for url in sqs.list_queues().get("QueueUrls", []) if url.endswith("DeadLetters")]
    for url in dict.fromkeys([*dead_letter_queues(sqs), *named]):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        counts[url.rsplit("/", 1)[-1]] = sum(int(value) for value in attributes.values())
    return counts


def redrive(sqs: Any, dead_letter_url: str, *, limit: int = 100_000) -> int:
    """Move every message of a dead-letter queue back to its source queue; returns how many."""
    source = dead_letter_queues(sqs)[dead_letter_url]
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(
            QueueUrl=dead_letter_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return moved
        entries = [
            {
                "Id": str(i),
                "MessageBody": m["Body"],
                **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {}),
            }
            for i, m in enumerate(messages)
        ]
        sqs.send_message_batch(QueueUrl=source, Entries=entries)
        sqs.delete_message_batch(
            QueueUrl=dead_letter_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        moved += len(messages)
    return moved
