"""A message parked in a dead-letter queue goes back to its source queue (scripts/redrive_dlq.py)
and is processed by the drain; the DLQ is then empty."""

from __future__ import annotations

import json

import pytest

from local.chaos import dead_letter_queues, dead_letters
from scripts import redrive_dlq

pytestmark = pytest.mark.slow


def test_a_dead_letter_is_redriven_and_processed(local_cloud, capsys):
    sqs = local_cloud.client("sqs")
    poll_dlq = next(url for url in dead_letter_queues(sqs) if url.endswith("PollDeadLetters"))
    # A poll job of a listener who no longer exists: harmless once delivered ("gone").
    sqs.send_message(QueueUrl=poll_dlq, MessageBody=json.dumps({"account_id": "nobody-redriven"}))
    assert dead_letters(sqs)[poll_dlq.rsplit("/", 1)[-1]] == 1

    assert redrive_dlq.main(["PollDeadLetters", "--endpoint", local_cloud.moto_url]) == 0
    assert "1 message(s) moved back" in capsys.readouterr().out

    drained = local_cloud.drain_queues()
    assert drained["processed"] >= 1 and drained["remaining"] == 0
    assert not any(dead_letters(sqs).values())


def test_every_dead_letter_queue_is_counted_also_a_stream_source_s(local_cloud):
    """The ground-truth run and the load run require every dead-letter queue empty: the click
    stream's on-failure destination is one, though no queue redrives to it."""
    sqs = local_cloud.client("sqs")
    names = set(dead_letters(sqs))
    assert {name.rsplit("-", 1)[-1] for name in names} >= {
        "ClickDeadLetters",
        "ClickCountDeadLetters",
        "PollFanoutDeadLetters",
        "PollDeadLetters",
        "PlayDeadLetters",
    }
    assert not any(url.endswith("ClickCountDeadLetters") for url in dead_letter_queues(sqs))  # nothing to redrive
