"""Play queue → attributions and counters, exactly once (SQS, partial batch responses).

The batch's plays are attributed together first (one listener's plays for one owner in
one transaction, counters summed); then each record is reported: a play whose write
failed is returned to SQS alone, the others are kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache, partial

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.attribution.playlists import PlaylistTracks
from soundlink.attribution.service import Attributor, Outcome, PlayMessage
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.spotify.credentials import spotify_config
from soundlink.tokens.cipher import TokenCipher

settings = get_settings()
bind_tables(settings)
processor = BatchProcessor(event_type=EventType.SQS)


@lru_cache(maxsize=1)
def _cipher() -> TokenCipher:
    return TokenCipher(boto3.client("kms", region_name=settings.region), settings.token_key_arn)


attributor = Attributor(
    playlists=PlaylistTracks(
        cipher=_cipher, spotify_config=lambda: spotify_config(settings), now=lambda: datetime.now(UTC)
    )
)


def _parse(record: SQSRecord) -> PlayMessage | Exception:
    try:
        return PlayMessage.parse(json.loads(record.body))
    except (ValueError, KeyError, TypeError) as error:
        # A malformed message never becomes valid: it fails, so SQS parks it in the DLQ.
        logger.error("play message is not valid", extra={"message_id": record.message_id, "error": str(error)})
        return error


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
    return process_partial_response(
        event=event, record_handler=partial(_report, outcomes), processor=processor, context=context
    )
