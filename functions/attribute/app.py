"""Play queue → attributions and counters, exactly once (SQS, partial batch responses).

The batch's plays are attributed together first (one listener's plays for one owner in
one transaction, counters summed); then each record is reported: a play whose write
failed is returned to SQS alone, the others are kept.

A play credited to a campaign that measures fans queues that listener's re-check of
the library (poll_user holds the token), at most once a day per listener and campaign.
If the re-checks cannot be queued, their plays are returned to SQS: redelivered, they
are duplicates that queue the re-check again, so none is dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.attribution.fans_jobs import Credited, rechecks_due
from soundlink.attribution.playlists import PlaylistTracks
from soundlink.attribution.service import Attributor, Outcome, PlayMessage
from soundlink.platform import coldstart
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.polling.fanout import send_batches

if TYPE_CHECKING:
    from soundlink.spotify.config import SpotifyConfig
    from soundlink.tokens.cipher import TokenCipher

settings = get_settings()
bind_tables(settings)
processor = BatchProcessor(event_type=EventType.SQS)
sqs = boto3.client("sqs", region_name=settings.region)


# Spotify is called only to refresh a campaign playlist (PlaylistTracks.REFRESH): its cipher,
# credentials and HTTP client load then, not at every cold start (requests and cryptography).
@lru_cache(maxsize=1)
def _cipher() -> TokenCipher:
    from soundlink.tokens.cipher import TokenCipher

    return TokenCipher(boto3.client("kms", region_name=settings.region), settings.token_key_arn)


def _spotify_config() -> SpotifyConfig:
    from soundlink.spotify.credentials import spotify_config

    return spotify_config(settings)


attributor = Attributor(
    playlists=PlaylistTracks(cipher=_cipher, spotify_config=_spotify_config, now=lambda: datetime.now(UTC))
)


def _parse(record: SQSRecord) -> PlayMessage | Exception:
    try:
        return PlayMessage.parse(json.loads(record.body))
    except (ValueError, KeyError, TypeError) as error:
        # A malformed message never becomes valid: it fails, so SQS parks it in the DLQ.
        logger.error("play message is not valid", extra={"message_id": record.message_id, "error": str(error)})
        return error


def _measures_fans(campaign_id: str) -> bool:
    campaign = attributor.campaign(campaign_id)
    return campaign is not None and campaign.measure_fans


def _queue_rechecks(plays: dict[str, PlayMessage], outcomes: dict[str, Outcome | Exception]) -> None:
    """Queue the fans re-checks the batch's credited plays call for; on failure, their plays fail."""
    credited = {
        message_id: [
            Credited(play.account_id, campaign_id, play.played_at, play.track_id, play.artist_ids)
            for campaign_id in outcome.campaign_ids
        ]
        for message_id, play in plays.items()
        if isinstance(outcome := outcomes[message_id], Outcome) and outcome.campaign_ids
    }
    if not credited:
        return
    try:
        for message_id in list(credited):
            credited[message_id] = [c for c in credited[message_id] if _measures_fans(c.campaign_id)]
            if not credited[message_id]:
                del credited[message_id]
        jobs = rechecks_due([c for entries in credited.values() for c in entries], lambda _id: True, datetime.now(UTC))
        if jobs:
            send_batches(sqs, settings.poll_queue_url, [job.message() for job in jobs])
    except Exception as error:  # noqa: BLE001 - the plays come back as duplicates and queue them again
        logger.warning("fans re-checks not queued; their plays are retried", extra={"error": str(error)})
        for message_id in credited:
            outcomes[message_id] = error


def _report(outcomes: dict[str, Outcome | Exception], record: SQSRecord) -> None:
    outcome = outcomes[record.message_id]
    if isinstance(outcome, Exception):
        raise outcome
    if outcome.result == "attributed":
        metrics.add_metric(name="PlaysAttributed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="Attributions", unit=MetricUnit.Count, value=outcome.campaigns)
    elif outcome.result == "duplicate":
        metrics.add_metric(name="PlaysRedelivered", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="PlaysDropped", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    records = [SQSRecord(raw) for raw in event.get("Records", [])]
    parsed = {record.message_id: _parse(record) for record in records}
    plays = {message_id: play for message_id, play in parsed.items() if isinstance(play, PlayMessage)}
    outcomes: dict[str, Outcome | Exception] = {k: v for k, v in parsed.items() if isinstance(v, Exception)}
    outcomes.update(zip(plays, attributor.attribute_all(list(plays.values())), strict=True))
    _queue_rechecks(plays, outcomes)
    return process_partial_response(
        event=event, record_handler=partial(_report, outcomes), processor=processor, context=context
    )


coldstart.done()  # the end of init (begun in __init__.py)
