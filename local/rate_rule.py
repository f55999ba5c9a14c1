"""The WAF rate rule, locally: per client address, over a 5-minute window, on the public
tracker and callback paths; past the limit a request is *marked*, not blocked.

On AWS (template.yaml, PublicWebAcl) a rate-based rule in COUNT mode inserts the
header `x-amzn-waf-soundlink-rate-limited: 1` into requests from an address past
`PublicRateLimit` requests in 5 minutes; the tracker then classes them as
suspicious and still sends the person on. The local cloud inserts the same
header by the same rule, so tests can reach it (each test that floods may bind
its own loopback source address, 127.0.0.x, to keep the others unmarked).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

MARK_HEADER = "x-amzn-waf-soundlink-rate-limited"
WINDOW_SECONDS = 300.0
PATH_PREFIXES = ("/c/", "/oauth/callback")


class RateRule:
    def __init__(self, limit: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def applies_to(self, path: str) -> bool:
        return path.startswith(PATH_PREFIXES)

    def marks(self, client: str, path: str) -> bool:
        """Count the request; True when its address is past the limit within the window."""
        if not self.applies_to(path):
            return False
        now = self._clock()
        with self._lock:
            seen = self._seen[client]
            while seen and seen[0] <= now - WINDOW_SECONDS:
                seen.popleft()
            seen.append(now)
            return len(seen) > self.limit
