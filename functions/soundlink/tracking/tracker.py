"""GET /c/{slug}: count the click, then send the visitor to Spotify's consent or the destination.

What a click costs on the request path: the campaign (cached per container),
the day's visitor secret (cached), at most one DynamoDB write (the OAuth
state of a human click that starts a consent), one SQS message (the click,
counted by record_clicks), no KMS call. Everything else happens off the
request path.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from soundlink.campaigns.campaign import Campaign, is_slug
from soundlink.campaigns.items import campaign_from_item
from soundlink.platform.pages import Page, redirect
from soundlink.platform.settings import Settings
from soundlink.platform.tables import CampaignItem, SlugClaim
from soundlink.tracking import oauth_state
from soundlink.tracking.classify import ClickKind, classify
from soundlink.tracking.clicks import Click, anonymised_network, referrer_domain, utm_parameters, viewer_country
from soundlink.tracking.visitors import VisitorSecrets, day_of, visitor_key

CAMPAIGN_CACHE_SECONDS = 60.0  # an owner's change reaches every tracker within a minute
MISSING_CACHE_SECONDS = 10.0
CAMPAIGN_CACHE_ENTRIES = 1024

NOT_FOUND = Page(
    404,
    "This link does not lead anywhere",
    ("The campaign link you followed does not exist. Check it for typos, or ask whoever shared it for a new one.",),
)


class CampaignCache:
    """Campaigns by slug, per container, for a minute (absent ones for a few seconds)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Campaign | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slug: str) -> Campaign | None:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(slug)
            if hit and hit[1] > now:
                self._entries.move_to_end(slug)
                return hit[0]
        campaign = self._read(slug)
        ttl = CAMPAIGN_CACHE_SECONDS if campaign else MISSING_CACHE_SECONDS
        with self._lock:
            self._entries[slug] = (campaign, now + ttl)
            self._entries.move_to_end(slug)
            while len(self._entries) > CAMPAIGN_CACHE_ENTRIES:
                self._entries.popitem(last=False)
        return campaign

    @staticmethod
    def _read(slug: str) -> Campaign | None:
        try:
            claim = SlugClaim.get(*SlugClaim.key(slug))
            return campaign_from_item(CampaignItem.get(*CampaignItem.key(claim.campaign_id)))
        except (SlugClaim.DoesNotExist, CampaignItem.DoesNotExist):
            return None


@dataclass(frozen=True)
class ClickRequest:
    method: str
    slug: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    source_ip: str
    domain: str  # the API's domain the request came in on


class Tracker:
    def __init__(
        self,
        settings: Settings,
        *,
        campaigns: CampaignCache,
        visitor_secrets: VisitorSecrets,
        publish: Callable[[dict[str, Any]], None],
        now: Callable[[], datetime] = oauth_state.utcnow,
        log: Any = None,
        on_not_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._campaigns = campaigns
        self._secrets = visitor_secrets
        self._publish = publish
        self._now = now
        self._log = log
        self._on_not_queued = on_not_queued

    def handle(self, request: ClickRequest) -> dict:
        head = request.method.upper() == "HEAD"
        campaign = self._campaigns.get(request.slug) if is_slug(request.slug) else None
        if campaign is None:
            return NOT_FOUND.response(head=head)
        now = self._now()
        kind = classify(request.method, request.headers)
        click = Click(id=uuid.uuid4().hex, campaign_id=campaign.id, owner_id=campaign.owner_id, at=now, kind=kind)
        if kind is ClickKind.PREFETCH:
            self._record(click)
            # Not a visit: nothing is started, and the answer is one a browser will not reuse.
            return Page(503, "Not prefetched", ("Open the link to continue.",)).response(head=head)
        if kind is ClickKind.BOT:
            self._record(click)
            return redirect(campaign.destination_url)

        user_agent = request.headers.get("user-agent", "")
        click = replace(
            click,
            visitor=visitor_key(self._secrets.for_day(day_of(now)), request.source_ip, user_agent),
            referrer=referrer_domain(request.headers.get("referer"), request.domain),
            utm=utm_parameters(request.query),
            user_agent=user_agent,
            network=anonymised_network(request.source_ip),
            country=viewer_country(request.headers),
        )
        started = self._start_consent(campaign, click, request) if campaign.accepts_new_consents(now) else None
        self._record(replace(click, consent_started=started is not None))
        if started is None:
            return redirect(campaign.destination_url)
        return redirect(started.authorize_url, cookies=[started.cookie] if started.cookie else None)

    def _start_consent(
        self, campaign: Campaign, click: Click, request: ClickRequest
    ) -> oauth_state.StartedConsent | None:
        try:
            return oauth_state.start(
                oauth_state.Purpose.LISTEN,
                now=click.at,
                settings=self._settings,
                api_url=self._settings.public_api_url or f"https://{request.domain}",
                campaign_id=campaign.id,
                owner_id=campaign.owner_id,
                slug=campaign.slug,
                destination_url=campaign.destination_url,
                click=_link_facts(click),
            )
        except (PynamoDBException, BotoCoreError, ClientError, ValueError) as error:
            # The listener still gets the music; the click is counted without a consent.
            self._warn("could not start a consent; sending the visitor to the destination", error=str(error))
            return None

    def _record(self, click: Click) -> None:
        try:
            self._publish(click.to_message())
        except (BotoCoreError, ClientError) as error:
            # boto3 has already retried. The visitor must not wait or fail for a counter:
            # the click is parked in the log (no IP, no user agent) and the ClickNotQueued
            # metric's alarm tells the operator.
            parked = {k: v for k, v in click.to_message().items() if k not in ("user_agent", "network")}
            if self._log:
                self._log.error("click not queued", extra={"click": parked, "error": str(error)})
            self._on_not_queued()

    def _warn(self, message: str, **extra: Any) -> None:
        if self._log:
            self._log.warning(message, extra=extra)


def _link_facts(click: Click) -> dict[str, Any]:
    """What the callback copies onto the listener's campaign link: when and where from."""
    return {"click_id": click.id, "clicked_at": click.at.isoformat(), "referrer": click.referrer, **click.utm}
