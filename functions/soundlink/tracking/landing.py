"""The landing page a person sees at /c/{slug}: what the campaign is, what connecting
means, and two ways on ("Connect Spotify", "Just take me to the playlist").

Consent starts only from its Connect control: a link to /c/{slug}/connect
carrying a token bound to a `__Host-` page cookie set with the page
(SameSite=Strict, for this browser session). A page elsewhere can navigate a
browser to /c/{slug} or to /c/{slug}/connect, but it can neither read the
cookie nor know the token, so a navigation alone never starts a consent
(Spotify skips its dialog for scopes granted before; show_dialog=true on the
authorize URL is the second guard).

Static HTML, no script, no external resource but the playlist's cover from
Spotify's image hosts, a few KB; every dynamic string is escaped.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from gettext import NullTranslations
from html import escape
from urllib.parse import urlencode, urlsplit

from soundlink.campaigns.campaign import Campaign
from soundlink.platform.pages import CONTENT_SECURITY_POLICY, document, html_response

PAGE_COOKIE = "__Host-soundlink_page"
PAGE_COOKIE_SECONDS = 1800  # a page left open longer shows itself again on "Connect Spotify"
# Spotify's image hosts (covers, playlist mosaics): the only images a landing page may load.
COVER_HOSTS = frozenset({"i.scdn.co", "mosaic.scdn.co", "image-cdn-ak.spotifycdn.com", "image-cdn-fa.spotifycdn.com"})
_STYLE = (
    ".by{margin:0;color:#b3b3b3}.cover{display:block;width:12rem;max-width:100%;height:auto;"
    "border-radius:.5rem;margin:1rem 0}.button{font-size:1.1rem}.small{font-size:.9rem;color:#b3b3b3}"
)


def new_page_cookie() -> tuple[str, str]:
    """(value, Set-Cookie) of the cookie the Connect token is bound to (half an hour)."""
    value = secrets.token_urlsafe(24)
    return value, f"{PAGE_COOKIE}={value}; Max-Age={PAGE_COOKIE_SECONDS}; Path=/; Secure; HttpOnly; SameSite=Strict"


def connect_token(page_cookie: str, slug: str) -> str:
    return hashlib.sha256(f"{slug}\n{page_cookie}".encode()).hexdigest()[:32]


def token_matches(token: str | None, page_cookie: str | None, slug: str) -> bool:
    if not token or not page_cookie:
        return False
    return hmac.compare_digest(token.encode(), connect_token(page_cookie, slug).encode())


def cover_url(campaign: Campaign) -> str | None:
    url = campaign.playlist_image_url
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme == "https" and parts.hostname in COVER_HOSTS and not parts.port else None


def landing_page(
    campaign: Campaign,
    *,
    api_url: str,
    page_cookie: str,
    origin: dict[str, str],
    language: str,
    translations: NullTranslations,
    cookies: list[str],
) -> dict:
    _ = translations.gettext
    slug = campaign.slug
    texts = {
        "connect": _("Connect Spotify"),
        "play": _("Just take me to the playlist"),
        "privacy": _("What Soundlink keeps, and how to leave"),
        "explain": _(
            "If you connect Spotify, Soundlink reads which songs you play for the next %(days)s days and keeps "
            "only plays of this campaign's music, so that whoever shared this link learns whether it led to "
            "listening. They never see who you are, and you can disconnect at any time."
        )
        % {"days": campaign.attribution_window_days},
    }
    parts = []
    if campaign.presented_by:
        by = _("Presented by %(name)s") % {"name": campaign.presented_by}
        parts.append(f'<p class="by">{escape(by)}</p>')
    parts.append(f"<h1>{escape(campaign.name)}</h1>")
    cover = cover_url(campaign)
    if cover:
        parts.append(f'<img class="cover" src="{escape(cover, quote=True)}" alt="" width="192" height="192">')
    if campaign.playlist_name:
        playlist = _("Playlist: %(name)s") % {"name": campaign.playlist_name}
        parts.append(f"<p>{escape(playlist)}</p>")
    parts.append(f"<p>{escape(texts['explain'])}</p>")
    if campaign.measure_fans:
        fans = _(
            "This campaign also asks to check, for its own songs, their artists and its playlist only, "
            "whether you saved or follow them, so that it can count new fans. Soundlink keeps only yes or no "
            "for each of them, nothing else of your library."
        )
        parts.append(f'<p id="fans-consent">{escape(fans)}</p>')
    # The connect request comes from this page (no Referer, no UTM of its own): it carries
    # where the visitor came from, as the view saw it.
    query = urlencode({"t": connect_token(page_cookie, slug), **origin})
    connect = escape(f"{api_url}/c/{slug}/connect?{query}", quote=True)
    parts.append(f'<p><a id="connect" class="button" href="{connect}">{escape(texts["connect"])}</a></p>')
    play = escape(f"{api_url}/c/{slug}/play", quote=True)
    parts.append(f'<p><a id="just-play" href="{play}">{escape(texts["play"])}</a></p>')
    privacy = escape(f"{api_url}/privacy", quote=True)
    parts.append(f'<p class="small"><a href="{privacy}">{escape(texts["privacy"])}</a></p>')
    csp = CONTENT_SECURITY_POLICY
    if cover:
        csp = csp.replace("img-src 'none'", f"img-src https://{urlsplit(cover).hostname}")
    return html_response(
        200, document(language, campaign.name, "".join(parts), _STYLE), cookies=cookies, language=language, csp=csp
    )
