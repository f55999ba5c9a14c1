"""The tracker link: /c/{slug} (the landing page), /c/{slug}/connect and /c/{slug}/play.

A person gets the landing page (tracking/landing.py); its "Connect Spotify"
starts a consent, its "Just take me to the playlist" goes to the destination.
Bots, link previews and HEAD go straight to the destination; suspicious
requests too, starting nothing and counted apart (tracking/classify.py).

What a request costs on the request path: the campaign (cached per
container), the day's visitor secret (cached), one SQS message (the click,
counted by record_clicks) and, for a "Connect Spotify" only, two DynamoDB
writes (the visitor's hourly count, the OAuth state). A page view writes
nothing. No KMS call. Everything else happens off the request path.
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
from soundlink.platform.i18n import for_request
from soundlink.platform.pages import Link, Page, redirect
from soundlink.platform.settings import Settings
from soundlink.platform.tables import CampaignItem, PlaylistStateItem, SlugClaim
from soundlink.tracking import oauth_state, rate
from soundlink.tracking.classify import ClickKind, classify
from soundlink.tracking.clicks import DIRECT, Click, anonymised_network, clean_value, referrer_domain, utm_parameters
from soundlink.tracking.landing import PAGE_COOKIE, landing_page, new_page_cookie, token_matches
from soundlink.tracking.origin import Origin
from soundlink.tracking.visitors import (
    VISITOR_COOKIE,
    VisitorSecrets,
    cookie_value,
    day_of,
    header_key,
    new_visitor_cookie,
    visitor_key,
)

CAMPAIGN_CACHE_SECONDS = 60.0  # an owner's change reaches every tracker within a minute
MISSING_CACHE_SECONDS = 10.0
CAMPAIGN_CACHE_ENTRIES = 1024

STEPS = ("view", "connect", "play")


@dataclass(frozen=True)
class EndedLink:
    """A slug whose campaign was deleted with its owner's account: it still leads to Spotify."""

    destination_url: str


def ended(link: EndedLink, translations: Any, language: str) -> Page:
    _ = translations.gettext
    return Page(
        410,
        _("This campaign has ended"),
        (_("The campaign behind this link has ended. The music is still on Spotify."),),
        (Link(link.destination_url, _("Listen on Spotify"), button=True),),
        lang=language,
    )


def not_found(translations: Any, language: str) -> Page:
    _ = translations.gettext
    return Page(
        404,
        _("This link does not lead anywhere"),
        (
            _(
                "The campaign link you followed does not exist. Check it for typos, "
                "or ask whoever shared it for a new one."
            ),
        ),
        lang=language,
    )


