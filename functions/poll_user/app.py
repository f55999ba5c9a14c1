"""Poll queue → one listener's recently played tracks → the play queue (SQS, partial batch responses).

The batch's listeners are polled at the same time (a thread each): a poll mostly
waits for Spotify, and Lambda bills the invocation's duration, so five polls
side by side cost about what one costs. A job that fails (AWS unavailable) is
reported alone and retried by SQS, then parked in the dead-letter queue. A 429
or an unavailable Spotify (5xx, timeouts) is not a failure: the listener is
rescheduled after Retry-After (a minute when Spotify sent none) and every
poller waits (back-off marker), so the job is never burned toward the DLQ.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.polling.fanout import send_batches
from soundlink.polling.poller import Poller, PollOutcome
from soundlink.spotify.credentials import spotify_config
from soundlink.tokens.cipher import TokenCipher

settings = get_settings()
bind_tables(settings)
processor = BatchProcessor(event_type=EventType.SQS)
sqs = boto3.client("sqs", region_name=settings.region)
_context: dict[str, LambdaContext] = {}


@lru_cache(maxsize=1)
def _cipher() -> TokenCipher:
    return TokenCipher(boto3.client("kms", region_name=settings.region), settings.token_key_arn)


def _remaining_ms() -> int:
    context = _context.get("current")
    return context.get_remaining_time_in_millis() if context else 60_000


poller = Poller(
    cipher=_cipher,
    spotify_config=lambda: spotify_config(settings),
    send_plays=lambda bodies: send_batches(sqs, settings.play_queue_url, bodies),
    base_interval=timedelta(seconds=settings.poll_interval_seconds),
    now=lambda: datetime.now(UTC),
    remaining_ms=_remaining_ms,
)


def _poll(account_id: str) -> PollOutcome | Exception:
    try:
        return poller.poll(account_id)
    except Exception as error:  # noqa: BLE001 - reported on the listener's records, which SQS retries
        return error


def _poll_all(records: list[SQSRecord]) -> dict[str, PollOutcome | Exception]:
    """Each record's outcome: every listener of the batch polled once, all at the same time."""
    accounts: dict[str, str | Exception] = {}
    for record in records:
        try:
            accounts[record.message_id] = str(json.loads(record.body)["account_id"])
        except (ValueError, KeyError, TypeError) as error:  # never valid: SQS parks it in the DLQ
            accounts[record.message_id] = error
    distinct = sorted({account for account in accounts.values() if isinstance(account, str)})
    with ThreadPoolExecutor(max_workers=max(1, len(distinct))) as pool:
        polled = dict(zip(distinct, pool.map(_poll, distinct), strict=True))
    return {
        message_id: account if isinstance(account, Exception) else polled[account]
        for message_id, account in accounts.items()
    }


def _report(outcomes: dict[str, PollOutcome | Exception], record: SQSRecord) -> None:
    outcome = outcomes[record.message_id]
    if isinstance(outcome, Exception):
        raise outcome
    logger.info(
        "poll", extra={"result": outcome.result, "plays": outcome.plays_fetched, "queued": outcome.plays_queued}
    )
    metrics.add_metric(name="PlaysFetched", unit=MetricUnit.Count, value=outcome.plays_fetched)
    metrics.add_metric(name="PlaysQueued", unit=MetricUnit.Count, value=outcome.plays_queued)
    if outcome.possible_gap:
        metrics.add_metric(name="PossibleGaps", unit=MetricUnit.Count, value=1)
    if outcome.result == "rate_limited":
        metrics.add_metric(name="SpotifyThrottles", unit=MetricUnit.Count, value=1)
    if outcome.result == "spotify_unavailable":
        metrics.add_metric(name="SpotifyUnavailable", unit=MetricUnit.Count, value=1)
    if outcome.result in ("reauth_required", "not_allowlisted"):
        metrics.add_metric(name="RefreshFailures", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    _context["current"] = context
    outcomes = _poll_all([SQSRecord(raw) for raw in event.get("Records", [])])
    return process_partial_response(
        event=event, record_handler=partial(_report, outcomes), processor=processor, context=context
    )
