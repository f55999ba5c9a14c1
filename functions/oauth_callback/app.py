"""Public consent pages: GET /oauth/callback (listener consent, owner connection,
listener disconnect), GET /privacy and GET /privacy/disconnect."""

from __future__ import annotations

from functools import lru_cache

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pynamodb.exceptions import PynamoDBException

from soundlink.callback import CallbackRequest, ConsentCallback
from soundlink.models import bind_tables
from soundlink.observability import logger, metrics, tracer
from soundlink.pages import Page, redirect
from soundlink.privacy import disconnect_intro, privacy_page
from soundlink.settings import get_settings
from soundlink.spotify import SpotifyAccounts, SpotifyClient
from soundlink.spotify_app import spotify_config
from soundlink.token_cipher import TokenCipher
from soundlink.tracking import consent

settings = get_settings()
bind_tables(settings)


@lru_cache(maxsize=1)
def _cipher() -> TokenCipher:
    return TokenCipher(boto3.client("kms", region_name=settings.region), settings.token_key_arn)


@lru_cache(maxsize=1)
def _dynamodb():
    return boto3.client("dynamodb", region_name=settings.region)


callback = ConsentCallback(
    settings,
    accounts=lambda: SpotifyAccounts(spotify_config(settings)),
    client=lambda tokens: SpotifyClient(spotify_config(settings), tokens),
    cipher=_cipher,
    dynamodb=_dynamodb,
)


def _api_url(event: dict) -> str:
    return settings.public_api_url or f"https://{event['requestContext'].get('domainName', '')}"


def _callback(event: dict) -> dict:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    request = CallbackRequest(
        query=event.get("queryStringParameters") or {},
        cookies=event.get("cookies") or [],
        user_agent=headers.get("user-agent", ""),
        source_ip=event["requestContext"]["http"].get("sourceIp", ""),
        headers=headers,
        api_url=_api_url(event),
    )
    response, outcome = callback.handle(request)
    logger.info("oauth callback", extra={"purpose": outcome.purpose, "result": outcome.result})
    metrics.add_metric(name=f"Consent_{outcome.purpose or 'unknown'}_{outcome.result}", unit=MetricUnit.Count, value=1)
    return response


def _disconnect(event: dict) -> dict:
    api_url = _api_url(event)
    if (event.get("queryStringParameters") or {}).get("confirm") != "yes":
        return disconnect_intro(api_url).response()
    try:
        started = consent.start(
            consent.Purpose.DISCONNECT,
            now=consent.utcnow(),
            settings=settings,
            api_url=api_url,
            show_dialog=True,  # the listener sees which account they are proving
        )
    except (PynamoDBException, ValueError) as error:
        logger.error("could not start a disconnect", extra={"error": str(error)})
        return Page(503, "Please try again", ("Soundlink could not start the disconnection just now.",)).response()
    return redirect(started.authorize_url, cookies=[started.cookie] if started.cookie else None)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    route = event.get("routeKey", "")
    if route.endswith(" /oauth/callback"):
        return _callback(event)
    if route.endswith(" /privacy/disconnect"):
        return _disconnect(event)
    if route.endswith(" /privacy"):
        return privacy_page(_api_url(event), settings.click_retention_days).response()
    return Page(404, "Not found", ("There is nothing here.",)).response()
