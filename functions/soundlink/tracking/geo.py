"""Country of a click from an anonymised network prefix, offline (geoip2fast ships its data).

Used only when CloudFront did not already say (CloudFront-Viewer-Country).
The data loads once per container, in the recorder, off the request path.
"""

from __future__ import annotations

import threading
from typing import Any

from soundlink.platform import coldstart

UNKNOWN = "(unknown)"
_lock = threading.Lock()
_reader: Any = None


def _geo() -> Any:
    global _reader
    with _lock:
        if _reader is None:
            with coldstart.loading():
                from geoip2fast import GeoIP2Fast

                # The IPv6 file holds IPv4 networks as well.
                _reader = GeoIP2Fast(geoip2fast_data_file="geoip2fast-ipv6.dat.gz", verbose=False)
        return _reader


def country_of(network: str | None) -> str:
    """ISO 3166 alpha-2 code, or (unknown) for private, reserved or unknown networks."""
    if not network:
        return UNKNOWN
    try:
        code = _geo().lookup(network).country_code
    except (ValueError, AttributeError):
        return UNKNOWN
    return code if isinstance(code, str) and len(code) == 2 and code.isalpha() else UNKNOWN