class CampaignCache:
    """Campaigns by slug, per container, for a minute (absent ones for a few seconds)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Campaign | EndedLink | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slug: str) -> Campaign | EndedLink | None:
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
    def _read(slug: str) -> Campaign | EndedLink | None:
        try:
            claim = SlugClaim.get(*SlugClaim.key(slug))
            if claim.campaign_id is None:
                return EndedLink(claim.ended_destination) if claim.ended_destination else None
            campaign = campaign_from_item(CampaignItem.get(*CampaignItem.key(claim.campaign_id)))
        except (SlugClaim.DoesNotExist, CampaignItem.DoesNotExist):
            return None
        # The playlist as Spotify names and pictures it, when attribution could read it.
        try:
            playlist = PlaylistStateItem.get(*PlaylistStateItem.key(campaign.playlist_id))
        except PlaylistStateItem.DoesNotExist:
            return campaign
        return replace(
            campaign,
            playlist_name=clean_value(playlist.name, 200) or campaign.playlist_name,
            playlist_image_url=playlist.image_url or campaign.playlist_image_url,
        )


@dataclass(frozen=True)
class ClickRequest:
    method: str
    slug: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    source_ip: str
    domain: str  # the API's domain the request came in on
    step: str = "view"  # view (/c/{slug}), connect (/c/{slug}/connect), play (/c/{slug}/play)
    cookies: tuple[str, ...] = ()
    path: str = ""


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
        self._origin = Origin(settings)

    def handle(self, request: ClickRequest) -> dict:
        head = request.method.upper() == "HEAD"
        language, translations = for_request(request.headers)
        if not self._origin.trusted(request.headers):
            # Straight to execute-api, around CloudFront (and its WAF): counted nowhere,
            # sent to the same path on the public URL so links minted earlier keep working.
            return redirect(self._origin.public_location(request.path, request.query), status=301)
        campaign = self._campaigns.get(request.slug) if is_slug(request.slug) else None
        if campaign is None or request.step not in STEPS:
            return not_found(translations, language).response(head=head)
        if isinstance(campaign, EndedLink):  # its owner deleted their account: counted nowhere, started nothing
            return ended(campaign, translations, language).response(head=head)
        now = self._now()
        kind = classify(request.method, request.headers)
        click = Click(
            id=uuid.uuid4().hex,
            campaign_id=campaign.id,
            owner_id=campaign.owner_id,
            at=now,
            kind=kind,
            step=request.step,
        )
        if kind is ClickKind.PREFETCH:
            self._record(click)
            # Not a visit: nothing is started, and the answer is one a browser will not reuse.
            prefetch = Page(503, "Not prefetched", ("Open the link to continue.",), lang=language)
            return prefetch.response(head=head)
        if kind is not ClickKind.HUMAN:  # bots, previews, HEAD, suspicious: the destination, nothing else
            self._record(click)
            return redirect(campaign.destination_url)

        click, visitor_set_cookie = self._person(click, request)
        if request.step == "play":
            self._record(click)
            return redirect(campaign.destination_url)
        if not campaign.accepts_new_consents(now):
            self._record(click)
            return redirect(campaign.destination_url)
        if request.step == "connect":
            return self._connect(campaign, click, request)
        return self._landing(campaign, click, request, language, translations, visitor_set_cookie)

    def _person(self, click: Click, request: ClickRequest) -> tuple[Click, str | None]:
        """The click with what tells its person apart, and the visitor cookie to set (if new)."""
        headers = request.headers
        user_agent = headers.get("user-agent", "")
        address = self._origin.client_address(headers, request.source_ip)
        secret = self._secrets.for_day(day_of(click.at))
        language = headers.get("accept-language", "")
        if request.step == "view":
            referrer = referrer_domain(headers.get("referer"), request.domain)
        else:  # from the landing page: where the visitor came from travels in its link
            referrer = clean_value(request.query.get("r", "")) or DIRECT
        cookie = cookie_value(list(request.cookies), VISITOR_COOKIE)
        new_visitor, set_cookie = None, None
        if cookie is None and request.step == "view":
            # The first view keys on the request; its new cookie's key is marked as seen too, so the
            # browser that returns with it is the same visitor (tracking/recording.py).
            new_cookie, set_cookie = new_visitor_cookie()
            new_visitor = visitor_key(secret, address, user_agent, cookie=new_cookie)
        person = replace(
            click,
            visitor=visitor_key(secret, address, user_agent, language, cookie=cookie),
            also_visitor=new_visitor,
            rate_key=header_key(secret, address, user_agent, language),
            referrer=referrer,
            utm=utm_parameters(request.query),
            user_agent=user_agent,
            network=anonymised_network(address),
            country=self._origin.viewer_country(headers),
        )
        return person, set_cookie

    def _landing(
        self,
        campaign: Campaign,
        click: Click,
        request: ClickRequest,
        language: str,
        translations: Any,
        visitor_set_cookie: str | None,
    ) -> dict:
        self._record(click)
        page_cookie, page_set_cookie = new_page_cookie()
        cookies = [page_set_cookie] + ([visitor_set_cookie] if visitor_set_cookie else [])
        origin = {"r": click.referrer, **click.utm} if click.referrer != DIRECT or click.utm else dict(click.utm)
        return landing_page(
            campaign,
            api_url=self._api_url(request),
            page_cookie=page_cookie,
            origin=origin,
            language=language,
            translations=translations,
            cookies=cookies,
        )

    def _connect(self, campaign: Campaign, click: Click, request: ClickRequest) -> dict:
        page_cookie = cookie_value(list(request.cookies), PAGE_COOKIE)
        if not token_matches(request.query.get("t"), page_cookie, campaign.slug):
            # Not from this browser's landing page (a navigation from elsewhere, an old tab):
            # show the page, so the person decides. Nothing is counted or stored.
            return redirect(f"{self._api_url(request)}/c/{campaign.slug}", status=303)
        try:
            within = rate.within_limit(campaign.id, "connect", click.at, click.rate_key or "")
        except (PynamoDBException, BotoCoreError, ClientError) as error:
            self._warn("could not count the visitor's connects; sending them to the destination", error=str(error))
            within = False
        if not within:
            self._record(replace(click, kind=ClickKind.SUSPICIOUS))
            return redirect(campaign.destination_url)
        started = self._start_consent(campaign, click, request)
        self._record(replace(click, consent_started=started is not None))
        if started is None:
            return redirect(campaign.destination_url)
        return redirect(started.authorize_url, cookies=[started.cookie] if started.cookie else None)

    def _api_url(self, request: ClickRequest) -> str:
        return self._settings.public_api_url or f"https://{request.domain}"

    def _start_consent(
        self, campaign: Campaign, click: Click, request: ClickRequest
    ) -> oauth_state.StartedConsent | None:
        try:
            return oauth_state.start(
                oauth_state.Purpose.LISTEN,
                now=click.at,
                settings=self._settings,
                api_url=self._api_url(request),
                campaign_id=campaign.id,
                owner_id=campaign.owner_id,
                slug=campaign.slug,
                destination_url=campaign.destination_url,
                click=_link_facts(click),
                scopes=oauth_state.listener_scopes(campaign.measure_fans),
                # Spotify skips its dialog for scopes granted before: a listener sees, every time,
                # which account joins which campaign.
                show_dialog=True,
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
    """What the callback copies onto the listener's campaign link and counts a consent by:
    when, where from, and the click's breakdown values (device and country as the click had them)."""
    facts: dict[str, Any] = {
        "click_id": click.id,
        "clicked_at": click.at.isoformat(),
        "referrer": click.referrer,
        "visitor": click.visitor,
        "user_agent": click.user_agent[:512],
        **click.utm,
    }
    if click.country:
        facts["country"] = click.country
    if click.network:
        facts["network"] = click.network
    return facts
