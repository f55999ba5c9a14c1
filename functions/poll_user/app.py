"""Poll queue → one listener's recently played tracks → the play queue (SQS, partial batch responses).

The batch's listeners are polled at the same time (a thread each): a poll mostly
waits for Spotify, and Lambda bills the invocation's duration, so five polls
side by side cost about what one costs. A job that fails (AWS unavailable) is
reported alone and retried by SQS, then parked in the dead-letter queue. A 429
or an unavailable Spotify (5xx, timeouts) is not a failure: the listener is
rescheduled after Retry-After (a minute when Spotify sent none) and every
poller waits (back-off marker), so the job is never burned toward the DLQ.

The same queue carries fans checks (``kind: "fans"``, polling/fans_checks.py):
they need the listener's token, as a poll does. A listener's poll and checks
of one batch run one after the other in the listener's thread, so two token
refreshes of one listener never race.
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

from soundlink.attribution.fans_jobs import FansJob, is_fans_message
from soundlink.attribution.playlists import PlaylistTracks
from soundlink.platform import coldstart
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.polling.fanout import send_batches
from soundlink.polling.fans_checks import CheckOutcome, FansChecker
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


def _send_job(body: dict, delay_seconds: int) -> None:
    sqs.send_message(QueueUrl=settings.poll_queue_url, MessageBody=json.dumps(body), DelaySeconds=delay_seconds)


poller = Poller(
    cipher=_cipher,
    spotify_config=lambda: spotify_config(settings),
    send_plays=lambda bodies: send_batches(sqs, settings.play_queue_url, bodies),
    base_interval=timedelta(seconds=settings.poll_interval_seconds),
    now=lambda: datetime.now(UTC),
    remaining_ms=_remaining_ms,
    send_jobs=lambda bodies: send_batches(sqs, settings.poll_queue_url, bodies),
)
checker = FansChecker(
    cipher=_cipher,
    spotify_config=lambda: spotify_config(settings),
    playlists=PlaylistTracks(
        cipher=_cipher, spotify_config=lambda: spotify_config(settings), now=lambda: datetime.now(UTC)
    ),
    send_job=_send_job,
    now=lambda: datetime.now(UTC),
    remaining_ms=_remaining_ms,
)
Result = PollOutcome | CheckOutcome | Exception


def _parse(record: SQSRecord) -> tuple[str, FansJob | None] | Exception:
    """The record's listener, and its fans check if it is one (None: a poll)."""
    try:
        body = json.loads(record.body)
        if is_fans_message(body):
            job = FansJob.parse(body)
            return job.account_id, job
        return str(body["account_id"]), None
    except (ValueError, KeyError, TypeError) as error:  # never valid: SQS parks it in the DLQ
        return error


def _listener(account_id: str, poll: bool, jobs: list[tuple[str, FansJob]]) -> dict[str, Result]:
    """One listener's poll (once, however many records asked for it), then its fans checks."""
    results: dict[str, Result] = {}
    if poll:
        try:
            results[""] = poller.poll(account_id)
        except Exception as error:  # noqa: BLE001 - reported on the listener's records, which SQS retries
            results[""] = error
    for message_id, job in jobs:
        try:
            results[message_id] = checker.check(job)
        except Exception as error:  # noqa: BLE001 - this check alone is retried by SQS
            results[message_id] = error
    return results


def _poll_all(records: list[SQSRecord]) -> dict[str, Result]:
    """Each record's outcome: every listener of the batch polled once, all at the same time."""
    parsed = {record.message_id: _parse(record) for record in records}
    polls: set[str] = set()
    jobs: dict[str, list[tuple[str, FansJob]]] = {}
    for message_id, entry in parsed.items():
        if isinstance(entry, Exception):
            continue
        account, job = entry
        if job is None:
            polls.add(account)
        else:
            jobs.setdefault(account, []).append((message_id, job))
    distinct = sorted(polls | set(jobs))
    with ThreadPoolExecutor(max_workers=max(1, len(distinct))) as pool:
        done = dict(
            zip(
                distinct,
                pool.map(lambda account: _listener(account, account in polls, jobs.get(account, [])), distinct),
                strict=True,
            )
        )
    outcomes: dict[str, Result] = {}
    for message_id, entry in parsed.items():
        if isinstance(entry, Exception):
            outcomes[message_id] = entry
        else:
            account, job = entry
            outcomes[message_id] = done[account][message_id if job else ""]
    return outcomes


def _report(outcomes: dict[str, Result], record: SQSRecord) -> None:
    outcome = outcomes[record.message_id]
    if isinstance(outcome, Exception):
        logger.error("job failed; SQS delivers it again", extra={"message_id": record.message_id}, exc_info=outcome)
        raise outcome
    if isinstance(outcome, CheckOutcome):
        logger.info("fans check", extra={"result": outcome.result, "spotify_calls": outcome.spotify_calls})
        metrics.add_metric(name="FansChecks", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="FansSpotifyCalls", unit=MetricUnit.Count, value=outcome.spotify_calls)
        if outcome.result in ("requeued", "reauth_required", "not_allowlisted"):
            metrics.add_metric(name="FansChecksDeferred", unit=MetricUnit.Count, value=1)
        return
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


coldstart.done()  # the end of init (begun in __init__.py)
