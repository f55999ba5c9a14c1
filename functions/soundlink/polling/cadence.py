"""When to poll a listener next.

Spotify keeps only a listener's last 50 plays, and a play counts only after
30 s of listening: at most 50 plays fit in 25 minutes, so no listener is
ever polled less often than that while a window is open. Listeners who
played something since the last poll are polled every base interval; quiet
ones wait twice as long after each quiet poll, up to that ceiling.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_INTERVAL = timedelta(minutes=25)  # 50 plays x 30 s: never let more than 50 plays pass


def next_poll(now: datetime, *, new_plays: int, quiet_polls: int, base: timedelta) -> tuple[datetime, int]:
    """(next poll time, quiet polls in a row) after a poll that found `new_plays`."""
    if new_plays > 0:
        return now + min(base, MAX_INTERVAL), 0
    quiet = quiet_polls + 1
    # 2**16 times any base beyond a second already exceeds the ceiling; a bigger exponent
    # would only overflow timedelta after months of quiet polls.
    return now + min(base * (2 ** min(quiet, 16)), MAX_INTERVAL), quiet
