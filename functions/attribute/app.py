"""Play queue → attributions and counters, exactly once (SQS, partial batch responses)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.attribution.playlists import PlaylistTracks
from soundlink.attribution.service import Attributor, PlayMessage
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


@tracer.capture_method(capture_response=False)
def attribute(record: SQSRecord) -> None:
    try:
        play = PlayMessage.parse(json.loads(record.body))
    except (ValueError, KeyError, TypeError) as error:
        logger.error("play message is not valid", extra={"message_id": record.message_id, "error": str(error)})
        raise
    outcome = attributor.attribute(play)
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
    return process_partial_response(event=event, record_handler=attribute, processor=processor, context=context)
