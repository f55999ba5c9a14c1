"""A click on a tracker link: what the tracker knows at once, and the message it queues.

The tracker answers at once and leaves the counting to `record_clicks`
(through the click queue), so a click costs the listener one DynamoDB write
at most. What the tracker cannot keep, it reduces first: the IP address
becomes a daily-rotating visitor key (tracking/visitors.py) and, for the
country lookup off the request path, an anonymised network prefix (/24 for
IPv4, /48 for IPv6, as analytics tools anonymise IPs); neither the IP, the
prefix nor the user agent is ever stored.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from soundlink.tracking.classify import MAX_USER_AGENT, ClickKind

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_DIMENSION = 100  # longest referrer domain or UTM value kept
DIRECT = "(direct)"


def clean_value(value: str | None, limit: int = MAX_DIMENSION) -> str | None:
    """A dimension value as it may be stored and shown: printable, trimmed, bounded."""
    if not value:
        return None
    # Any whitespace (tabs, newlines, no-break spaces) separates words; other controls go.
    spaced = "".join(" " if ch.isspace() else ch for ch in value)
    kept = "".join(ch for ch in spaced if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    kept = " ".join(kept.split())[:limit].strip()
    return kept or None


def referrer_domain(referer: str | None, own_host: str | None) -> str:
    """The domain a visitor came from (`www.` dropped); (direct) when none or our own."""
    if not referer:
        return DIRECT
    try:
        host = urlsplit(referer.strip()).hostname
    except ValueError:
        return DIRECT
    if not host:
        return DIRECT
    host = host.lower().removeprefix("www.")
    if own_host and host == own_host.lower().split(":")[0].removeprefix("www."):
        return DIRECT
    return clean_value(host) or DIRECT


def utm_parameters(query: dict[str, str]) -> dict[str, str]:
    found = {}
    for name in UTM_FIELDS:
        # API Gateway joins repeated parameters with commas: keep the first.
        value = clean_value((query.get(name) or "").split(",")[0])
        if value:
            found[name] = value.lower() if name in ("utm_source", "utm_medium") else value
    return found


def anonymised_network(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network of an address, for a country lookup only."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:  # ::ffff:a.b.c.d is an IPv4 visitor
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def viewer_country(headers: dict[str, str]) -> str | None:
    """CloudFront's viewer country, when the API sits behind a distribution."""
    value = headers.get("cloudfront-viewer-country", "").strip().upper()
    return value if len(value) == 2 and value.isascii() and value.isalpha() else None


@dataclass(frozen=True)
class Click:
    id: str
    campaign_id: str
    owner_id: str
    at: datetime
    kind: ClickKind
    step: str = "view"  # view (the landing page), connect ("Connect Spotify"), play ("just play")
    consent_started: bool = False
    visitor: str | None = None
    rate_key: str | None = None  # the header visitor key the hourly limit counts on
    also_visitor: str | None = None  # the key of the visitor cookie this view set: seen today as well
    referrer: str = DIRECT
    utm: dict[str, str] = field(default_factory=dict)
    # Transient, for record_clicks only: parsed into device/browser/OS and a country, then dropped.
    user_agent: str = ""
    network: str | None = None
    country: str | None = None

    def to_message(self) -> dict[str, Any]:
        body = asdict(self)
        body["at"] = self.at.isoformat()
        body["kind"] = self.kind.value
        body["user_agent"] = self.user_agent[:MAX_USER_AGENT]
        return {"type": "click", **body}

    @classmethod
    def from_message(cls, body: Any) -> Click:
        if not isinstance(body, dict) or body.get("type") != "click":
            raise ValueError("not a click message")
        fields = {k: v for k, v in body.items() if k != "type"}
        fields["at"] = datetime.fromisoformat(fields["at"])
        fields["kind"] = ClickKind(fields["kind"])
        return cls(**fields)
