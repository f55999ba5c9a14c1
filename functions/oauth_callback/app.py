"""Public consent pages: GET /oauth/callback (listener consent, owner connection,
listener disconnect), GET /privacy, GET /privacy/disconnect and GET /owner/spotify/start
(the owner's one-time ticket, opened in the owner's browser)."""

from __future__ import annotations

import json
from functools import lru_cache

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pynamodb.exceptions import PynamoDBException

from soundlink.campaigns import owner_spotify
from soundlink.consent.callback import CallbackRequest, ConsentCallback
from soundlink.consent.privacy import disconnect_intro, privacy_page
from soundlink.platform import coldstart
from soundlink.platform.i18n import for_request
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.pages import Page, redirect
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.credentials import spotify_config
from soundlink.tokens.cipher import TokenCipher
from soundlink.tracking import oauth_state
from soundlink.tracking.classify import ClickKind, classify
from soundlink.tracking.origin import Origin

settings = get_settings()
bind_tables(settings)
origin = Origin(settings)


@lru_cache(maxsize=1)
def _cipher() -> TokenCipher:
    return TokenCipher(boto3.client("kms", region_name=settings.region), settings.token_key_arn)


@lru_cache(maxsize=1)
def _dynamodb():
    return boto3.client("dynamodb", region_name=settings.region)


@lru_cache(maxsize=1)
def _sqs():
    return boto3.client("sqs", region_name=settings.region)


def _queue_poll(account_id: str) -> None:
    _sqs().send_message(QueueUrl=settings.poll_queue_url, MessageBody=json.dumps({"account_id": account_id}))


def _queue_job(body: dict) -> None:
    _sqs().send_message(QueueUrl=settings.poll_queue_url, MessageBody=json.dumps(body))


callback = ConsentCallback(
    settings,
    accounts=lambda: SpotifyAccounts(spotify_config(settings)),
    client=lambda tokens: SpotifyClient(spotify_config(settings), tokens),
    cipher=_cipher,
    dynamodb=_dynamodb,
    queue_poll=_queue_poll,
    queue_job=_queue_job,
)


def _api_url(event: dict) -> str:
    return settings.public_api_url or f"https://{event['requestContext'].get('domainName', '')}"


def _headers(event: dict) -> dict[str, str]:
    return {name.lower(): value for name, value in (event.get("headers") or {}).items()}


def _callback(event: dict) -> dict:
    headers = _headers(event)
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
    headers = _headers(event)
    language, translations = for_request(headers)
    intro = disconnect_intro(api_url, translations, language)
    confirmed = (event.get("queryStringParameters") or {}).get("confirm") == "yes"
    # A link preview or crawler that follows ?confirm=yes gets the page and starts nothing.
    if not confirmed or classify(event["requestContext"]["http"]["method"], headers) is not ClickKind.HUMAN:
        return intro.response()
    try:
        started = oauth_state.start(
            oauth_state.Purpose.DISCONNECT,
            now=oauth_state.utcnow(),
            settings=settings,
            api_url=api_url,
            show_dialog=True,  # the listener sees which account they are proving
        )
    except (PynamoDBException, ValueError) as error:
        logger.error("could not start a disconnect", extra={"error": str(error)})
        _ = translations.gettext
        page = Page(503, _("Please try again"), (_("Soundlink could not start the disconnection just now."),))
        return page.response()
    return redirect(started.authorize_url, cookies=[started.cookie] if started.cookie else None)


def _privacy(event: dict) -> dict:
    language, translations = for_request(_headers(event))
    return privacy_page(_api_url(event), settings.click_retention_days, translations, language).response()


def _owner_start(event: dict) -> dict:
    """The owner's browser opens the ticket from POST /owner/spotify/connect: the state is bound
    to this browser's cookie, so only the browser the owner signed in with can finish it."""
    headers = _headers(event)
    language, translations = for_request(headers)
    _ = translations.gettext
    if classify("GET", headers) is ClickKind.BOT:
        return Page(200, _("Open this link in your browser"), (), lang=language).response()
    now = oauth_state.utcnow()
    ticket = (event.get("queryStringParameters") or {}).get("ticket", "")
    owner = owner_spotify.redeem_ticket(ticket, now)
    if owner is None:
        page = Page(
            400,
            _("This link cannot be used"),
            (_("This connection link was already used or has expired. Start again from the dashboard."),),
            lang=language,
        )
        return page.response()
    try:
        started = oauth_state.start(
            oauth_state.Purpose.OWNER,
            now=now,
            settings=settings,
            api_url=_api_url(event),
            owner_id=owner,
            show_dialog=True,  # the owner sees, and picks, the account they connect
        )
    except (PynamoDBException, ValueError) as error:
        logger.error("could not start an owner connection", extra={"error": str(error)})
        page = Page(503, _("Please try again"), (_("Soundlink could not start the connection just now."),))
        return page.response()
    return redirect(started.authorize_url, cookies=[started.cookie] if started.cookie else None)


# The routes this function serves (template.yaml's HttpApi events; a test keeps them equal).
ROUTES = {
    "GET /oauth/callback": _callback,
    "GET /privacy": _privacy,
    "GET /privacy/disconnect": _disconnect,
    "GET /owner/spotify/start": _owner_start,
}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    route = ROUTES.get(event.get("routeKey", ""))
    if route is None:
        return Page(404, "Not found", ("There is nothing here.",)).response()
    if not origin.trusted(_headers(event)):
        # Around CloudFront (and its WAF): nothing is counted or started here; the same request
        # on the public URL is.
        location = origin.public_location(event.get("rawPath", ""), event.get("queryStringParameters") or {})
        return redirect(location, status=301)
    return route(event)


coldstart.done()  # the end of init (begun in __init__.py)
