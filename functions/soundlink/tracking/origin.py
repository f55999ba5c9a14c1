"""Which requests came through Soundlink's CloudFront distribution, and what CloudFront says of them.

On AWS the public routes sit behind CloudFront (and its optional WAF).
CloudFront adds a secret origin header (`x-soundlink-origin`) to every request
it forwards; only a request that carries it may be believed about the
viewer's country (`CloudFront-Viewer-Country`) and address
(`CloudFront-Viewer-Address`: behind CloudFront, API Gateway's sourceIp is
CloudFront's). A request without it went straight to execute-api, around
the WAF: it is counted nowhere and sent to the public URL.

Without a configured secret (the local cloud, a deployment without the
distribution) nothing comes from CloudFront: the address is API Gateway's
sourceIp and no header tells a country.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from soundlink.platform.settings import Settings

ORIGIN_HEADER = "x-soundlink-origin"


class Origin:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.origin_secret
        self._public_url = settings.public_api_url

    @property
    def behind_cloudfront(self) -> bool:
        return bool(self._secret)

    def trusted(self, headers: dict[str, str]) -> bool:
        """False only when a secret is configured and the request does not carry it (and there
        is a public URL to send it to: before the operator sets PublicApiUrl, nothing can be)."""
        if not self._secret or not self._public_url:
            return True
        return hmac.compare_digest(headers.get(ORIGIN_HEADER, "").encode(), self._secret.encode())

    def public_location(self, path: str, query: dict[str, str]) -> str:
        location = f"{self._public_url}{path}"
        return f"{location}?{urlencode(query)}" if query else location

    def client_address(self, headers: dict[str, str], source_ip: str) -> str:
        if self._secret:
            viewer = headers.get("cloudfront-viewer-address", "").strip()
            if viewer:
                host = viewer.rsplit(":", 1)[0]  # "ip:port"; IPv6 addresses keep their colons
                return host.strip("[]")
        return source_ip

    def viewer_country(self, headers: dict[str, str]) -> str | None:
        if not self._secret:
            return None
        value = headers.get("cloudfront-viewer-country", "").strip().upper()
        return value if len(value) == 2 and value.isascii() and value.isalpha() else None
